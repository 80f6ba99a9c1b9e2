import { MAX_LINE_CHARS } from './constants.js'
import type { FormatName } from './format.js'
import { invalidFormat } from './invalid-format.js'

/** Input chunks as bytes (strings are UTF-8 encoded), so byte-based parsers see one kind. */
export async function * asBytes (input: AsyncIterable<Uint8Array | string>): AsyncGenerator<Uint8Array> {
  for await (const chunk of input) {
    yield typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk
  }
}

/**
 * Input chunks as text. Invalid UTF-8 becomes U+FFFD rather than an exception: the
 * values containing it are then rejected with a reason, like any other bad value.
 */
export async function * asText (input: AsyncIterable<Uint8Array | string>): AsyncGenerator<string> {
  const decoder = new TextDecoder('utf-8')
  for await (const chunk of input) {
    const text = typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true })
    if (text.length > 0) yield text
  }
  const rest = decoder.decode()
  if (rest.length > 0) yield rest
}

export interface TextLine {
  /** 1-based */
  line: number
  /** without the line ending (`\n` or `\r\n`) */
  text: string
}

/** Splits the input into lines; a line longer than MAX_LINE_CHARS means a wrong file. */
export async function * textLines (input: AsyncIterable<Uint8Array | string>, format: FormatName): AsyncGenerator<TextLine> {
  for await (const { first, texts } of textLineChunks(input, format)) {
    for (let i = 0; i < texts.length; i++) yield { line: first + i, text: texts[i] }
  }
}

/** Consecutive lines of the input: `texts[i]` is line `first + i`. */
export interface TextLineChunk {
  first: number
  texts: string[]
}

/**
 * `textLines`, a chunk of the input at a time: one await per read chunk instead of one per
 * line, which was about half of parsing a million-line file, and no object per line (the
 * numbers follow from `first`). The lines before a too-long line are yielded before the
 * error, as `textLines` does.
 */
export async function * textLineChunks (input: AsyncIterable<Uint8Array | string>, format: FormatName): AsyncGenerator<TextLineChunk> {
  let carry = ''
  let line = 0
  for await (const text of asText(input)) {
    const texts: string[] = []
    const first = line + 1
    let start = 0
    let end = text.indexOf('\n')
    if (carry.length > 0) {
      if (end < 0) {
        carry += text
        if (carry.length > MAX_LINE_CHARS) throw invalidFormat(format, line + 1, `line longer than ${MAX_LINE_CHARS} characters`)
        continue
      }
      // the line the chunk before began, joined alone: prepending it to this chunk copied
      // every chunk of the file once more (a tenth of a million-line import's allocation)
      line++
      const joined = carry + text.slice(0, end)
      const whole = joined.charCodeAt(joined.length - 1) === 13 ? joined.slice(0, -1) : joined
      if (whole.length > MAX_LINE_CHARS) throw invalidFormat(format, line, `line longer than ${MAX_LINE_CHARS} characters`)
      texts.push(whole)
      carry = ''
      start = end + 1
      end = text.indexOf('\n', start)
    }
    while (end >= 0) {
      line++
      const stop = end > start && text.charCodeAt(end - 1) === 13 ? end - 1 : end
      if (stop - start > MAX_LINE_CHARS) {
        if (texts.length > 0) yield { first, texts }
        throw invalidFormat(format, line, `line longer than ${MAX_LINE_CHARS} characters`)
      }
      texts.push(text.slice(start, stop))
      start = end + 1
      end = text.indexOf('\n', start)
    }
    if (texts.length > 0) yield { first, texts }
    carry = start === 0 ? text : text.slice(start)
    if (carry.length > MAX_LINE_CHARS) throw invalidFormat(format, line + 1, `line longer than ${MAX_LINE_CHARS} characters`)
  }
  if (carry.length > 0) {
    line++
    yield { first: line, texts: [carry.endsWith('\r') ? carry.slice(0, -1) : carry] }
  }
}
