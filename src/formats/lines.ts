import { detectAlgorithm, formatHashValue, parseAlgorithm, type AlgorithmName } from '../log/hash-value.js'
import type { HashRecord, ImportItem } from '../log/entry.js'
import type { HashListFormat, ParseInit } from './format.js'
import { textLineChunks } from './input.js'
import { invalidFormat } from './invalid-format.js'
import { FieldError, makeRecord, quote, readHashValue, readQuality, rejectItem } from './record.js'
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
  write: writeLines,
  unsupported: () => undefined
}

async function * parseLines (input: AsyncIterable<Uint8Array | string>, init: ParseInit = {}): AsyncGenerator<ImportItem> {
  let seenContent = false
  let added = false
  let firstReject: ImportItem | undefined
  for await (const chunk of textLineChunks(input, 'lines')) {
    for (const { line, text } of chunk) {
      const trimmed = text.trim()
      if (trimmed === '' || trimmed.startsWith('#')) continue
      if (trimmed.includes('\u0000')) throw invalidFormat('lines', line, 'binary data (NUL byte)')
      if (!seenContent && /^[<{[]/.test(trimmed)) throw invalidFormat('lines', line, `starts like XML or JSON (${quote(trimmed)}), not a hash`)
      seenContent = true
      let item: ImportItem
      try {
        item = { kind: 'add', line, record: parseLine(trimmed.split(/\s/, 1)[0], init) }
        added = true
      } catch (err) {
        item = rejectItem(line, err)
        firstReject ??= item
      }
      yield item
    }
  }
  if (!added && firstReject !== undefined && firstReject.kind === 'reject') {
    throw invalidFormat('lines', firstReject.line, `no line holds a hash (first: ${firstReject.reason})`)
  }
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
