import { Worker } from 'node:worker_threads'
import { availableParallelism } from 'node:os'
import { hfError, ErrorCodes } from '../../errors.js'
import type { PdqResult } from '../pdq.js'
import type { FrameFormat } from '../pdq-wasm.js'
import { STREAM_FRAMES_READ, STREAM_STATE_BYTES, STREAM_STOP, type StreamFrame, type StreamJob, type StreamResult } from './frame-stream-read.js'

/**
 * A frame to hash: in shared memory (the pool's own frame buffers: nothing moves, nothing is
 * copied), or in a plain buffer moved to the worker and moved back.
 */
export interface FrameJob { id: number, rgb: SharedArrayBuffer | ArrayBuffer, width: number, height: number, format: FrameFormat }
/** a plain (moved) buffer comes back in `rgb`; a shared one stays where it is (`rgb` absent) */
export interface FrameResult { id: number, hash: Uint8Array, quality: number, rgb?: ArrayBuffer }

/**
 * Most bytes of spare frame buffers a pool keeps for reuse: a few SD/HD frames' worth, so a
 * long-lived pool (the check API's) holds little memory after a large video.
 */
const SPARE_BYTES = 32 * 1024 * 1024

/**
 * Workers for frame hashing: the cores beside FFmpeg's, 2 to 4. At least two even on two
 * cores: the workers read FFmpeg's output in turn (frame-stream-read.ts), and while one
 * hashes a frame the other is already reading the next; with one alone, FFmpeg blocks on
 * its write (a frame is several times the pipe's buffer) for as long as a frame's hashing.
 */
export function defaultFrameThreads (): number {
  return Math.max(2, Math.min(4, availableParallelism() - 1))
}

/** Frames' pixels live outside the V8 heap; a worker's heap holds only a few small arrays. */
const FRAME_WORKER_HEAP_MB = 64

/**
 * PDQ-hashes video frames on worker threads, so hashing keeps pace with FFmpeg's (itself
 * multi-threaded) decoder instead of one JS thread bounding the rate. Frames are decoded into
 * shared memory the pool hands out (`buffer`), so a job is a message of a few bytes: moving a
 * megabyte buffer to a worker and back each frame cost about 0.7 ms of CPU per 480x720 frame
 * (median of 12 runs each way; PDQ itself takes about 3). Jobs go to the worker with the least queued; `hash` resolves in any
 * order, callers sort by frame number.
 */
export class FrameHashPool {
  private readonly workers: Worker[] = []
  private readonly queued: number[] = []
  private readonly waiting = new Map<number, { resolve: (r: PdqResult) => void, reject: (e: unknown) => void, worker: number, shared?: SharedArrayBuffer }>()
  private readonly streams = new Map<number, { pending: Set<number>, frames: StreamFrame[], error?: string, state: Int32Array, settle: () => void }>()
  private nextId = 0
  private closed = false
  /** frame buffers free for the next frames */
  private readonly spare: SharedArrayBuffer[] = []
  private spareBytes = 0

  /** @param size - worker threads @default defaultFrameThreads() */
  constructor (size = defaultFrameThreads()) {
    for (let w = 0; w < size; w++) {
      const worker = new Worker(new URL('./frame-hash-worker.js', import.meta.url), { resourceLimits: { maxOldGenerationSizeMb: FRAME_WORKER_HEAP_MB } })
      worker.on('message', (r: FrameResult | StreamResult) => {
        if ('kind' in r) { this.streamPart(w, r); return }
        const p = this.waiting.get(r.id)
        if (p === undefined) return
        this.waiting.delete(r.id)
        this.queued[p.worker]--
        if (p.shared !== undefined && this.spareBytes + p.shared.byteLength <= SPARE_BYTES) {
          this.spare.push(p.shared)
          this.spareBytes += p.shared.byteLength
        }
        p.resolve({ hash: new Uint8Array(r.hash), quality: r.quality })
      })
      worker.on('error', err => { this.fail(w, err) })
      worker.on('exit', () => { if (!this.closed) this.fail(w, new Error('frame hashing worker exited')) })
      this.workers.push(worker)
      this.queued.push(0)
    }
  }

  get size (): number { return this.workers.length }

  /** Frames handed out and not yet answered. */
  get inFlight (): number { return this.waiting.size }

  /**
   * A buffer of `bytes` bytes for a frame to hash, in memory the workers share: a free one
   * or a new one. Given to `hash`, it is reused for a later frame once the hash resolves.
   */
  buffer (bytes: number): Uint8Array {
    while (this.spare.length > 0) {
      const b = this.spare.pop() as SharedArrayBuffer
      this.spareBytes -= b.byteLength
      if (b.byteLength === bytes) return new Uint8Array(b)
    }
    return new Uint8Array(new SharedArrayBuffer(bytes))
  }

  /**
   * PDQ of one packed RGB frame (or yuv420p planes, `format`). A whole buffer from `buffer` is shared with the worker and
   * must not be written until this resolves (it is then reused for a later frame); any other
   * frame's buffer is moved to the worker (unusable after), or copied when it is a view.
   */
  async hash (rgb: Uint8Array, width: number, height: number, format: FrameFormat = 'rgb24'): Promise<PdqResult> {
    if (this.closed) throw hfError(ErrorCodes.INTERNAL, 'frame hash pool is closed')
    let w = 0
    for (let k = 1; k < this.workers.length; k++) if (this.queued[k] < this.queued[w]) w = k
    const id = this.nextId++
    const whole = rgb.byteOffset === 0 && rgb.byteLength === rgb.buffer.byteLength
    const shared = whole && rgb.buffer instanceof SharedArrayBuffer ? rgb.buffer : undefined
    const buffer = shared ?? (whole ? rgb.buffer as ArrayBuffer : rgb.slice().buffer)
    const job: FrameJob = { id, rgb: buffer, width, height, format }
    return await new Promise<PdqResult>((resolve, reject) => {
      this.waiting.set(id, { resolve, reject, worker: w, shared })
      this.queued[w]++
      this.workers[w].postMessage(job, shared === undefined ? [buffer as ArrayBuffer] : [])
    })
  }

  /**
   * Reads and hashes a whole video's frames from FFmpeg's blocking stdout descriptor on all
   * the workers in turn (frame-stream-read.ts). Settles only once no worker reads `fd` any
   * more, so the caller may then close it. `frames` counts the whole frames read (at most
   * `maxFrames + 1`: one past the limit is read to tell that there was one), `hashes` those
   * hashed, in any order.
   */
  async hashStream (fd: number, frame: { bytes: number, width: number, height: number, format?: FrameFormat, maxFrames: number, hash?: boolean }): Promise<{ frames: number, hashes: StreamFrame[] }> {
    if (this.closed) throw hfError(ErrorCodes.INTERNAL, 'frame hash pool is closed')
    const id = this.nextId++
    const shared = new SharedArrayBuffer(STREAM_STATE_BYTES)
    const state = new Int32Array(shared)
    const job: StreamJob = { kind: 'stream', id, fd, ...frame, state: shared }
    return await new Promise((resolve, reject) => {
      const entry = {
        pending: new Set(this.workers.keys()),
        frames: [] as StreamFrame[],
        error: undefined as string | undefined,
        state,
        settle: () => {
          if (entry.error !== undefined) reject(hfError(ErrorCodes.INTERNAL, `frame hashing failed: ${entry.error}`))
          else resolve({ frames: Atomics.load(state, STREAM_FRAMES_READ), hashes: entry.frames })
        }
      }
      this.streams.set(id, entry)
      this.workers.forEach((worker, w) => { this.queued[w]++; worker.postMessage(job) })
    })
  }

  private streamPart (worker: number, r: StreamResult): void {
    const s = this.streams.get(r.id)
    if (s === undefined || !s.pending.delete(worker)) return
    this.queued[worker]--
    for (const f of r.frames) s.frames.push(f)
    if (r.error !== undefined) s.error ??= r.error
    if (s.pending.size > 0) return
    this.streams.delete(r.id)
    s.settle()
  }

  async close (): Promise<void> {
    if (this.closed) return
    this.closed = true
    for (const [id, p] of this.waiting) { this.waiting.delete(id); p.reject(hfError(ErrorCodes.INTERNAL, 'frame hash pool closed')) }
    for (const [id, s] of this.streams) { this.streams.delete(id); Atomics.store(s.state, STREAM_STOP, 1); s.error ??= 'frame hash pool closed'; s.settle() }
    await Promise.all(this.workers.map(async w => await w.terminate()))
  }

  private fail (worker: number, err: unknown): void {
    for (const [id, s] of this.streams) {
      // the others stop at their next frame (or at FFmpeg's end, when killed on the deadline)
      Atomics.store(s.state, STREAM_STOP, 1)
      this.streamPart(worker, { kind: 'stream', id, frames: [], error: err instanceof Error ? err.message : String(err) })
    }
    for (const [id, p] of this.waiting) {
      if (p.worker !== worker) continue
      this.waiting.delete(id)
      p.reject(hfError(ErrorCodes.INTERNAL, `frame hashing failed: ${err instanceof Error ? err.message : String(err)}`))
    }
  }
}
