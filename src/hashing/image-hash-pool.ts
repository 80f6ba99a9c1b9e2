import { Worker } from 'node:worker_threads'
import { availableParallelism } from 'node:os'
import { hfError, ErrorCodes, HashfedError, type ErrorCode } from '../errors.js'
import type { HashRecord } from '../log/entry.js'
import { MAX_IMAGE_PIXELS } from './constants.js'
import type { ImageFormat } from './decode.js'
import type { ImageHashes, ImageHashAlgorithm } from './hash-image.js'

/** What the pool posts to a worker (the bytes are moved, not copied). */
export interface HashJob {
  id: number
  bytes: ArrayBuffer
  maxPixels: number
}

export type HashJobResult =
  | { id: number, ok: true, format: ImageFormat, width: number, height: number, records: HashRecord[] }
  | { id: number, ok: false, code?: ErrorCode, message: string, details?: Record<string, unknown> }

export interface ImageHashPoolInit {
  /** @default availableParallelism() - 1, at least 1 */
  workers?: number
  /**
   * Images waiting for a worker beyond those being hashed; one more is refused with
   * HF_RATE_LIMITED (details.reason 'busy') instead of growing memory without bound (each
   * waiting upload holds its bytes).
   * @default 16
   */
  maxQueue?: number
  /** @default MAX_IMAGE_PIXELS */
  maxPixels?: number
}

interface Pending {
  job: HashJob
  resolve: (h: ImageHashes) => void
  reject: (err: Error) => void
}

interface Slot {
  worker: Worker
  busy: Pending | null
}

/**
 * Hashes images on worker threads: a JPEG decode and PDQ take 0.1-1 s of CPU, which on the
 * main thread would stall every other request of the node. Workers start on first use and are
 * unref'ed, so an idle pool keeps no process alive.
 */
export class ImageHashPool {
  private readonly size: number
  private readonly maxQueue: number
  private readonly maxPixels: number
  private readonly slots: Slot[] = []
  private readonly queue: Pending[] = []
  private nextId = 1
  private closed = false

  constructor (init: ImageHashPoolInit = {}) {
    this.size = Math.max(1, init.workers ?? availableParallelism() - 1)
    this.maxQueue = init.maxQueue ?? 16
    this.maxPixels = init.maxPixels ?? MAX_IMAGE_PIXELS
  }

  /** Like `hashImage`, off the main thread. `bytes` is copied once into the worker's memory. */
  async hash (bytes: Uint8Array): Promise<ImageHashes> {
    if (this.closed) throw hfError(ErrorCodes.INTERNAL, 'the image hash pool is closed')
    if (this.queue.length >= this.maxQueue) {
      throw hfError(ErrorCodes.RATE_LIMITED, 'too many images waiting to be hashed; retry shortly', { reason: 'busy' })
    }
    const copy = new Uint8Array(bytes.byteLength)
    copy.set(bytes)
    return await new Promise<ImageHashes>((resolve, reject) => {
      this.queue.push({ job: { id: this.nextId++, bytes: copy.buffer, maxPixels: this.maxPixels }, resolve, reject })
      this.dispatch()
    })
  }

  /** Images being hashed plus waiting. */
  get pending (): number {
    return this.queue.length + this.slots.filter(s => s.busy !== null).length
  }

  async close (): Promise<void> {
    this.closed = true
    for (const p of this.queue.splice(0)) p.reject(hfError(ErrorCodes.INTERNAL, 'the image hash pool closed'))
    await Promise.all(this.slots.splice(0).map(async s => await s.worker.terminate()))
  }

  private dispatch (): void {
    while (this.queue.length > 0) {
      let slot = this.slots.find(s => s.busy === null)
      if (slot === undefined && this.slots.length < this.size) slot = this.spawn()
      if (slot === undefined) return
      const next = this.queue.shift() as Pending
      slot.busy = next
      slot.worker.ref()
      slot.worker.postMessage(next.job, [next.job.bytes])
    }
  }

  private spawn (): Slot {
    const worker = new Worker(new URL('./image-hash-worker.js', import.meta.url))
    const slot: Slot = { worker, busy: null }
    worker.on('message', (res: HashJobResult) => {
      const p = slot.busy
      slot.busy = null
      worker.unref()
      if (p !== null && p.job.id === res.id) settle(p, res)
      this.dispatch()
    })
    // a worker that dies (out of memory in a decoder, a bug) fails its job and is replaced
    const fail = (err: Error): void => {
      const i = this.slots.indexOf(slot)
      if (i >= 0) this.slots.splice(i, 1)
      const p = slot.busy
      slot.busy = null
      if (p !== null) p.reject(hfError(ErrorCodes.INTERNAL, `image hashing failed: ${err.message}`, undefined, err))
      void worker.terminate().catch(() => {})
      if (!this.closed) this.dispatch()
    }
    worker.on('error', fail)
    worker.on('exit', (code) => { if (this.slots.includes(slot)) fail(new Error(`worker exited with code ${code}`)) })
    worker.unref()
    this.slots.push(slot)
    return slot
  }
}

function settle (p: Pending, res: HashJobResult): void {
  if (!res.ok) {
    p.reject(res.code !== undefined ? new HashfedError(res.code, res.message, { details: res.details }) : hfError(ErrorCodes.INTERNAL, `image hashing failed: ${res.message}`))
    return
  }
  const records = res.records.map(r => ({ ...r, value: new Uint8Array(r.value) }))
  const byAlgorithm = Object.fromEntries(records.map(r => [r.algorithm, r])) as Record<ImageHashAlgorithm, HashRecord>
  p.resolve({ format: res.format, width: res.width, height: res.height, records, byAlgorithm })
}
