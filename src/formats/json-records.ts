import { Tokenizer, TokenParser, TokenType, type ParsedTokenInfo } from '@streamparser/json'
import { isHashfedError } from '../errors.js'
import { MAX_BUFFERED_CHARS, MAX_JSON_HEADER_BYTES, MAX_JSON_HEADER_TOKENS, MAX_JSON_RECORD_BYTES, MAX_NESTING, PARSE_PIECE } from './constants.js'
import type { FormatName } from './format.js'
import { asBytes } from './input.js'
import { invalidFormat } from './invalid-format.js'

/** A top-level scalar of the envelope (`@odata.context`, `count`, ...). */
export type JsonScalar = string | number | boolean | null

export interface JsonRecordsInit {
  format: FormatName
  /** top-level key whose array holds the records (`value`, `hashRecords`) */
  arrayKey: string
  /**
   * Called when that array opens, with the envelope's scalars read so far (they come first
   * in the formats we read). Returns the records' paths for the token parser, e.g.
   * `$.value.*`; throws HF_INVALID_FORMAT for a wrong header.
   * @default () => [`$.${arrayKey}.*`]
   */
  onArrayStart?: (header: ReadonlyMap<string, JsonScalar>, line: number) => string[]
}

export interface JsonRecord {
  /** line where the record starts */
  line: number
  value: unknown
}

const OPEN = new Set<TokenType>([TokenType.LEFT_BRACE, TokenType.LEFT_BRACKET])
const CLOSE = new Set<TokenType>([TokenType.RIGHT_BRACE, TokenType.RIGHT_BRACKET])

/**
 * Streams the records of a JSON envelope `{ ...scalars, "<arrayKey>": [ record, ... ] }`
 * without holding the document: each record is built, handed out and dropped. Records keep
 * the line they start on. Invalid, truncated or non-object JSON throws HF_INVALID_FORMAT.
 *
 * Memory is bounded by caps, each refusing the file (HF_INVALID_FORMAT with the line) when
 * passed: a token (string or number, read or not) that reaches more than MAX_BUFFERED_CHARS
 * bytes past the start of the token before it, a record of MAX_JSON_RECORD_BYTES, a header of
 * MAX_JSON_HEADER_BYTES, nesting of MAX_NESTING. Values outside the records are dropped as
 * they complete (`keepStack: false`).
 */
export async function * jsonRecords (input: AsyncIterable<Uint8Array | string>, init: JsonRecordsInit): AsyncGenerator<JsonRecord> {
  const { format, arrayKey } = init
  const tokenizer = new Tokenizer()
  const header = new Map<string, JsonScalar>()
  const out: JsonRecord[] = []

  // line bookkeeping: JSON tokens never contain a raw newline, so a token that started in
  // an earlier chunk is on the line where that chunk ended
  let chunk: Uint8Array = new Uint8Array(0)
  let chunkStart = 0
  let cursor = 0
  let cursorLine = 1
  let nextBreak = Infinity // index in `chunk` of the first newline at or after the cursor
  const lineAt = (offset: number): number => {
    if (offset <= cursor) return cursorLine
    const end = offset - chunkStart
    while (nextBreak < end) {
      cursorLine++
      const i = chunk.indexOf(10, nextBreak + 1)
      nextBreak = i < 0 ? Infinity : i
    }
    cursor = offset
    return cursorLine
  }

  // envelope state, followed from tokens before the token parser exists
  let depth = 0
  let rootClosed = false
  let expectKey = false
  let key: string | undefined
  let arraySeen = false
  let parser: TokenParser | undefined
  let pending: ParsedTokenInfo[] | undefined = []
  const openLines: number[] = []
  let valueLine = 1
  // records are the containers opened at this depth (root object = 1), e.g. 3 for `$.value.*`
  let recordDepth = Infinity
  let recordStart = 0
  let written = 0 // bytes handed to the tokenizer so far
  // where the last whole token started: the tokenizer gathers a string or number whole before
  // it emits it, so the bytes since then bound what it holds
  let lastToken = 0

  const startParser = (paths: string[]): void => {
    recordDepth = Math.min(...paths.map(p => p.split('.').length))
    parser = new TokenParser({ paths, keepStack: false })
    parser.onValue = ({ value }) => { out.push({ line: valueLine, value }) }
    for (const t of pending ?? []) parser.write(t)
    pending = undefined
  }

  tokenizer.onToken = (info: ParsedTokenInfo) => {
    const { token } = info
    const line = lineAt(info.offset)
    lastToken = info.offset
    if (depth >= recordDepth && info.offset - recordStart > MAX_JSON_RECORD_BYTES) {
      throw invalidFormat(format, openLines[recordDepth], `a record larger than ${MAX_JSON_RECORD_BYTES} bytes starts here`)
    }
    if (parser === undefined && info.offset > MAX_JSON_HEADER_BYTES) throw invalidFormat(format, line, `no "${arrayKey}" array within the first ${MAX_JSON_HEADER_BYTES} bytes`)
    if (rootClosed) throw invalidFormat(format, line, 'data after the end of the JSON document')
    if (depth === 0 && token !== TokenType.LEFT_BRACE) throw invalidFormat(format, line, 'expected a JSON object')
    if (depth === 1) {
      if (expectKey && token === TokenType.STRING) {
        key = info.value as string
        expectKey = false
      } else if (token === TokenType.COMMA) {
        expectKey = true
      } else if (token !== TokenType.COLON && !OPEN.has(token) && !CLOSE.has(token) && key !== undefined) {
        if (parser === undefined) header.set(key, info.value as JsonScalar)
      } else if (token === TokenType.LEFT_BRACKET && key === arrayKey && parser === undefined) {
        arraySeen = true
        startParser(init.onArrayStart?.(header, line) ?? [`$.${arrayKey}.*`])
      }
    }
    if (OPEN.has(token)) {
      depth++
      if (depth > MAX_NESTING) throw invalidFormat(format, line, `containers nested deeper than ${MAX_NESTING} levels`)
      if (depth === recordDepth) recordStart = info.offset
      openLines[depth] = line
      if (depth === 1) expectKey = true
    }
    valueLine = CLOSE.has(token) ? openLines[depth] : line
    if (parser !== undefined) parser.write(info)
    else if (pending !== undefined) {
      pending.push(info)
      if (pending.length > MAX_JSON_HEADER_TOKENS) throw invalidFormat(format, line, `no "${arrayKey}" array within the first ${MAX_JSON_HEADER_TOKENS} tokens`)
    }
    if (CLOSE.has(token)) {
      depth--
      if (depth === 0) {
        rootClosed = true
        tokenizer.end()
      }
    }
  }

  const fail = (err: unknown): never => {
    if (isHashfedError(err)) throw err
    throw invalidFormat(format, cursorLine, `invalid JSON: ${err instanceof Error ? err.message : String(err)}`, err)
  }

  for await (const read of asBytes(input)) {
    // in pieces: what the tokenizer gathers is measured after each
    for (let at = 0; at < read.length; at += PARSE_PIECE) {
      const bytes = read.length <= PARSE_PIECE ? read : read.subarray(at, at + PARSE_PIECE)
      chunk = bytes
      const first = bytes.indexOf(10)
      nextBreak = first < 0 ? Infinity : first
      written += bytes.length
      try {
        tokenizer.write(bytes)
      } catch (err) {
        fail(err)
      }
      const line = lineAt(chunkStart + bytes.length)
      chunkStart += bytes.length
      if (written - lastToken > MAX_BUFFERED_CHARS) throw invalidFormat(format, line, `a string, number or blank run longer than ${MAX_BUFFERED_CHARS} bytes`)
    }
    yield * out
    out.length = 0
  }
  chunk = new Uint8Array(0)
  try {
    if (!tokenizer.isEnded) tokenizer.end()
  } catch (err) {
    fail(err)
  }
  if (!rootClosed) throw invalidFormat(format, cursorLine, depth === 0 ? 'empty file: expected a JSON object' : 'truncated: the file ends inside the JSON document')
  if (!arraySeen) {
    // still validate what there was, then report the missing array
    if (pending !== undefined) {
      try {
        const check = new TokenParser()
        check.onValue = () => {}
        for (const t of pending) check.write(t)
      } catch (err) {
        fail(err)
      }
    }
    throw invalidFormat(format, openLines[1], `no "${arrayKey}" array in the JSON object that starts here`)
  }
  yield * out
}
