import { createHash } from 'node:crypto'
import { pb } from '../proto/index.js'

/**
 * One hashed frame of a video in a vpdq entry (the same shape as hashing's VpdqFrame, which
 * the log cannot import: hashing sits above it).
 */
export interface VpdqFrame {
  frameNumber: number
  /** PDQ quality 0-100 */
  quality: number
  /** 32-byte PDQ hash */
  hash: Uint8Array
  /** seconds from the start, single precision */
  timestamp: number
}

/**
 * Most frames one vpdq entry holds. At ~46 encoded bytes a frame that is ~190 KiB, so a batch
 * (MAX_BATCH_BYTES, 4 MiB) always fits ~20 of the largest entries; 4096 distinct frames is over
 * an hour of video hashed once a second. A longer video is cut to its first 4096 distinct frames
 * when added (its first hour is what a copy most likely shares).
 */
export const VPDQ_ENTRY_MAX_FRAMES = 4096

/**
 * The frames a log entry keeps of a video: the first frame of each distinct hash, in frame
 * order, at most VPDQ_ENTRY_MAX_FRAMES. Low-quality frames are kept (the text form round-trips);
 * matching skips them.
 */
export function entryFrames (features: readonly VpdqFrame[]): VpdqFrame[] {
  const seen = new Set<string>()
  const out: VpdqFrame[] = []
  for (const f of [...features].sort((a, b) => a.frameNumber - b.frameNumber)) {
    const key = Buffer.from(f.hash).toString('hex')
    if (seen.has(key)) continue
    seen.add(key)
    out.push({ frameNumber: f.frameNumber, quality: f.quality, hash: f.hash, timestamp: Math.fround(f.timestamp) })
    if (out.length === VPDQ_ENTRY_MAX_FRAMES) break
  }
  return out
}

/** The frames as the proto message (field names of HashEntry.vpdq). */
export function framesToProto (frames: readonly VpdqFrame[]): { frames: Array<{ hash: Uint8Array, quality: number, frame: number, timestamp: number }> } {
  return { frames: frames.map(f => ({ hash: f.hash, quality: f.quality, frame: f.frameNumber, timestamp: f.timestamp })) }
}

export function framesFromProto (v: { frames?: Array<{ hash?: Uint8Array | null, quality?: number | null, frame?: number | null, timestamp?: number | null }> | null }): VpdqFrame[] {
  return (v.frames ?? []).map(f => ({ hash: f.hash ?? new Uint8Array(0), quality: f.quality ?? 0, frameNumber: f.frame ?? 0, timestamp: f.timestamp ?? 0 }))
}

/**
 * A vpdq entry's value: SHA-256 of its encoded frames. It is the video's key in the log (rows,
 * retraction, `hashes show vpdq:<hex>`), and ties the frames to the signed value: a peer
 * cannot swap the frames under a known value.
 */
export function vpdqValue (frames: readonly VpdqFrame[]): Uint8Array {
  const bytes = pb.VpdqFrames.encode(framesToProto(frames)).finish()
  return new Uint8Array(createHash('sha256').update(bytes).digest())
}

/** What is wrong with a vpdq entry's frames (as `entryFrames` gives them), or null. */
export function framesProblem (frames: unknown, value: Uint8Array): string | null {
  if (!Array.isArray(frames) || frames.length === 0) return 'a vpdq entry has at least one frame'
  if (frames.length > VPDQ_ENTRY_MAX_FRAMES) return `a vpdq entry has at most ${VPDQ_ENTRY_MAX_FRAMES} frames`
  const seen = new Set<string>()
  let last = -1
  for (const f of frames as VpdqFrame[]) {
    if (!(f.hash instanceof Uint8Array) || f.hash.length !== 32) return 'a vpdq frame hash has 32 bytes'
    if (!Number.isInteger(f.quality) || f.quality < 0 || f.quality > 100) return 'a vpdq frame quality is an integer 0-100'
    if (!Number.isInteger(f.frameNumber) || f.frameNumber <= last || f.frameNumber > 0xffffffff) return 'vpdq frame numbers increase'
    if (!Number.isFinite(f.timestamp) || f.timestamp < 0 || Math.fround(f.timestamp) !== f.timestamp) return 'a vpdq timestamp is a single-precision number >= 0'
    const key = Buffer.from(f.hash).toString('hex')
    if (seen.has(key)) return 'vpdq frame hashes are distinct'
    seen.add(key)
    last = f.frameNumber
  }
  if (!Buffer.from(vpdqValue(frames as VpdqFrame[])).equals(value)) return 'a vpdq value is the SHA-256 of its frames'
  return null
}
