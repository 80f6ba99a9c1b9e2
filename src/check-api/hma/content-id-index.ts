import type { Logger } from 'pino'
import { pb } from '../../proto/index.js'
import type { Store } from '../../store/store.js'
import type { BatchEvent, HashLog } from '../../log/hash-log.js'
import { decodeBatch } from '../../log/batch.js'
import { algorithmOf } from '../../log/entry-codec.js'
import { formatHashValue } from '../../log/hash-value.js'
import { LruCache } from '../../check/lru-cache.js'
import { contentId, contentIdKey, contentIdPrefix, refOfKey, type ContentRef } from './content-id.js'

/** ids handed out in answers, kept in memory so a look-up right after never waits for the rows */
const RECENT_IDS = 20_000

/**
 * Rows are written once no batch arrived for this long: a sync in progress (a fresh node
 * pulling a million entries) keeps LevelDB to itself, and the rows follow when it is done.
 */
const QUIET_MS = 1000
/** ...but not longer than this after the first batch waiting, so a steady trickle of batches never starves them */
const MAX_WAIT_MS = 60_000
/**
 * A catch-up writes at most this many rows at a time, and before each write waits until no
 * peer's batch was stored for YIELD_MS (at most YIELD_MAX_MS): a backlog (the first start
 * after an import of a million entries) must not hold LevelDB and the event loop while
 * replication receives, verifies and stores batches.
 */
const CHUNK_ROWS = 1000
const YIELD_MS = 250
const YIELD_MAX_MS = 2000

/**
 * Finds what a `bank_content_id` names. Ids are hashes (content-id.ts), so the way back needs
 * rows: `contentIds` in the store, one per value an origin ever added, written from the
 * origins' logs in the background (a cursor per origin, `@<origin>`, says how far): at start,
 * after each batch of our own, and when peers' batches stop arriving (QUIET_MS). Rows are
 * never deleted: a look-up checks the value's provenance, so a retracted value answers 404
 * and a re-added one its old id again.
 */
export class ContentIdIndex {
  private readonly recent = new LruCache<number, ContentRef[]>(RECENT_IDS)
  private running: Promise<void> = Promise.resolve()
  private queued = false
  private closed = false
  private timer: NodeJS.Timeout | null = null
  /** when the oldest batch not yet covered by a scheduled catch-up arrived (0: none) */
  private waitingSince = 0
  /** when the log last stored a peer's batch: catch-up writes yield to replication, not to our own imports (their rows are written at once, as an operator expects) */
  private lastBatchAt = 0
  /** ends a catch-up's wait for a quiet log (close) */
  private wake: (() => void) | null = null
  // our own batches (an operator's import) scheduled at once, peers' (a sync, maybe of millions) when they stop; each write yields to peers' batches (yieldToLog)
  private readonly onBatch = (e: BatchEvent): void => {
    if (e.local) this.schedule()
    else {
      this.lastBatchAt = performance.now()
      this.later()
    }
  }

  constructor (private readonly store: Store, private readonly hashLog: HashLog, private readonly logger: Logger) {}

  start (): void {
    this.hashLog.on('batch', this.onBatch)
    this.schedule()
  }

  async close (): Promise<void> {
    this.closed = true
    this.wake?.()
    if (this.timer !== null) clearTimeout(this.timer)
    this.hashLog.off('batch', this.onBatch)
    await this.running
  }

  /** The id of a value an origin vouches for, remembered for a look-up. */
  idOf (ref: ContentRef): number {
    const id = contentId(ref)
    const known = this.recent.get(id)
    if (known === undefined) this.recent.set(id, [ref])
    else if (!known.some(r => r.origin === ref.origin && r.algorithm === ref.algorithm && r.valueHex === ref.valueHex)) known.push(ref)
    return id
  }

  /** Every entry that has had this id (live or retracted: the caller checks). */
  async find (id: number): Promise<ContentRef[]> {
    const out = [...(this.recent.get(id) ?? [])]
    const prefix = contentIdPrefix(id)
    for await (const key of this.store.sub.contentIds.keys({ gte: prefix, lt: prefix.slice(0, -1) + '"' })) {
      const ref = refOfKey(key)
      if (!out.some(r => r.origin === ref.origin && r.algorithm === ref.algorithm && r.valueHex === ref.valueHex)) out.push(ref)
    }
    return out
  }

  /** Resolves when the rows cover every batch stored so far, without waiting for quiet (bench). */
  async settled (): Promise<void> {
    if (this.timer !== null) {
      clearTimeout(this.timer)
      this.timer = null
      this.schedule()
    }
    let last: Promise<void>
    do { last = this.running; await last } while (last !== this.running)
  }

  /** A catch-up once batches stop arriving for QUIET_MS. */
  private later (): void {
    if (this.closed) return
    if (this.timer !== null) clearTimeout(this.timer)
    const now = Date.now()
    if (this.waitingSince === 0) this.waitingSince = now
    if (now - this.waitingSince >= MAX_WAIT_MS) {
      this.timer = null
      this.schedule()
      return
    }
    this.timer = setTimeout(() => { this.timer = null; this.schedule() }, QUIET_MS)
    this.timer.unref()
  }

  private schedule (): void {
    this.waitingSince = 0
    if (this.queued || this.closed) return
    this.queued = true
    this.running = this.running.then(async () => {
      this.queued = false
      await this.catchUp()
    }).catch((err: unknown) => { this.logger.error({ err }, 'writing bank_content_id rows failed; retried at the next batch') })
  }

  /** Resolves once no batch was stored for YIELD_MS, or after YIELD_MAX_MS (a steady stream must not starve the rows). */
  private async yieldToLog (): Promise<void> {
    const start = performance.now()
    for (;;) {
      const now = performance.now()
      const quietFor = now - this.lastBatchAt
      if (quietFor >= YIELD_MS || now - start >= YIELD_MAX_MS || this.closed) return
      await new Promise<void>(resolve => {
        const t = setTimeout(() => { this.wake = null; resolve() }, Math.min(YIELD_MS - quietFor, YIELD_MAX_MS - (now - start)) + 1)
        // close() ends the wait at once
        this.wake = () => { clearTimeout(t); this.wake = null; resolve() }
      })
    }
  }

  private async catchUp (): Promise<void> {
    const sub = this.store.sub.contentIds
    for (const head of this.hashLog.heads()) {
      const raw = await sub.get(`@${head.origin}`)
      const cursor = raw === undefined ? 0 : Number(Buffer.from(raw).toString('utf8'))
      // one read per batch, not an iterator: a catch-up that yields for minutes must not pin a LevelDB snapshot
      for (let seq = cursor + 1; seq <= head.seq; seq++) {
        const signed = await this.hashLog.getBatch(head.origin, seq)
        if (this.closed) return
        // cut back by a revocation meanwhile: the next catch-up starts from the new head
        if (signed === undefined) break
        const batch = decodeBatch(signed)
        const adds = batch.entries.filter(e => e.op === pb.HashEntry.Op.ADD && e.value != null)
        // a batch's rows in chunks; the cursor moves with its last chunk (rows written twice are the same rows)
        for (let from = 0; from === 0 || from < adds.length; from += CHUNK_ROWS) {
          await this.yieldToLog()
          if (this.closed) return
          const ops: Array<{ type: 'put', key: string, value: Uint8Array }> = []
          for (const e of adds.slice(from, from + CHUNK_ROWS)) {
            const ref: ContentRef = { origin: head.origin, algorithm: algorithmOf(e), valueHex: formatHashValue(e.value as Uint8Array) }
            ops.push({ type: 'put', key: contentIdKey(contentId(ref), ref), value: new Uint8Array(0) })
          }
          if (from + CHUNK_ROWS >= adds.length) ops.push({ type: 'put', key: `@${head.origin}`, value: Buffer.from(String(batch.seq)) })
          await sub.batch(ops)
          // requests get their turn between chunks
          await new Promise(resolve => setImmediate(resolve))
        }
      }
    }
  }
}
