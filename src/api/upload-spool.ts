import { randomBytes } from 'node:crypto'
import { createReadStream, createWriteStream } from 'node:fs'
import { mkdir, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { Transform, type Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { hfError, isHashfedError, ErrorCodes } from '../errors.js'

/** what a client going away mid-upload looks like */
const CUT_OFF = new Set(['ECONNRESET', 'ERR_STREAM_PREMATURE_CLOSE', 'ECONNABORTED'])

/** An uploaded body on disk: read it as often as needed, then remove it. */
export interface SpooledUpload {
  bytes: number
  open: () => Readable
  remove: () => Promise<void>
}

/**
 * Writes an upload to a fresh 0600 file in `folder` (0700), streaming, so memory stays flat
 * whatever its size; over `limit` bytes it is refused (HF_TOO_LARGE) and nothing is kept.
 * A hash list is read twice by the importer (check, then write), and a request body once.
 */
export async function spoolUpload (body: Readable | undefined, folder: string, limit: number): Promise<SpooledUpload> {
  await mkdir(folder, { recursive: true, mode: 0o700 })
  const path = join(folder, `upload-${randomBytes(12).toString('hex')}`)
  const remove = async (): Promise<void> => { await rm(path, { force: true }) }
  let bytes = 0
  const counter = new Transform({
    transform (chunk: Buffer, _enc, done) {
      bytes += chunk.length
      if (bytes > limit) done(hfError(ErrorCodes.TOO_LARGE, `the upload is over ${limit} bytes`, { limit }))
      else done(null, chunk)
    }
  })
  const out = createWriteStream(path, { flags: 'wx', mode: 0o600 })
  try {
    if (body === undefined) await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => { err != null ? reject(err) : resolve() }))
    else await pipeline(body, counter, out)
  } catch (err) {
    out.destroy()
    await remove()
    if (isHashfedError(err) || !CUT_OFF.has((err as NodeJS.ErrnoException).code ?? '')) throw err
    throw hfError(ErrorCodes.INVALID_ARGUMENT, 'the upload ended before its last byte', undefined, err)
  }
  return { bytes, open: () => createReadStream(path), remove }
}

/** Removes uploads a crash left behind (called when the admin API starts). */
export async function clearUploads (folder: string): Promise<void> {
  await rm(folder, { recursive: true, force: true })
}
