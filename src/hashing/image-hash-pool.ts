import { Worker } from 'node:worker_threads'
import { availableParallelism } from 'node:os'
import { hfError, ErrorCodes, HashfedError, type ErrorCode } from '../errors.js'
import type { HashRecord } from '../log/entry.js'
import { IMAGE_HASH_DEADLINE_MS, IMAGE_QUEUE_PER_KEY, IMAGE_WORKER_HEAP_MB, MAX_IMAGE_PIXELS } from './constants.js'
import type { ImageFormat } from './decode.js'
import type { ImageHashes, ImageHashAlgorithm } from './hash-image.js'

/** What the pool posts to a worker (the bytes are moved, not copied). */
export interface HashJob {
  id: number
  bytes: ArrayBuffer
  maxPixels: number
}

export type HashJobResult =
  | { id: number, ok: true, format: ImageFormat, width: number, height: number, records: HashRecord[], pdqVariants?: ImageHashes['pdqVariants'] }
  | { id: number, ok: false, code?: ErrorCode, message: string, details?: Record<string, unknown> }

export interface ImageHashPoolInit {
  /** @default availableParallelism() - 1, at least 1 */
  workers?: number
  /**
   * Images waiting for a worker beyond those being hashed; one more is refused with
   * HF_RATE_LIMITED (details.reason 'busy') instead of growing memory without bound (each
   * waiting upload holds its bytes). A key with nothing waiting is always let in, so a full
   * queue never locks out another key.
   * @default 16
   */
  maxQueue?: number
  /**
   * Images one key may have waiting (its share); one more is refused with HF_RATE_LIMITED
   * (details.reason 'share').
   * @default IMAGE_QUEUE_PER_KEY
   */
  maxQueuePerKey?: number
  /** @default MAX_IMAGE_PIXELS */
  maxPixels?: number
  /**
   * Longest time an image may hold a worker; the worker is then terminated and replaced and
   * the caller gets HF_TOO_LARGE (details.reason 'deadline'). Infinity: no deadline.
   * @default IMAGE_HASH_DEADLINE_MS
   */
  deadlineMs?: number
  /** @default IMAGE_WORKER_HEAP_MB */
  workerHeapMb?: number
}

export interface HashOptions {
  /**
   * Whose image this is (a check token's hoster): waiting images are served round-robin
   * across keys, so one key cannot hold up another's.
   * @default ''
   */
  key?: string
}

interface Pending {
  job: HashJob
  key: string
  resolve: (h: ImageHashes) => void
  reject: (err: Error) => void
}

interface Slot {
  worker: Worker
  busy: Pending | null
  deadline: NodeJS.Timeout | null
}

/**
 * Hashes images on worker threads: a JPEG decode and PDQ take 0.1-1 s of CPU, which on the
 * main thread would stall every other request of the node. Workers start on first use and are
 * unref'ed, so an idle pool keeps no process alive.
 *
 * Fair to its callers: each key (a check token) has its own queue with a bounded share, and a
 * free worker takes the next image from the keys in turn (round-robin); an image that overruns
 * its deadline loses its worker, so no upload holds one for long.
 */
export class ImageHashPool {
  private readonly size: number
  private readonly maxQueue: number
  private readonly maxQueuePerKey: number
  private readonly maxPixels: number
  private readonly deadlineMs: number
  private readonly workerHeapMb: number
  private readonly slots: Slot[] = []
  /** waiting images per key; Map order is the round-robin order (a served key moves to the end) */
  private readonly queues = new Map<string, Pending[]>()
  private waiting = 0
  private nextId = 1
  private closed = false

  constructor (init: ImageHashPoolInit = {}) {
    this.size = Math.max(1, init.workers ?? availableParallelism() - 1)
    this.maxQueue = init.maxQueue ?? 16
    this.maxQueuePerKey = init.maxQueuePerKey ?? IMAGE_QUEUE_PER_KEY
    this.maxPixels = init.maxPixels ?? MAX_IMAGE_PIXELS
    this.deadlineMs = init.deadlineMs ?? IMAGE_HASH_DEADLINE_MS
    this.workerHeapMb = init.workerHeapMb ?? IMAGE_WORKER_HEAP_MB
  }

  /** Like `hashImage`, off the main thread. `bytes` is copied once into the worker's memory. */
  async hash (bytes: Uint8Array, options: HashOptions = {}): Promise<ImageHashes> {
    if (this.closed) throw hfError(ErrorCodes.INTERNAL, 'the image hash pool is closed')
    const key = options.key ?? ''
    const mine = this.queues.get(key)?.length ?? 0
    if (mine >= this.maxQueuePerKey) {
      throw hfError(ErrorCodes.RATE_LIMITED, `${mine} images of this client are already waiting to be hashed; retry when one is answered`, { reason: 'share', waiting: mine })
    }
    if (mine > 0 && this.waiting >= this.maxQueue) {
      throw hfError(ErrorCodes.RATE_LIMITED, 'too many images waiting to be hashed; retry shortly', { reason: 'busy' })
    }
    const copy = new Uint8Array(bytes.byteLength)
    copy.set(bytes)
    return await new Promise<ImageHashes>((resolve, reject) => {
      const p: Pending = { job: { id: this.nextId++, bytes: copy.buffer, maxPixels: this.maxPixels }, key, resolve, reject }
      const queue = this.queues.get(key)
      if (queue === undefined) this.queues.set(key, [p])
      else queue.push(p)
      this.waiting++
      this.dispatch()
    })
  }

  /** Images being hashed plus waiting. */
  get pending (): number {
    return this.waiting + this.slots.filter(s => s.busy !== null).length
  }

  async close (): Promise<void> {
    this.closed = true
    for (const queue of this.queues.values()) for (const p of queue) p.reject(hfError(ErrorCodes.INTERNAL, 'the image hash pool closed'))
    this.queues.clear()
    this.waiting = 0
    await Promise.all(this.slots.splice(0).map(async s => {
      if (s.deadline !== null) clearTimeout(s.deadline)
      await s.worker.terminate()
    }))
  }

  /** The next image in round-robin order across keys. */
  private take (): Pending | undefined {
    for (const [key, queue] of this.queues) {
      const next = queue.shift() as Pending
      this.queues.delete(key)
      if (queue.length > 0) this.queues.set(key, queue) // to the back of the round
      this.waiting--
      return next
    }
    return undefined
  }

  private dispatch (): void {
    while (this.waiting > 0) {
      let slot = this.slots.find(s => s.busy === null)
      if (slot === undefined && this.slots.length < this.size) slot = this.spawn()
      if (slot === undefined) return
      const next = this.take() as Pending
      slot.busy = next
      slot.worker.ref()
      const s = slot
      if (Number.isFinite(this.deadlineMs)) s.deadline = setTimeout(() => { this.overran(s, next) }, this.deadlineMs)
      slot.worker.postMessage(next.job, [next.job.bytes])
    }
  }

  /** The image took too long: its worker is stopped (the only way to interrupt a decoder) and replaced on demand. */
  private overran (slot: Slot, p: Pending): void {
    if (slot.busy !== p) return
    this.retire(slot)
    p.reject(hfError(ErrorCodes.TOO_LARGE, `the image could not be hashed within ${this.deadlineMs} ms: too costly to decode, refused`, { reason: 'deadline', deadlineMs: this.deadlineMs }))
    if (!this.closed) this.dispatch()
  }

  /** Takes a slot out of service and stops its worker; returns the job it held. */
  private retire (slot: Slot): Pending | null {
    const i = this.slots.indexOf(slot)
    if (i >= 0) this.slots.splice(i, 1)
    if (slot.deadline !== null) clearTimeout(slot.deadline)
    slot.deadline = null
    const p = slot.busy
    slot.busy = null
    void slot.worker.terminate().catch(() => {})
    return p
  }

  private spawn (): Slot {
    const worker = new Worker(new URL('./image-hash-worker.js', import.meta.url), {
      resourceLimits: { maxOldGenerationSizeMb: this.workerHeapMb }
    })
    const slot: Slot = { worker, busy: null, deadline: null }
    worker.on('message', (res: HashJobResult) => {
      const p = slot.busy
      slot.busy = null
      if (slot.deadline !== null) clearTimeout(slot.deadline)
      slot.deadline = null
      worker.unref()
      if (p !== null && p.job.id === res.id) settle(p, res)
      this.dispatch()
    })
    // a worker that dies (out of memory in a decoder, a bug) fails its job and is replaced
    const fail = (err: Error & { code?: string }): void => {
      if (!this.slots.includes(slot)) return
      const p = this.retire(slot)
      if (p !== null) {
        p.reject(err.code === 'ERR_WORKER_OUT_OF_MEMORY'
          ? hfError(ErrorCodes.TOO_LARGE, 'the image needs more memory to decode than a hashing worker has: refused', { reason: 'memory', workerHeapMb: this.workerHeapMb })
          : hfError(ErrorCodes.INTERNAL, `image hashing failed: ${err.message}`, undefined, err))
      }
      if (!this.closed) this.dispatch()
    }
    worker.on('error', fail)
    worker.on('exit', (code) => { fail(new Error(`worker exited with code ${code}`)) })
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
  const pdqVariants = res.pdqVariants === undefined ? undefined : Object.fromEntries(Object.entries(res.pdqVariants).map(([t, v]) => [t, new Uint8Array(v as Uint8Array)]))
  p.resolve({ format: res.format, width: res.width, height: res.height, records, byAlgorithm, ...(pdqVariants !== undefined ? { pdqVariants } : {}) })
}
