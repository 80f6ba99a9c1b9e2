/** Output is gathered into chunks of about this many characters: one per record is slow. */
const CHUNK_CHARS = 64 * 1024

/**
 * Renders each item and yields the text in chunks of ~64 KiB. `render` returns '' for an
 * item it skips.
 */
export async function * chunked<T> (items: AsyncIterable<T>, render: (item: T) => string): AsyncGenerator<string> {
  let out = ''
  for await (const item of items) {
    out += render(item)
    if (out.length >= CHUNK_CHARS) {
      yield out
      out = ''
    }
  }
  if (out.length > 0) yield out
}
