import { MAX_LINE_CHARS } from './constants.js'
import type { FormatName } from './format.js'
import { invalidFormat } from './invalid-format.js'

/**
 * Consecutive lines of the input as bytes: line `first + i` is `bytes[starts[i] .. ends[i])`,
 * without its line ending. `starts` and `ends` are reused: a chunk is valid until the next one
 * is asked for.
 */
export interface ByteLineChunk {
  first: number
  count: number
  bytes: Buffer
  starts: Int32Array
  ends: Int32Array
}

/** Decodes one whole line, exactly as a stream decoder gives it mid-stream (a U+FEFF kept). */
const LINE_DECODER = new TextDecoder('utf-8', { ignoreBOM: true })

/**
 * The text of line bytes `bytes[start .. end)`: what textLineChunks (input.ts) gives for that
 * line. A line ends at a `\n`, which no UTF-8 sequence contains, so decoding it alone gives the
 * characters decoding the whole stream gives for it, U+FFFD for invalid bytes included.
 */
export function lineText (bytes: Uint8Array, start: number, end: number): string {
  return LINE_DECODER.decode(bytes.subarray(start, end))
}

/**
 * textLineChunks (input.ts) without decoding: for a parser whose common line is ASCII and is
 * read from its bytes (`lines`), and decodes only its other lines with `lineText`. A
 * million-line file was decoded into a string per read chunk and cut into a string per line,
 * about a fifth of what its import allocated. The same lines, numbers and errors: a byte-order
 * mark is dropped at the start of the input only (as TextDecoder does), and a line is too long
 * when its text is longer than MAX_LINE_CHARS characters (never more than its bytes).
 */
export async function * byteLineChunks (input: AsyncIterable<Uint8Array | string>, format: FormatName): AsyncGenerator<ByteLineChunk> {
  let starts: Int32Array = new Int32Array(1024)
  let ends: Int32Array = new Int32Array(1024)
  let carry: Buffer = EMPTY
  let line = 0
  for await (const chunk of withoutBom(input)) {
    const bytes = carry.length > 0 ? Buffer.concat([carry, chunk]) : chunk
    const first = line + 1
    let count = 0
    let start = 0
    let end = bytes.indexOf(10)
    while (end >= 0) {
      line++
      const stop = end > start && bytes[end - 1] === 13 ? end - 1 : end
      if (stop - start > MAX_LINE_CHARS && lineText(bytes, start, stop).length > MAX_LINE_CHARS) {
        if (count > 0) yield { first, count, bytes, starts, ends }
        throw invalidFormat(format, line, `line longer than ${MAX_LINE_CHARS} characters`)
      }
      if (count === starts.length) {
        starts = grow(starts)
        ends = grow(ends)
      }
      starts[count] = start
      ends[count] = stop
      count++
      start = end + 1
      end = bytes.indexOf(10, start)
    }
    if (count > 0) yield { first, count, bytes, starts, ends }
    carry = start === 0 ? bytes : bytes.subarray(start)
    // what the text path holds of the unfinished line: its decoded characters so far (a
    // sequence cut by the chunk's end is not decoded yet)
    if (carry.length > MAX_LINE_CHARS && new TextDecoder('utf-8', { ignoreBOM: true }).decode(carry, { stream: true }).length > MAX_LINE_CHARS) {
      throw invalidFormat(format, line + 1, `line longer than ${MAX_LINE_CHARS} characters`)
    }
  }
  if (carry.length > 0) {
    line++
    // the text path decodes a sequence the input cut short as one more character here
    if (carry.length > MAX_LINE_CHARS && lineText(carry, 0, carry.length).length > MAX_LINE_CHARS) throw invalidFormat(format, line, `line longer than ${MAX_LINE_CHARS} characters`)
    starts[0] = 0
    ends[0] = carry[carry.length - 1] === 13 ? carry.length - 1 : carry.length
    yield { first: line, count: 1, bytes: carry, starts, ends }
  }
}

const EMPTY = Buffer.alloc(0)

function grow (a: Int32Array): Int32Array {
  const b = new Int32Array(a.length * 2)
  b.set(a)
  return b
}

/** The input as Buffers, a UTF-8 byte-order mark at its start dropped (what TextDecoder does by default). */
async function * withoutBom (input: AsyncIterable<Uint8Array | string>): AsyncGenerator<Buffer> {
  let head: Buffer | null = EMPTY
  for await (const chunk of input) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength)
    if (head === null) {
      yield bytes
      continue
    }
    head = head.length > 0 ? Buffer.concat([head, bytes]) : bytes
    if (head.length < 3) continue
    const rest: Buffer = head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf ? head.subarray(3) : head
    head = null
    if (rest.length > 0) yield rest
  }
  // fewer than three bytes in all: no mark
  if (head !== null && head.length > 0) yield head
}
