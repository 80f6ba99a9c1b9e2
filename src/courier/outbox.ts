import type { Logger } from 'pino'
import type { PeerId } from '@libp2p/interface'
import { hfError, ErrorCodes } from '../errors.js'
import { parsePeerId, peerIdToBytes } from '../identity/identity.js'
import type { HashfedLibp2p } from '../net/create-libp2p.js'
import type { BatchOp, Store } from '../store/store.js'
import { openChannel, type CourierChannel } from './channel.js'
import type { Clock } from './clock.js'
import { messageRecord, type Envelope, type EnvelopeInit, type MessageKind } from './envelope.js'
import { OutboxScheduler, type Pending, type SchedulerInit } from './outbox-scheduler.js'
import { OutboxStore, type OutboxItem, type ReadItem } from './outbox-store.js'
import { openedReceiptProblem, openReceipt, receiptProblem, type Receipt } from './receipts.js'
import { underLocks, type SubjectLocks } from './lock-all.js'
import { SEND_BATCH_BYTES, SEND_BATCH_ITEMS } from './constants.js'
import type { hashfed } from '../proto/index.js'
import type { SetAside } from './set-aside.js'
import { outboxKey } from '../store/layout.js'
import { bodyHash, hex, type Signed } from './signed-record.js'

export type { OutboxItem } from './outbox-store.js'
export type { SubjectLocks } from './lock-all.js'

/**
 * Runs when `target` has receipted an item, under the lock of the item's subject; returns
 * ops written in the same atomic batch that removes the item (e.g. keep the receipt).
 */
export type DeliveredHook = (item: OutboxItem, receipt: Signed, record: Receipt) => Promise<BatchOp[]>


export interface OutboxInit extends Pick<SchedulerInit, 'retryMinMs' | 'retryMaxMs' | 'concurrency' | 'random'> {
  store: Store
  locks: SubjectLocks
  logger: Logger
  setAside: SetAside
  /** absent when the node is not running: items are stored and wait for the node */
  libp2p?: HashfedLibp2p
  /** member name for logs */
  nameOf?: (peer: string) => string
  /** commits an item with its `with` ops, and a receipt's ops with the item's removal @default store.write */
  write?: (ops: BatchOp[]) => Promise<void>
  clock?: Clock
  /** offer protocol 1.1.0 (batches) @default true; false: as the previous version (tests) */
  batching?: boolean
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

/**
 * The durable outbox: a message stays in LevelDB until its target returns a valid signed
 * receipt for exactly its bytes, then it is removed atomically with whatever the receipt
 * completes. Delivery is per target: up to `concurrency` streams, each sending one item at a
 * time and reused for the next; when to try what is the scheduler's (outbox-scheduler.ts).
 * Nothing is ever sent to anyone but its target.
 */
export class Outbox {
  /** receipts that failed verification */
  badReceipts = 0
  delivered = 0
  private readonly hooks = new Map<MessageKind, DeliveredHook>()
  private readonly rows: OutboxStore
  private readonly scheduler: OutboxScheduler
  private readonly abort = new AbortController()
  private started = false
  private stopped = false
  private readonly onConnect = (evt: CustomEvent<PeerId>): void => { this.scheduler.resume(evt.detail.toString()) }

  constructor (private readonly init: OutboxInit) {
    this.rows = new OutboxStore(init.store, init.setAside)
    this.scheduler = new OutboxScheduler({
      ...init,
      work: async (peer) => { await this.work(peer) },
      onWorkError: (peer, err) => { init.logger.error({ err, peer }, 'outbox delivery failed unexpectedly') }
    })
  }

  private now (): number {
    return this.init.clock?.now() ?? Date.now()
  }

  /** What to do when a message of `kind` has been receipted (one hook per kind). */
  onDelivered (kind: MessageKind, hook: DeliveredHook): void {
    this.hooks.set(kind, hook)
  }

  /**
   * Queues `message` for `target` only. The same signed bytes queued twice are one item.
   * `with` ops are written in the same atomic batch (e.g. the report the message carries).
   */
  async send (target: string, message: EnvelopeInit, opts: { subject: string, with?: BatchOp[] }): Promise<string> {
    const rec = messageRecord(message)
    if (rec === null) throw hfError(ErrorCodes.INVALID_ARGUMENT, 'the outbox sends signed records only; a receipt or an error is only ever an answer')
    const id = outboxKey(rec.kind, hex(bodyHash(rec.signed)))
    const now = this.now()
    const item = { id, target: peerIdToBytes(parsePeerId(target)), message, attempts: 0, nextAttemptMs: now, createdMs: now, subject: opts.subject }
    await this.commit([...(opts.with ?? []), this.rows.putOp(item)])
    if (this.started) this.scheduler.add(target, id, 0)
    return id
  }

  private async commit (ops: BatchOp[]): Promise<void> {
    if (this.init.write !== undefined) await this.init.write(ops)
    else await this.init.store.write(ops)
  }

  /** Loads the stored items (setting damaged ones aside) and starts delivering (only with libp2p). */
  async start (): Promise<void> {
    const { libp2p } = this.init
    if (libp2p === undefined || this.started) return
    // from here on `send` queues in memory too; an item both sent and loaded is queued once
    this.started = true
    const loaded = await this.rows.load()
    for (const l of loaded) this.scheduler.add(l.target, l.id, l.item.attempts)
    libp2p.addEventListener('peer:connect', this.onConnect)
    this.scheduler.start()
    if (loaded.length > 0) this.init.logger.info({ items: loaded.length, targets: Object.keys(this.scheduler.depthByPeer()).length }, 'outbox loaded')
  }

  async stop (): Promise<void> {
    this.stopped = true
    this.init.libp2p?.removeEventListener('peer:connect', this.onConnect)
    this.abort.abort(new Error('outbox stopping'))
    await this.scheduler.stop()
  }

  /** Items waiting for a receipt (all targets, or one). */
  depth (peer?: string): number {
    return this.scheduler.depth(peer)
  }

  depthByPeer (): Record<string, number> {
    return this.scheduler.depthByPeer()
  }

  /** Resolves when nothing is in flight or ready to go (tests). */
  async idle (): Promise<void> {
    await this.scheduler.idle()
  }

  /** The stored items, oldest first, with delivery state. */
  async list (): Promise<OutboxEntry[]> {
    const out: OutboxEntry[] = []
    for await (const r of this.rows.scan()) {
      const state = this.scheduler.state(r.target, r.id)
      out.push({
        id: r.id,
        kind: r.kind,
        subject: r.item.subject,
        target: this.init.nameOf?.(r.target) ?? r.target,
        targetPeerId: r.target,
        attempts: state?.attempts ?? r.item.attempts,
        createdAt: new Date(r.createdMs).toISOString(),
        lastError: r.item.lastError === '' ? null : r.item.lastError,
        nextAttemptAt: state?.nextAttemptAt == null ? null : new Date(state.nextAttemptAt).toISOString()
      })
    }
    return out.sort((a, b) => a.createdAt.localeCompare(b.createdAt))
  }

  /**
   * One delivery loop: takes due items and sends them on one stream, one at a time until the
   * stream is open, then in batches if the target takes them (protocol 1.1.0).
   */
  private async work (peer: string): Promise<void> {
    let channel: CourierChannel | null = null
    const open = async (): Promise<CourierChannel> => {
      channel ??= await openChannel(this.init.libp2p!, peer, this.abort.signal, this.init.batching !== false)
      return channel
    }
    try {
      for (let p = this.scheduler.take(peer); p !== null && !this.stopped; p = this.scheduler.take(peer)) {
        const batch = (channel as CourierChannel | null)?.batching === true ? [p, ...this.scheduler.takeMore(peer, SEND_BATCH_ITEMS - 1)] : null
        if (!await (batch !== null ? this.attemptBatch(peer, batch, channel!) : this.attempt(peer, p, open))) {
          (channel as CourierChannel | null)?.abort(new Error('target unreachable'))
          channel = null
          return
        }
      }
    } finally {
      await (channel as CourierChannel | null)?.close()
    }
  }

  /** Sends one item; false when the target could not be reached (the queue is then paused). */
  private async attempt (peer: string, pending: Pending, open: () => Promise<CourierChannel>): Promise<boolean> {
    const read = await this.rows.get(pending.id)
    if (read === null) {
      this.scheduler.done(peer, pending.id)
      return true
    }
    const { item } = read
    let answer: Envelope
    try {
      answer = await (await open()).exchange(item.message!, this.abort.signal)
    } catch (err) {
      if (this.stopped) { this.scheduler.putBack(peer, pending.id); return false }
      this.scheduler.unreachable(peer, pending.id)
      await this.persistFailure(item, pending, (err as Error).message)
      this.init.logger.debug({ peer, item: pending.id, err: (err as Error).message }, 'outbox target unreachable')
      return false
    }
    this.scheduler.reached(peer)
    if (answer.kind === 'receipt' && answer.receipt != null) {
      const problem = receiptProblem(answer.receipt, { target: item.target, signed: read.signed, subject: item.subject })
      if (problem === null) {
        await this.complete(read, answer.receipt)
        return true
      }
      this.badReceipts++
      this.init.logger.warn({ peer, item: pending.id, reportId: item.subject, problem }, 'invalid receipt; the item stays in the outbox')
      this.scheduler.refused(peer, pending.id)
      await this.persistFailure(item, pending, `invalid receipt: ${problem}`)
      return true
    }
    await this.refusedItem(peer, read, pending, answer)
    return true
  }

  /** The target refused an item (its quota for us, or the item itself): it stays and is retried. */
  private async refusedItem (peer: string, read: ReadItem, pending: Pending, answer: EnvelopeInit): Promise<void> {
    const { item } = read
    const e = answer.error
    if (answer.kind === 'error' && e?.reason === 'quota') {
      // the target takes no more from us for now: the whole queue waits, the item keeps its place
      const wait = this.scheduler.quota(peer, pending.id, e.retryAfterMs ?? 0)
      await this.persistFailure(item, pending, `${e.code} quota: ${e.message}`)
      this.init.logger.debug({ peer, item: pending.id, waitMs: wait }, 'target\'s quota for us is spent; the queue pauses')
      return
    }
    const why = answer.kind === 'error' ? `${e?.code ?? ''} ${e?.reason ?? ''}: ${e?.message ?? ''}`.trim() : `unexpected answer "${answer.kind ?? 'none'}"`
    this.init.logger.warn({ peer, member: this.init.nameOf?.(peer), item: pending.id, reportId: item.subject, reason: e?.reason }, 'target refused an outbox item; it stays and is retried')
    this.scheduler.refused(peer, pending.id)
    await this.persistFailure(item, pending, why)
  }

  /**
   * Sends several items in one message; false when the target could not be reached. The one
   * receipt of the answer is verified once and completes every item it names, in one atomic
   * write; each refused item is handled as a single refusal would be.
   */
  private async attemptBatch (peer: string, pending: Pending[], channel: CourierChannel): Promise<boolean> {
    const reads: ReadItem[] = []
    const sent: Pending[] = []
    let bytes = 0
    const found = await this.rows.getMany(pending.map(p => p.id))
    for (let i = 0; i < pending.length; i++) {
      const read = found[i]
      if (read === null) { this.scheduler.done(peer, pending[i].id); continue }
      bytes += read.signed.body?.length ?? 0
      if (reads.length > 0 && bytes > SEND_BATCH_BYTES) { this.scheduler.putBack(peer, pending[i].id); continue }
      reads.push(read)
      sent.push(pending[i])
    }
    if (reads.length === 0) return true
    let answer: Envelope
    try {
      answer = await channel.exchange({ batch: { messages: reads.map(r => r.item.message!) } }, this.abort.signal)
    } catch (err) {
      // the queue pauses once (not once per item); the first item counts the attempt
      for (const p of sent.slice(1)) this.scheduler.putBack(peer, p.id)
      if (this.stopped) { this.scheduler.putBack(peer, sent[0].id); return false }
      this.scheduler.unreachable(peer, sent[0].id)
      await this.persistFailure(reads[0].item, sent[0], (err as Error).message)
      return false
    }
    this.scheduler.reached(peer)
    const refusals = new Map<number, hashfed.v1.IReportError>()
    let receipt: Receipt | null = null
    let problem: string | null = null
    if (answer.kind === 'batchAnswer') {
      for (const r of answer.batchAnswer?.refused ?? []) if (r.error != null) refusals.set(r.index ?? 0, r.error)
      const signed = answer.batchAnswer?.receipt
      if (signed != null) try { receipt = openReceipt(signed) } catch (err) { problem = (err as Error).message }
    }
    const done: ReadItem[] = []
    for (let i = 0; i < reads.length; i++) {
      const { item } = reads[i]
      const named = receipt === null ? problem ?? 'the answer holds no receipt' : openedReceiptProblem(receipt, item.target, bodyHash(reads[i].signed), item.subject)
      if (named === null) { done.push(reads[i]); continue }
      // a whole-message error stands for every item; a batch answer names each refusal
      const e = answer.kind === 'error' ? answer.error : refusals.get(i)
      if (e == null) {
        this.badReceipts++
        this.init.logger.warn({ peer, item: reads[i].id, reportId: item.subject, problem: problem ?? named }, 'invalid or missing receipt for a batched item; it stays in the outbox')
        this.scheduler.refused(peer, sent[i].id)
        await this.persistFailure(item, sent[i], `invalid receipt: ${problem ?? named}`)
      } else await this.refusedItem(peer, reads[i], sent[i], { kind: 'error', error: e })
    }
    if (done.length > 0) await this.completeMany(done, answer.batchAnswer!.receipt!, receipt!)
    return true
  }

  private async complete (read: ReadItem, receipt: Signed): Promise<void> {
    await this.completeMany([read], receipt, openReceipt(receipt))
  }

  /**
   * Items the target receipted: each kind's hook and the item's removal, under the subjects'
   * locks, in one atomic write (per round: a subject twice waits for the next round).
   */
  private async completeMany (reads: ReadItem[], receipt: Signed, record: Receipt): Promise<void> {
    await underLocks(this.init.locks, reads.map(r => r.item.subject), async () => {
      for (let todo = reads; todo.length > 0;) {
        const subjects = new Set<string>()
        const round: ReadItem[] = []
        const later: ReadItem[] = []
        for (const r of todo) {
          if (subjects.has(r.item.subject)) later.push(r)
          else { subjects.add(r.item.subject); round.push(r) }
        }
        todo = later
        const ops = await Promise.all(round.map(async r => {
          const hook = this.hooks.get(r.kind)
          return [...(hook !== undefined ? await hook(r.item, receipt, record) : []), this.rows.delOp(r.id)]
        }))
        await this.commit(ops.flat())
      }
    })
    for (const r of reads) this.scheduler.done(r.target, r.id)
    this.delivered += reads.length
  }

  /** Keeps attempts and the last error with the item, for listings (`reports outbox`) and after restarts. */
  private async persistFailure (item: OutboxItem, pending: Pending, why: string): Promise<void> {
    if (this.stopped) return
    item.attempts = pending.attempts
    item.lastError = why.slice(0, 500)
    item.nextAttemptMs = pending.dueAt
    await this.rows.saveFailure(item)
  }
}
