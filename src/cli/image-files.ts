import { readFile } from 'node:fs/promises'
import { ErrorCodes, isHashfedError } from '../errors.js'
import { ImageHashPool } from '../hashing/image-hash-pool.js'
import type { ImageHashes } from '../hashing/hash-image.js'
import { availableParallelism } from 'node:os'

export type FileHashes = { file: string, hashes: ImageHashes } | { file: string, error: { code: string, message: string } }

/**
 * Hashes files on worker threads (one per core), in input order. The bytes are read into
 * memory, hashed and dropped; a file that is not a decodable image gets an error, the others go on.
 */
export async function hashFiles (files: string[]): Promise<FileHashes[]> {
  const pool = new ImageHashPool({ workers: availableParallelism(), maxQueue: Number.MAX_SAFE_INTEGER, maxQueuePerKey: Number.MAX_SAFE_INTEGER })
  const limit = availableParallelism() * 2 // files held in memory at once
  const out: FileHashes[] = new Array(files.length)
  let next = 0
  try {
    await Promise.all(Array.from({ length: Math.min(limit, files.length) }, async () => {
      while (next < files.length) {
        const i = next++
        try {
          out[i] = { file: files[i], hashes: await pool.hash(await readFile(files[i])) }
        } catch (err) {
          out[i] = { file: files[i], error: { code: isHashfedError(err) ? err.code : ErrorCodes.INVALID_ARGUMENT, message: (err as Error).message } }
        }
      }
    }))
  } finally {
    await pool.close()
  }
  return out
}
