import type { ImportItem } from '../log/entry.js'
import type { HashListFormat, ParseInit } from './format.js'

/** Items per chunk when a format parses one item at a time. */
const CHUNK_ITEMS = 1024

/**
 * A format's items in chunks: its own `parseChunks` when it has one (one await per read
 * chunk), else its items grouped. Importers walk a million lines this way.
 */
export async function * itemChunks (format: HashListFormat, input: AsyncIterable<Uint8Array | string>, init?: ParseInit): AsyncGenerator<ImportItem[]> {
  if (format.parseChunks !== undefined) {
    yield * format.parseChunks(input, init)
    return
  }
  let chunk: ImportItem[] = []
  for await (const item of format.parse(input, init)) {
    chunk.push(item)
    if (chunk.length >= CHUNK_ITEMS) {
      yield chunk
      chunk = []
    }
  }
  if (chunk.length > 0) yield chunk
}
