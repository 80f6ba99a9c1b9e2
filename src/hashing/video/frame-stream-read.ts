import { readSync } from 'node:fs'
import { pdqHashRgb, pdqHashYuv420p } from '../pdq.js'
import { wasmFrameBuffer, type FrameFormat } from '../pdq-wasm.js'
import { yuv420pBytes } from '../yuv420p.js'

/**
 * A video's frames read by the hashing workers themselves from FFmpeg's stdout (a blocking
 * descriptor, blocking-stdout.ts), each whole frame with as few `readSync` calls as the pipe
 * allows, straight into the worker's own frame buffer: no chunk callbacks, no copies on the
 * main thread, no message per frame. Several workers take turns on the one descriptor under
 * a lock in shared memory, so frame i is the i-th frame on the pipe whoever reads it.
 */
export interface StreamJob {
  kind: 'stream'
  id: number
  fd: number
  /** bytes of one frame */
  bytes: number
  width: number
  height: number
  /** packed RGB24 rows, or yuv420p planes @default "rgb24" */
  format?: FrameFormat
  /** frames past this many are counted (one) but not hashed */
  maxFrames: number
  /** false: read the frames only (the bench's transport figure) @default true */
  hash?: boolean
  /** Int32Array: [lock, frames read, stop] shared by the job's workers */
  state: SharedArrayBuffer
}

export interface StreamFrame { index: number, hash: Uint8Array, quality: number }
export interface StreamResult { kind: 'stream', id: number, frames: StreamFrame[], error?: string }

export const STREAM_STATE_BYTES = 3 * 4
const LOCK = 0
export const STREAM_FRAMES_READ = 1
export const STREAM_STOP = 2

/** Reads one whole frame; false at the end of the stream (a partial last frame is dropped). */
function readFrame (fd: number, frame: Uint8Array): boolean {
  let filled = 0
  while (filled < frame.length) {
    const n = readSync(fd, frame, filled, frame.length - filled, null)
    if (n === 0) return false
    filled += n
  }
  return true
}

function lock (state: Int32Array): void {
  while (Atomics.compareExchange(state, LOCK, 0, 1) !== 0) Atomics.wait(state, LOCK, 1)
}

function unlock (state: Int32Array): void {
  Atomics.store(state, LOCK, 0)
  Atomics.notify(state, LOCK, 1)
}

/** One worker's share of a stream job: read a frame in turn, hash it, until the stream ends. */
export function hashStreamFrames (job: StreamJob): StreamResult {
  const state = new Int32Array(job.state)
  // read straight into the PDQ kernel's own frame memory when it takes this size: no copy
  const format = job.format ?? 'rgb24'
  const whole = job.bytes === (format === 'yuv420p' ? yuv420pBytes(job.width, job.height) : job.width * job.height * 3)
  const frame = (whole ? wasmFrameBuffer(job.width, job.height, format) : undefined) ?? new Uint8Array(job.bytes)
  const frames: StreamFrame[] = []
  try {
    for (;;) {
      let index = -1
      lock(state)
      try {
        if (Atomics.load(state, STREAM_STOP) === 0) {
          if (readFrame(job.fd, frame)) {
            index = Atomics.add(state, STREAM_FRAMES_READ, 1)
            if (index >= job.maxFrames) Atomics.store(state, STREAM_STOP, 1)
          } else Atomics.store(state, STREAM_STOP, 1)
        }
      } catch (err) {
        Atomics.store(state, STREAM_STOP, 1)
        throw err
      } finally {
        unlock(state)
      }
      if (index < 0 || index >= job.maxFrames) break
      if (job.hash === false) continue
      const { hash, quality } = format === 'yuv420p' ? pdqHashYuv420p(frame, job.width, job.height) : pdqHashRgb(frame, job.width, job.height)
      frames.push({ index, hash, quality })
    }
    return { kind: 'stream', id: job.id, frames }
  } catch (err) {
    return { kind: 'stream', id: job.id, frames, error: err instanceof Error ? err.message : String(err) }
  }
}
