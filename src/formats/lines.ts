import { VALUE_BYTES, detectAlgorithm, formatHashValue, hexBytesInto, hexInto, isHex, isHexBytes, parseAlgorithm, type AlgorithmName } from '../log/hash-value.js'
import type { HashRecord, ImportItem } from '../log/entry.js'
import type { HashListFormat, ParseInit } from './format.js'
import { textLineChunks } from './input.js'
import { byteLineChunks, lineText } from './byte-lines.js'
import { invalidFormat } from './invalid-format.js'
import { FieldError, makeRecord, quote, readHashValue, readQuality, recordMaker, rejectItem } from './record.js'
import { chunked } from './write-chunks.js'

/**
 * `lines`: one hash per line.
 *
 * A line is `ALG:VALUE` (`sha256:9f86…`, `pdq:…`, `photodna:<base64>`) or a bare value whose
 * algorithm is `init.algorithm` or, when absent, detected by length (32 hex MD5, 40 SHA-1,
 * 64 SHA-256, 288 PhotoDNA; a bare 64-hex value is SHA-256, so PDQ needs `pdq:` or
 * `--algorithm pdq`). An `ALG:` prefix wins over `init.algorithm`. A PDQ value may end in
 * `,QUALITY` (0-100), as PDQ hashers print it. Text after the first blank (the file name in
 * `sha256sum` output) is ignored. Blank lines and lines starting with `#` are skipped.
 * Metadata comes only from `init.defaults`. A file none of whose lines holds a hash (a CSV or
 * other text given as `lines`) throws HF_INVALID_FORMAT after its rejects.
 *
 * Writer: `alg:hex` per line (lower-case hex), `pdq:hex,quality` for PDQ, so that
 * import -> export -> import with the same defaults gives identical records. Metadata other
 * than the PDQ quality is not written: use `csv` to keep it.
 */
export const linesFormat: HashListFormat = {
  name: 'lines',
  parse: parseLines,
  parseChunks: parseLineChunks,
  write: writeLines,
  unsupported: () => undefined
}

async function * parseLines (input: AsyncIterable<Uint8Array | string>, init: ParseInit = {}): AsyncGenerator<ImportItem> {
  for await (const chunk of parseLineChunks(input, init)) yield * chunk
}

/**
 * The items of the file a read chunk (~64 KiB) at a time: each chunk is parsed in one
 * synchronous loop, so a million-line import pays one await per chunk, not one per line.
 */
async function * parseLineChunks (input: AsyncIterable<Uint8Array | string>, init: ParseInit = {}): AsyncGenerator<ImportItem[]> {
  const state: ParseState = { seenContent: false, added: false, firstReject: undefined, record: recordMaker(init), placeholders: new Map(), slab: new ArrayBuffer(0), slabAt: SLAB_BYTES }
  const { kind, chunks } = await firstKind(input)
  if (kind === 'bytes' && init.algorithm === undefined) {
    // a file's bytes: its common lines are read as bytes, the others decoded (byte-lines.ts)
    for await (const c of byteLineChunks(chunks, 'lines')) {
      const items: ImportItem[] = []
      for (let i = 0; i < c.count; i++) {
        const item = parseBytes(c.first + i, c.bytes, c.starts[i], c.ends[i], init, state)
        if (item !== null) items.push(item)
      }
      if (items.length > 0) yield items
    }
  } else {
    for await (const { first, texts } of textLineChunks(chunks, 'lines')) {
      const items: ImportItem[] = []
      for (let i = 0; i < texts.length; i++) {
        const item = parseOne(first + i, texts[i], init, state)
        if (item !== null) items.push(item)
      }
      if (items.length > 0) yield items
    }
  }
  const { added, firstReject } = state
  if (!added && firstReject !== undefined && firstReject.kind === 'reject') {
    throw invalidFormat('lines', firstReject.line, `no line holds a hash (first: ${firstReject.reason})`)
  }
}

interface ParseState {
  seenContent: boolean
  added: boolean
  firstReject: ImportItem | undefined
  record: (algorithm: AlgorithmName, value: Uint8Array, quality: number | undefined) => HashRecord
  /** ParseInit.checkOnly: one record per algorithm */
  placeholders: Map<AlgorithmName, HashRecord>
  /** where slabValue puts the next value */
  slab: ArrayBuffer
  slabAt: number
}

/** Bare hex values by length (MD5, SHA-1, SHA-256, PhotoDNA): detectAlgorithm's table. */
const BARE: ReadonlyMap<number, AlgorithmName> = new Map([[32, 'md5'], [40, 'sha1'], [64, 'sha256'], [288, 'photodna']])

/**
 * Whether the input gives bytes or text, from its first chunk, and the input whole again.
 * Text (a string input) keeps the text path: a lone surrogate in it is not what its UTF-8
 * bytes would decode to.
 */
async function firstKind (input: AsyncIterable<Uint8Array | string>): Promise<{ kind: 'bytes' | 'text', chunks: AsyncIterable<Uint8Array | string> }> {
  const it = input[Symbol.asyncIterator]()
  const head = await it.next()
  const chunks = (async function * () {
    try {
      if (head.done === true) return
      yield head.value
      for (let r = await it.next(); r.done !== true; r = await it.next()) yield r.value
    } finally {
      // stopped early (an error, a consumer that gives up): the file is closed
      await it.return?.()
    }
  })()
  return { kind: head.done !== true && typeof head.value !== 'string' ? 'bytes' : 'text', chunks }
}

/**
 * parseOne for line bytes `bytes[start .. end)`, on the byte path (no `init.algorithm`): the
 * common line, exactly a bare hex value of a known length once the file has shown content, is
 * read from its bytes (what parseOne's first branch does with its text); any other line is
 * decoded and given to parseOne.
 */
function parseBytes (line: number, bytes: Uint8Array, start: number, end: number, init: ParseInit, state: ParseState): ImportItem | null {
  if (state.seenContent) {
    const algorithm = BARE.get(end - start)
    if (algorithm !== undefined) {
      if (init.checkOnly === true) {
        if (isHexBytes(bytes, start, end)) { state.added = true; return { kind: 'add', line, record: placeholder(state, algorithm) } }
      } else {
        const value = slabBytesValue(state, bytes, start, (end - start) / 2)
        if (value !== null) { state.added = true; return { kind: 'add', line, record: state.record(algorithm, value, undefined) } }
      }
    }
  }
  return parseOne(line, lineText(bytes, start, end), init, state)
}

/** slabValue for hex given as bytes. */
function slabBytesValue (state: ParseState, bytes: Uint8Array, start: number, n: number): Uint8Array | null {
  if (state.slabAt + n > SLAB_BYTES) {
    state.slab = new ArrayBuffer(SLAB_BYTES)
    state.slabAt = 0
  }
  const value = new Uint8Array(state.slab, state.slabAt, n)
  if (!hexBytesInto(bytes, start, value)) return null
  state.slabAt += n
  return value
}

/** One line's item, or null for a blank or comment line. */
function parseOne (line: number, text: string, init: ParseInit, state: ParseState): ImportItem | null {
  // the common line, exactly a bare hex value of a known length: nothing to trim, no NUL, no
  // second token, so the walks below would find what this one does
  if (init.algorithm === undefined && state.seenContent) {
    const algorithm = BARE.get(text.length)
    if (algorithm !== undefined) {
      if (init.checkOnly === true) {
        if (isHex(text)) { state.added = true; return { kind: 'add', line, record: placeholder(state, algorithm) } }
      } else {
        const value = slabValue(state, text)
        if (value !== null) { state.added = true; return { kind: 'add', line, record: state.record(algorithm, value, undefined) } }
      }
    }
  }
  const trimmed = text.trim()
  if (trimmed === '' || trimmed.charCodeAt(0) === 35 /* # */) return null
  if (trimmed.includes('\u0000')) throw invalidFormat('lines', line, 'binary data (NUL byte)')
  if (!state.seenContent && /^[<{[]/.test(trimmed)) throw invalidFormat('lines', line, `starts like XML or JSON (${quote(trimmed)}), not a hash`)
  state.seenContent = true
  const token = firstToken(trimmed)
  // the common line, a bare hex value of a known length: detected and decoded in one walk
  // (what detectAlgorithm + readHashValue give for it); anything else takes parseLine
  if (init.algorithm === undefined) {
    const algorithm = BARE.get(token.length)
    if (algorithm !== undefined && init.checkOnly === true) {
      // a check pass: the value is hex of the right length, so its record is this one's twin
      if (isHex(token)) {
        state.added = true
        return { kind: 'add', line, record: placeholder(state, algorithm) }
      }
    } else {
      const value = algorithm === undefined ? null : slabValue(state, token)
      if (value !== null) {
        state.added = true
        return { kind: 'add', line, record: state.record(algorithm as AlgorithmName, value, undefined) }
      }
    }
  }
  try {
    const item: ImportItem = { kind: 'add', line, record: parseLine(token, init) }
    state.added = true
    return item
  } catch (err) {
    const item = rejectItem(line, err)
    state.firstReject ??= item
    return item
  }
}

/**
 * The bytes of a bare hex value, as a view into a 4 KiB slab shared by the next values
 * (~128 SHA-256): a typed array of its own costs about 2.5x the heap of a view, and a
 * million-line import allocated one per line. Null when the token is not hex.
 */
function slabValue (state: ParseState, token: string): Uint8Array | null {
  const n = token.length / 2
  if (state.slabAt + n > SLAB_BYTES) {
    state.slab = new ArrayBuffer(SLAB_BYTES)
    state.slabAt = 0
  }
  const value = new Uint8Array(state.slab, state.slabAt, n)
  if (!hexInto(token, value)) return null
  state.slabAt += n
  return value
}

const SLAB_BYTES = 4096

/** The shared record of a check pass for bare values of `algorithm` (ParseInit.checkOnly). */
function placeholder (state: ParseState, algorithm: AlgorithmName): HashRecord {
  let record = state.placeholders.get(algorithm)
  if (record === undefined) {
    record = state.record(algorithm, new Uint8Array(VALUE_BYTES[algorithm]), undefined)
    state.placeholders.set(algorithm, record)
  }
  return record
}

/** Text up to the first whitespace (`trimmed.split(/\s/, 1)[0]`), without a regex for ASCII lines. */
function firstToken (trimmed: string): string {
  for (let i = 0; i < trimmed.length; i++) {
    const c = trimmed.charCodeAt(i)
    if (c === 32 || (c >= 9 && c <= 13)) return trimmed.slice(0, i)
    if (c >= 128) return trimmed.split(/\s/, 1)[0]
  }
  return trimmed
}

function parseLine (token: string, init: ParseInit): HashRecord {
  const colon = token.indexOf(':')
  let algorithm: AlgorithmName | null
  let text = token
  if (colon >= 0) {
    algorithm = parseAlgorithm(token.slice(0, colon))
    text = token.slice(colon + 1)
  } else {
    algorithm = init.algorithm ?? detectAlgorithm(token)
    if (algorithm === null) {
      throw new FieldError(`cannot tell the algorithm of ${quote(token)} (${token.length} characters): write it as ALG:VALUE or give the algorithm`)
    }
  }
  let quality: number | undefined
  if (algorithm === 'pdq' && text.includes(',')) {
    const comma = text.lastIndexOf(',')
    quality = readQuality(text.slice(comma + 1))
    text = text.slice(0, comma)
  }
  return makeRecord(algorithm, readHashValue(algorithm, text), { quality }, init)
}

async function * writeLines (records: AsyncIterable<HashRecord>): AsyncGenerator<string> {
  yield * chunked(records, r => {
    const q = r.algorithm === 'pdq' && r.quality !== undefined ? `,${r.quality}` : ''
    return `${r.algorithm}:${formatHashValue(r.value)}${q}\n`
  })
}
