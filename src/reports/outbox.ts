import type { Logger } from 'pino'
import type { PeerId } from '@libp2p/interface'
import { u64 } from '../log/uint64.js'
import { pb, type hashfed } from '../proto/index.js'
import { hfError, ErrorCodes } from '../errors.js'
import { parsePeerId, peerIdFromBytes, peerIdToBytes } from '../identity/identity.js'
import type { HashfedLibp2p } from '../net/create-libp2p.js'
import type { BatchOp, Store } from '../store/store.js'
import { RETRY_MAX_MS, RETRY_MIN_MS, SEND_CONCURRENCY } from './constants.js'
import { bodyHash, hex, messageRecord, openReceipt, sameBytes, type MessageKind, type Receipt, type ReportMessage, type ReportMessageInit, type Signed } from './report-codec.js'
import { openChannel, type ReportChannel } from './report-protocol.js'
import type { KeyedLock } from './keyed-lock.js'

export type OutboxItem = hashfed.v1.OutboxItem

/**
 * Runs when `target` has receipted an item, under the lock of the item's subject; returns
 * ops written in the same atomic batch that removes the item (e.g. keep the receipt).
 */
export type DeliveredHook = (item: OutboxItem, receipt: Signed, record: Receipt) => Promise<BatchOp[]>

export interface OutboxInit {
  store: Store
  locks: KeyedLock
  logger: Logger
  /** absent when the node is not running: items are stored and wait for the node */
  libp2p?: HashfedLibp2p
  /** member name for logs */
  nameOf?: (peer: string) => string
  /** @default RETRY_MIN_MS (500) */
  retryMinMs?: number
  /** @default RETRY_MAX_MS (30000) */
  retryMaxMs?: number
  /** streams (each sending one message at a time) per target @default SEND_CONCURRENCY (16) */
  concurrency?: number
  /** commits an item with its `with` ops, and a receipt's ops with the item's removal @default store.write */
  write?: (ops: BatchOp[]) => Promise<void>
}

export interface OutboxEntry {
  id: string
  kind: MessageKind | null
  subject: string
  target: string
  targetPeerId: string
  attempts: number
  createdAt: string
  lastError: string | null
  /** null while in flight or waiting for the target to connect */
  nextAttemptAt: string | null
}

interface Pending {
  id: string
  attempts: number
  /** when an item the target refused may be tried again */
  dueAt: number
}

interface TargetQueue {
  peer: string
  items: Map<string, Pending>
  /** ids to send now, oldest first */
  ready: Set<string>
  /** ids the target refused, waiting for their own backoff */
  waiting: Set<string>
  /** delivery loops running, each on its own stream */
  workers: number
  /** consecutive failures to reach the target at all; pauses the whole queue */
  failures: number
  pausedUntil: number
  timer: NodeJS.Timeout | null
}

/**
 * The durable outbox: a message stays in LevelDB until its target returns a valid signed
 * receipt for exactly its bytes, then it is removed atomically with whatever the receipt
 * completes. Delivery is per target: up to `concurrency` streams, each sending one item at a
 * time and reused for the next; when the target
 * cannot be reached the whole queue pauses with exponential backoff (capped) and resumes at
 * once when the target connects; an item the target refuses backs off on its own. Nothing is
 * ever sent to anyone but its target.
 */
export class Outbox {
  /** receipts that failed verification, by target */
  badReceipts = 0
  delivered = 0
  private readonly hooks = new Map<MessageKind, DeliveredHook>()
  private readonly queues = new Map<string, TargetQueue>()
  private readonly running = new Set<Promise<void>>()
  private readonly abort = new AbortController()
  private started = false
  private stopped = false
  private readonly onConnect = (evt: CustomEvent<PeerId>): void => { this.resume(evt.detail.toString()) }

  constructor (private readonly init: OutboxInit) {}

  /** What to do when a message of `kind` has been receipted (one hook per kind). */
  onDelivered (kind: MessageKind, hook: DeliveredHook): void {
    this.hooks.set(kind, hook)
  }

  /**
   * Queues `message` for `target` only. The same signed bytes queued twice are one item.
   * `with` ops are written in the same atomic batch (e.g. the report the message carries).
   */
  async send (target: string, message: ReportMessageInit, opts: { subject: string, with?: BatchOp[] }): Promise<string> {
    const rec = messageRecord(message)
    if (rec === null) throw hfError(ErrorCodes.INVALID_ARGUMENT, 'the outbox sends reports, status updates and feedback only')
    const id = `${rec.kind}-${hex(bodyHash(rec.signed)).slice(0, 40)}`
    const now = Date.now()
    const item: hashfed.v1.OutboxItem.$Properties = {
      id, target: peerIdToBytes(parsePeerId(target)), message, attempts: 0, nextAttemptMs: now, createdMs: now, subject: opts.subject
    }
    await this.commit([...(opts.with ?? []), { type: 'put', sublevel: this.init.store.sub.outbox, key: id, value: pb.OutboxItem.encode(item).finish() }])
    if (this.started) this.enqueue(target, id, 0)
    return id
  }

  private async commit (ops: BatchOp[]): Promise<void> {
    if (this.init.write !== undefined) await this.init.write(ops)
    else await this.init.store.write(ops)
  }

  /** Loads the stored items and starts delivering (only with libp2p). */
  async start (): Promise<void> {
    const { libp2p } = this.init
    if (libp2p === undefined || this.started) return
    // from here on `send` queues in memory too; an item both sent and loaded is queued once
    this.started = true
    const loaded: Array<{ target: string, id: string, attempts: number, created: number }> = []
    for await (const [id, raw] of this.init.store.sub.outbox.iterator()) {
      const item = decodeItem(raw)
      if (item === null) continue
      loaded.push({ target: peerIdFromBytes(item.target).toString(), id, attempts: item.attempts, created: u64(item.createdMs) })
    }
    loaded.sort((a, b) => a.created - b.created)
    for (const l of loaded) this.enqueue(l.target, l.id, l.attempts, false)
    libp2p.addEventListener('peer:connect', this.onConnect)
    for (const q of this.queues.values()) this.kick(q)
    if (loaded.length > 0) this.init.logger.info({ items: loaded.length, targets: this.queues.size }, 'outbox loaded')
  }

  async stop (): Promise<void> {
    this.stopped = true
    this.init.libp2p?.removeEventListener('peer:connect', this.onConnect)
    for (const q of this.queues.values()) if (q.timer !== null) clearTimeout(q.timer)
    this.abort.abort(new Error('outbox stopping'))
    await Promise.allSettled([...this.running])
  }

  /** Items waiting for a receipt (all targets, or one). */
  depth (peer?: string): number {
    if (peer !== undefined) return this.queues.get(peer)?.items.size ?? 0
    let n = 0
    for (const q of this.queues.values()) n += q.items.size
    return n
  }

  depthByPeer (): Record<string, number> {
    return Object.fromEntries([...this.queues.values()].filter(q => q.items.size > 0).map(q => [q.peer, q.items.size]))
  }

  /** Resolves when nothing is in flight or ready to go (tests). */
  async idle (): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running])
  }

  /** The stored items, oldest first, with delivery state. */
  async list (): Promise<OutboxEntry[]> {
    const out: OutboxEntry[] = []
    for await (const [id, raw] of this.init.store.sub.outbox.iterator()) {
      const item = decodeItem(raw)
      if (item === null) continue
      const peer = peerIdFromBytes(item.target).toString()
      const q = this.queues.get(peer)
      const pending = q?.items.get(id)
      let next: number | null = null
      if (pending !== undefined && q !== undefined) next = q.waiting.has(id) ? pending.dueAt : q.ready.has(id) ? Math.max(q.pausedUntil, Date.now()) : null
      out.push({
        id,
        kind: item.message != null ? messageRecord(item.message)?.kind ?? null : null,
        subject: item.subject,
        target: this.init.nameOf?.(peer) ?? peer,
        targetPeerId: peer,
        attempts: pending?.attempts ?? item.attempts,
        createdAt: new Date(u64(item.createdMs)).toISOString(),
        lastError: item.lastError === '' ? null : item.lastError,
        nextAttemptAt: next === null ? null : new Date(next).toISOString()
      })
    }
    return out.sort((a, b) => a.createdAt.localeCompare(b.createdAt))
  }

  private queue (peer: string): TargetQueue {
    let q = this.queues.get(peer)
    if (q === undefined) {
      q = { peer, items: new Map(), ready: new Set(), waiting: new Set(), workers: 0, failures: 0, pausedUntil: 0, timer: null }
      this.queues.set(peer, q)
    }
    return q
  }

  private enqueue (peer: string, id: string, attempts: number, kick = true): void {
    const q = this.queue(peer)
    if (q.items.has(id)) return
    q.items.set(id, { id, attempts, dueAt: 0 })
    q.ready.add(id)
    if (kick) this.kick(q)
  }

  /** The target connected: everything for it is due now. */
  private resume (peer: string): void {
    const q = this.queues.get(peer)
    if (q === undefined || this.stopped) return
    q.failures = 0
    q.pausedUntil = 0
    for (const id of q.waiting) q.ready.add(id)
    q.waiting.clear()
    this.kick(q)
  }

  private kick (q: TargetQueue): void {
    if (this.stopped || !this.started) return
    const now = Date.now()
    if (q.timer !== null) { clearTimeout(q.timer); q.timer = null }
    if (q.pausedUntil <= now) {
      for (const id of q.waiting) {
        const p = q.items.get(id)
        if (p === undefined || p.dueAt <= now) { q.waiting.delete(id); if (p !== undefined) q.ready.add(id) }
      }
      // one more stream only while there is more ready work than streams
      const limit = this.init.concurrency ?? SEND_CONCURRENCY
      while (q.workers < limit && q.ready.size > q.workers) {
        q.workers++
        const run: Promise<void> = this.work(q).catch((err: unknown) => {
          this.init.logger.error({ err, peer: q.peer }, 'outbox delivery failed unexpectedly')
        }).finally(() => {
          this.running.delete(run)
          q.workers--
          this.kick(q)
        })
        this.running.add(run)
      }
    }
    // wake up for the earliest of: the queue's pause ending, a refused item's retry
    let wake = Infinity
    if (q.ready.size > 0 && q.pausedUntil > now) wake = q.pausedUntil
    for (const id of q.waiting) wake = Math.min(wake, Math.max(q.items.get(id)?.dueAt ?? now, q.pausedUntil))
    if (wake !== Infinity) {
      q.timer = setTimeout(() => { q.timer = null; this.kick(q) }, Math.max(0, wake - now))
      q.timer.unref()
    }
  }

  private backoff (n: number): number {
    const min = this.init.retryMinMs ?? RETRY_MIN_MS
    const max = this.init.retryMaxMs ?? RETRY_MAX_MS
    return Math.min(max, min * 2 ** Math.min(n, 20)) * (0.75 + Math.random() * 0.5)
  }

  /** One delivery loop: takes ready items one by one and sends them on one stream. */
  private async work (q: TargetQueue): Promise<void> {
    let channel: ReportChannel | null = null
    const open = async (): Promise<ReportChannel> => {
      channel ??= await openChannel(this.init.libp2p!, q.peer, this.abort.signal)
      return channel
    }
    try {
      while (!this.stopped && q.pausedUntil <= Date.now() && q.ready.size > 0) {
        const id = q.ready.values().next().value as string
        q.ready.delete(id)
        if (!await this.attempt(q, id, open)) {
          (channel as ReportChannel | null)?.abort(new Error('target unreachable'))
          channel = null
          return
        }
      }
    } finally {
      await (channel as ReportChannel | null)?.close()
    }
  }

  /** Sends one item; false when the target could not be reached (the queue is then paused). */
  private async attempt (q: TargetQueue, id: string, open: () => Promise<ReportChannel>): Promise<boolean> {
    const pending = q.items.get(id)
    const raw = await this.init.store.sub.outbox.get(id)
    const item = raw === undefined ? null : decodeItem(raw)
    const rec = item?.message != null ? messageRecord(item.message) : null
    if (pending === undefined || item === null || item.message == null || rec === null) {
      q.items.delete(id)
      return true
    }
    let answer: ReportMessage
    try {
      answer = await (await open()).exchange(item.message, this.abort.signal)
    } catch (err) {
      q.ready.add(id) // keeps its turn
      if (this.stopped) return false
      q.failures++
      q.pausedUntil = Date.now() + this.backoff(q.failures - 1)
      pending.attempts++
      await this.persistFailure(item, pending, (err as Error).message)
      this.init.logger.debug({ peer: q.peer, item: id, err: (err as Error).message }, 'outbox target unreachable')
      return false
    }
    q.failures = 0
    if (answer.kind === 'receipt' && answer.receipt != null) {
      const problem = this.receiptProblem(answer.receipt, item, rec.signed)
      if (problem === null) {
        await this.complete(q, item, rec.kind, answer.receipt)
        return true
      }
      this.badReceipts++
      this.init.logger.warn({ peer: q.peer, item: id, reportId: item.subject, problem }, 'invalid receipt; the item stays in the outbox')
      await this.refused(q, item, pending, `invalid receipt: ${problem}`)
      return true
    }
    const e = answer.error
    if (answer.kind === 'error' && e?.reason === 'quota') {
      // the target takes no more from us for now: the whole queue waits, the item keeps its place
      const wait = Math.min(Math.max(e.retryAfterMs ?? 0, this.init.retryMinMs ?? RETRY_MIN_MS), this.init.retryMaxMs ?? RETRY_MAX_MS)
      q.pausedUntil = Math.max(q.pausedUntil, Date.now() + wait)
      q.ready.add(id)
      await this.persistFailure(item, pending, `${e.code} quota: ${e.message}`)
      this.init.logger.debug({ peer: q.peer, item: id, waitMs: wait }, 'target\'s quota for us is spent; the queue pauses')
      return true
    }
    const why = answer.kind === 'error' ? `${e?.code ?? ''} ${e?.reason ?? ''}: ${e?.message ?? ''}`.trim() : `unexpected answer "${answer.kind ?? 'none'}"`
    this.init.logger.warn({ peer: q.peer, member: this.init.nameOf?.(q.peer), item: id, reportId: item.subject, reason: e?.reason }, 'target refused an outbox item; it stays and is retried')
    await this.refused(q, item, pending, why)
    return true
  }

  private receiptProblem (receipt: Signed, item: OutboxItem, signed: Signed): string | null {
    let r: Receipt
    try {
      r = openReceipt(receipt)
    } catch (err) {
      return (err as Error).message
    }
    if (!sameBytes(r.receiver, item.target)) return 'signed by another peer than the target'
    if (!sameBytes(r.ackedHash, bodyHash(signed))) return 'acknowledges other bytes'
    if (r.reportId !== item.subject) return `names ${r.reportId}, not ${item.subject}`
    return null
  }

  private async complete (q: TargetQueue, item: OutboxItem, kind: MessageKind, receipt: Signed): Promise<void> {
    const hook = this.hooks.get(kind)
    await this.init.locks.run(item.subject, async () => {
      const ops = hook !== undefined ? await hook(item, receipt, openReceipt(receipt)) : []
      await this.commit([...ops, { type: 'del', sublevel: this.init.store.sub.outbox, key: item.id }])
    })
    q.items.delete(item.id)
    this.delivered++
  }

  private async refused (q: TargetQueue, item: OutboxItem, pending: Pending, why: string): Promise<void> {
    pending.attempts++
    pending.dueAt = Date.now() + this.backoff(pending.attempts - 1)
    q.waiting.add(item.id)
    await this.persistFailure(item, pending, why)
  }

  /** Keeps attempts and the last error with the item, for `reports outbox` and after restarts. */
  private async persistFailure (item: OutboxItem, pending: Pending, why: string): Promise<void> {
    if (this.stopped) return
    item.attempts = pending.attempts
    item.lastError = why.slice(0, 500)
    item.nextAttemptMs = pending.dueAt
    await this.init.store.write([{ type: 'put', sublevel: this.init.store.sub.outbox, key: item.id, value: pb.OutboxItem.encode(item).finish() }]).catch(() => {})
  }
}

function decodeItem (raw: Uint8Array): OutboxItem | null {
  try {
    return pb.OutboxItem.decode(raw)
  } catch {
    return null
  }
}
