import { createHash } from 'node:crypto'
import { formatHashValue } from '../../log/hash-value.js'
import type { ImageHashPool } from '../../hashing/image-hash-pool.js'
import { selectSignalTypes } from './signal-types.js'
import type { Upload } from './upload.js'

/** The signal type name of each algorithm an image gives. */
const PHOTO_SIGNAL: Readonly<Record<string, string>> = { pdq: 'pdq', md5: 'md5', sha1: 'sha1', sha256: 'sha256', blockhash: 'blockhash' }

/**
 * HMA's hashing of an upload: `{ "<signal type>": "<hex>" }`. A photo is hashed on the image
 * workers (PDQ, and our MD5, SHA-1, SHA-256 and blockhash); a video gives its file MD5
 * (`video_md5`). `key` shares the hashing queue fairly between tokens (ImageHashPool).
 */
export async function hashUpload (images: ImageHashPool, upload: Upload, types: string | undefined, key: string): Promise<Record<string, string>> {
  const wanted = selectSignalTypes(upload.content, types)
  const out: Record<string, string> = {}
  if (upload.content === 'video') {
    out.video_md5 = createHash('md5').update(upload.bytes).digest('hex')
    return out
  }
  const hashes = await images.hash(upload.bytes, { key })
  for (const r of hashes.records) {
    const name = PHOTO_SIGNAL[r.algorithm]
    if (name !== undefined && wanted.includes(name)) out[name] = formatHashValue(r.value)
  }
  return out
}
