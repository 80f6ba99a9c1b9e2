import { readdir, readFile, stat } from 'node:fs/promises'
import { extname, join, resolve } from 'node:path'
import { hfError, ErrorCodes, isHashfedError } from '../errors.js'
import type { ImageHashes } from '../hashing/hash-image.js'
import type { HashRecord } from '../log/entry.js'
import type { VpdqFeature } from '../hashing/video/vpdq.js'
import { digests } from '../hashing/digests.js'
import { hashFiles } from './image-files.js'

/** File name endings taken from folders; files named on the command line are always tried. */
const IMAGE_EXTENSIONS = new Set(['.jpg', '.jpeg', '.jpe', '.png', '.gif', '.webp'])
const VIDEO_EXTENSIONS = new Set(['.mp4', '.m4v', '.mov', '.mkv', '.webm', '.avi', '.flv', '.mpg', '.mpeg', '.ts', '.wmv', '.asf', '.3gp', '.ogv'])

/** Files named, and image and video files under folders named (recursively, sorted), each once. */
export async function collectMediaFiles (paths: string[]): Promise<string[]> {
  const out = new Set<string>()
  const walk = async (dir: string): Promise<void> => {
    for (const entry of (await readdir(dir, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = join(dir, entry.name)
      const ext = extname(entry.name).toLowerCase()
      if (entry.isDirectory()) await walk(p)
      else if (entry.isFile() && (IMAGE_EXTENSIONS.has(ext) || VIDEO_EXTENSIONS.has(ext))) out.add(p)
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

export interface VideoOptions {
  /** hash one frame every this many seconds (0: every frame) @default 1 */
  secondsPerHash?: number
  ffmpegPath?: string
  /** try decoding non-images as video (vPDQ) @default true */
  video?: boolean
}

export type MediaHashes =
  | { file: string, kind: 'image', exact: HashRecord[], image: ImageHashes }
  | { file: string, kind: 'video', exact: HashRecord[], features: VpdqFeature[], video: { width: number, height: number, fps: number } }
  /** neither image nor video: its exact hashes only; `why` says why it is not a video */
  | { file: string, kind: 'file', exact: HashRecord[], why: string }
  | { file: string, kind: 'error', error: { code: string, message: string } }

function exactOf (bytes: Uint8Array, media?: 'image' | 'video'): HashRecord[] {
  const d = digests(bytes)
  return (['sha256', 'sha1', 'md5'] as const).map(a => ({ algorithm: a, value: d[a], ...(media !== undefined ? { media } : {}) }))
}

/**
 * Hashes any files, in input order: images (on the image workers) get their five hashes;
 * other files their SHA-256, SHA-1 and MD5, and when FFmpeg decodes them as a video, its vPDQ
 * frames (one video at a time: FFmpeg and the frame workers use every core). Bytes are read
 * into memory, hashed and dropped: nothing is written.
 */
export async function hashMediaFiles (files: string[], opts: VideoOptions = {}): Promise<MediaHashes[]> {
  const images = await hashFiles(files)
  const out: MediaHashes[] = []
  for (const h of images) {
    if (!('error' in h)) {
      out.push({ file: h.file, kind: 'image', exact: h.hashes.records.filter(r => r.algorithm === 'sha256' || r.algorithm === 'sha1' || r.algorithm === 'md5'), image: h.hashes })
      continue
    }
    // a video is usually over the image size limit: try it as one unless it is named as an image
    const notImage = h.error.code === ErrorCodes.INVALID_IMAGE || (h.error.code === ErrorCodes.TOO_LARGE && !IMAGE_EXTENSIONS.has(extname(h.file).toLowerCase()))
    if (!notImage) { out.push({ file: h.file, kind: 'error', error: h.error }); continue }
    let bytes: Uint8Array
    try {
      bytes = await readFile(h.file)
    } catch (err) {
      out.push({ file: h.file, kind: 'error', error: { code: ErrorCodes.INVALID_ARGUMENT, message: (err as Error).message } })
      continue
    }
    if (opts.video === false) { out.push({ file: h.file, kind: 'file', exact: exactOf(bytes), why: 'not an image' }); continue }
    try {
      const { hashVideoVpdq } = await import('../hashing/video/vpdq.js')
      const v = await hashVideoVpdq(bytes, { secondsPerHash: opts.secondsPerHash ?? 1, ffmpegPath: opts.ffmpegPath })
      out.push({ file: h.file, kind: 'video', exact: exactOf(bytes, 'video'), features: v.features, video: { width: v.info.width, height: v.info.height, fps: v.info.fps } })
    } catch (err) {
      if (isHashfedError(err, ErrorCodes.INVALID_VIDEO)) out.push({ file: h.file, kind: 'file', exact: exactOf(bytes), why: 'neither an image nor a video' })
      else out.push({ file: h.file, kind: 'error', error: { code: isHashfedError(err) ? err.code : ErrorCodes.INVALID_ARGUMENT, message: (err as Error).message } })
    }
  }
  return out
}

/** Frames as JSON (the `check.video` and `hashes.add` operations, `hash --vpdq --json`). */
export function framesJson (features: readonly VpdqFeature[]): Array<{ frame: number, quality: number, hash: string, timestamp: number }> {
  return features.map(f => ({ frame: f.frameNumber, quality: f.quality, hash: Buffer.from(f.hash).toString('hex'), timestamp: f.timestamp }))
}
