import { readdir, readFile, stat } from 'node:fs/promises'
import { extname, join, resolve } from 'node:path'
import { hfError, ErrorCodes, isHashfedError } from '../errors.js'
import { ImageHashPool } from '../hashing/image-hash-pool.js'
import type { ImageHashes } from '../hashing/hash-image.js'
import { availableParallelism } from 'node:os'

/** File name endings taken from folders; files named on the command line are always tried. */
const IMAGE_EXTENSIONS = new Set(['.jpg', '.jpeg', '.jpe', '.png', '.gif', '.webp'])

/** Files named, and image files under folders named (recursively, sorted), each once. */
export async function collectImageFiles (paths: string[]): Promise<string[]> {
  const out = new Set<string>()
  const walk = async (dir: string): Promise<void> => {
    for (const entry of (await readdir(dir, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = join(dir, entry.name)
      if (entry.isDirectory()) await walk(p)
      else if (entry.isFile() && IMAGE_EXTENSIONS.has(extname(entry.name).toLowerCase())) out.add(p)
    }
  }
  for (const path of paths) {
    const abs = resolve(path)
    let st
    try { st = await stat(abs) } catch { throw hfError(ErrorCodes.INVALID_ARGUMENT, `cannot read ${path}`) }
    if (st.isDirectory()) await walk(abs)
    else out.add(abs)
  }
  return [...out]
}

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
