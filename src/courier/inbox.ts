import type { Logger } from 'pino'
import { pb, type hashfed } from '../proto/index.js'
import { ErrorCodes, isHashfedError } from '../errors.js'
import { parsePeerId, peerIdFromBytes, peerIdToBytes, type Identity } from '../identity/identity.js'
import type { BatchOp, Store } from '../store/store.js'
import { LogThrottle } from '../util/log-throttle.js'
import { REFUSAL_LOG_WINDOW_MS, REFUSAL_LOGS_PER_WINDOW } from './constants.js'
import { messageRecord, type Envelope, type EnvelopeInit, type MessageKind } from './envelope.js'
import { answerBatch, decodeSeen, type BatchInbox, type OpenedRecord } from './inbox-batch.js'
import { InboundQuota, type InboundQuotaInit } from './inbound-quota.js'
import type { SubjectLocks } from './outbox.js'
import { signReceipt, type Receipt } from './receipts.js'
import { COURIER_OFFENCES, COURIER_REJECT_REASONS, rejection, rejectReason } from './rejection.js'
import { RejectionCounter } from '../observe/rejection-counter.js'
import type { ReasonList } from '../observe/reasons.js'
import type { SetAside } from './set-aside.js'
import { seenKey as seenKeyOf } from '../store/layout.js'
import { bodyHash, hex, type Signed } from './signed-record.js'

/** Who signed an inbound record and what it is about. */
export interface InboundRecord {
  /** peer ID bytes of the signer */
  author: Uint8Array
  /** the id the receipt names (a report's, a feedback's); deliveries about one subject are serialised */
  subject: string
}

/**
 * One kind of inbound message (a report, a status update, feedback). `open` decodes and verifies it and
 * checks the sender may send it (`fromBytes`: the sender's peer ID bytes, which must be the
 * record's signer); `store` runs under the subject's lock, only for a body not seen before,
 * and returns the ops that keep it (none for a duplicate by id). Both throw `rejection(...)`
 * to refuse.
 */
export interface KindHandler<T> {
  open: (signed: Signed, from: string, fromBytes: Uint8Array) => { record: InboundRecord, value: T }
  store: (value: T, signed: Signed, from: string, now: number) => Promise<BatchOp[]>
}

export interface InboxInit {
  store: Store
  identity: Identity
  locks: SubjectLocks
  logger: Logger
  setAside: SetAside
  isMember: (peer: string) => boolean
  /** per-member quota of inbound messages @default InboundQuota's defaults */
  quota?: InboundQuotaInit
  /** the reasons refusals are counted under (metric labels): the courier's and its kinds' @default COURIER_REJECT_REASONS */
  reasons?: ReasonList<string>
  /** refusal reasons no honest member causes @default COURIER_OFFENCES (a kind's handlers add theirs) */
  offences?: ReadonlySet<string>
  /** a refusal that is an offence, or a quota ignored: feeds the peer's penalties */
  onOffence?: (peer: string, reason: string) => void
  /** commits the ops of an accepted message with its receipt @default store.write */
  write?: (ops: BatchOp[]) => Promise<void>
}

/** A refused message as the ring of recent ones keeps it (its reason added). */
export interface InboxRejection {
  peer: string
  kind: string
  /** the subject id when the message decoded far enough to name it */
  subject: string | null
  message: string
  at: number
}

const RECENT_REJECTIONS = 100

/**
 * The receiving side of the courier protocol: verifies, stores durably, then answers with a
 * signed receipt. A body already receipted gets the very receipt it got before (kept in
 * `seen`) and stores nothing twice. A refused message is answered with an error, counted
 * per reason and logged with its subject id (never its URL; a few lines per peer and reason
 * a minute); the node keeps serving. Each member has a quota of messages per kind, and a
 * refusal that is an offence feeds the same penalties as sync, so a member that keeps
 * sending what no honest node sends is cut off.
 */
export class Inbox {
  /** refusals by reason and sending peer (the peers table shows them); quota refusals stay out of the ring */
  readonly rejections: RejectionCounter<string, InboxRejection>
  readonly acceptedByKind = new Map<string, number>()
  /** redeliveries answered from `seen` */
  duplicates = 0
  /** messages refused for quota, by sending peer (also counted in rejections) */
  readonly quotaByPeer = new Map<string, number>()
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  private readonly handlers = new Map<MessageKind, KindHandler<any>>()
  private readonly quota: InboundQuota
  private readonly logThrottle = new LogThrottle(REFUSAL_LOGS_PER_WINDOW, REFUSAL_LOG_WINDOW_MS)
  private readonly peerBytes = new Map<string, Uint8Array>()

  constructor (private readonly init: InboxInit) {
    this.quota = new InboundQuota(init.quota)
    this.rejections = new RejectionCounter<string, InboxRejection>({
      reasons: init.reasons ?? COURIER_REJECT_REASONS, fallback: 'internal', recent: RECENT_REJECTIONS, keep: (_, reason) => reason !== 'quota'
    })
  }

  register<T> (kind: MessageKind, handler: KindHandler<T>): void {
    this.handlers.set(kind, handler)
  }

  async answer (message: Envelope, from: string): Promise<EnvelopeInit> {
    if (message.kind === 'batch') return await answerBatch(this.batchAccess(), message.batch?.messages ?? [], from)
    const kind = message.kind ?? 'none'
    let subject: string | null = null
    try {
      if (!this.init.isMember(from)) throw rejection('not-member', `${from} is not a federation member`, ErrorCodes.NOT_A_MEMBER)
      const quotaRefusal = this.takeQuota(from, kind)
      if (quotaRefusal !== null) return { error: quotaRefusal }
      const o = this.open(message, from)
      subject = o.record.subject
      return await this.init.locks.run(o.record.subject, async () => {
        const prior = await this.priorReceipt(o.seenKey)
        if (prior !== null) {
          this.duplicates++
          // held since a batch: its receipt named many records; this sender asked for this one
          return { receipt: !('ackedHash' in prior) ? prior : signReceipt(this.init.identity, { reportId: prior.reportId, receiver: this.init.identity.peerIdBytes, ackedHash: prior.ackedHash, receivedMs: prior.receivedMs }) }
        }
        const now = Date.now()
        const ops = await o.handler.store(o.value as never, o.signed, from, now)
        const receipt = signReceipt(this.init.identity, { reportId: o.record.subject, receiver: this.init.identity.peerIdBytes, ackedHash: o.hash, receivedMs: now })
        // the message and the receipt we give for it land together: stored first, then answered
        await this.commit([...ops, { type: 'put', sublevel: this.init.store.sub.seen, key: o.seenKey, value: pb.Signed.encode(receipt).finish() }])
        this.accepted(kind, 1)
        return { receipt }
      })
    } catch (err) {
      return { error: this.refusal(err, from, kind, subject) }
    }
  }

  /** The quota refusal to answer for one more message of `kind` from `from`, or null (granted). */
  private takeQuota (from: string, kind: string): hashfed.v1.ReportError.$Properties | null {
    // before any signature is checked: a member over its quota costs a map lookup
    const quota = this.quota.take(from, kind)
    if (quota.granted) return null
    this.quotaByPeer.set(from, (this.quotaByPeer.get(from) ?? 0) + 1)
    if (quota.ignored) this.init.onOffence?.(from, 'quota-ignored')
    this.record('quota', { peer: from, kind, subject: null, message: 'quota', at: Date.now() })
    return { code: ErrorCodes.RATE_LIMITED, reason: 'quota', message: `${kind} quota of this member spent: pause and retry in ${quota.retryAfterMs} ms`, retryAfterMs: quota.retryAfterMs }
  }

  /** Decodes and verifies one carried record (its kind's `open`); throws a rejection. */
  private open (message: EnvelopeInit, from: string): OpenedRecord {
    const kind = message.kind ?? messageRecord(message)?.kind ?? 'none'
    const handler = this.handlers.get(kind as MessageKind)
    const signed = message[kind as MessageKind]
    if (handler === undefined || signed == null) throw rejection('unknown-kind', `this node accepts no "${kind}" messages`)
    const { record, value } = handler.open(signed, from, this.bytesOf(from))
    const hash = bodyHash(signed)
    return { kind: kind as MessageKind, handler, signed, record, value, hash, seenKey: seenKeyOf(peerIdFromBytes(record.author).toString(), hex(hash)) }
  }

  /** Counts and logs a refusal; the error to answer with. */
  private refusal (err: unknown, from: string, kind: string, subject: string | null): hashfed.v1.ReportError.$Properties {
    const reason = rejectReason(err)
    const text = (err as Error).message
    this.record(reason, { peer: from, kind, subject, message: text, at: Date.now() }, err)
    return { code: isHashfedError(err) ? err.code : ErrorCodes.INTERNAL, reason, message: reason === 'internal' ? 'internal error' : text }
  }

  private accepted (kind: string, n: number): void {
    this.acceptedByKind.set(kind, (this.acceptedByKind.get(kind) ?? 0) + n)
  }

  private async commit (ops: BatchOp[]): Promise<void> {
    if (this.init.write !== undefined) await this.init.write(ops)
    else await this.init.store.write(ops)
  }

  /** What the batch path (inbox-batch.ts) uses of the inbox. */
  private batchAccess (): BatchInbox {
    return {
      identity: this.init.identity,
      locks: this.init.locks,
      seen: this.init.store.sub.seen,
      isMember: this.init.isMember,
      takeQuota: (from, kind) => this.takeQuota(from, kind),
      open: (message, from) => this.open(message, from),
      refusal: (err, from, kind, subject) => this.refusal(err, from, kind, subject),
      prior: async (key, raw) => await this.readPrior(key, raw),
      commit: async (ops) => { await this.commit(ops) },
      accepted: (kind, n) => { this.accepted(kind, n) },
      duplicate: () => { this.duplicates++ }
    }
  }

  /** A frame that did not decode at all (counted like any other refusal). */
  unreadable (from: string, reason: string, message: string): void {
    this.record(reason, { peer: from, kind: 'none', subject: null, message, at: Date.now() })
  }

  /** The receipt we gave for these bytes before (or their mark if a batch brought them); null when new. */
  private async priorReceipt (seenKey: string): Promise<Signed | Receipt | null> {
    return await this.readPrior(seenKey, await this.init.store.sub.seen.get(seenKey))
  }

  /** A `seen` row as read; a damaged one is set aside and the message taken as new. */
  private async readPrior (seenKey: string, raw: Uint8Array | undefined): Promise<Signed | Receipt | null> {
    if (raw === undefined) return null
    const prior = decodeSeen(raw)
    if (prior !== null) return prior
    await this.init.setAside.keep('seen', seenKey, raw, 'the receipt we gave does not decode')
    return null
  }

  /** Peer ID bytes of a member (members are few; parsed once). */
  private bytesOf (peer: string): Uint8Array {
    let b = this.peerBytes.get(peer)
    if (b === undefined) {
      b = peerIdToBytes(parsePeerId(peer))
      this.peerBytes.set(peer, b)
    }
    return b
  }

  private record (given: string, r: InboxRejection, err?: unknown): void {
    const reason = this.rejections.record(given, r)
    if ((this.init.offences ?? COURIER_OFFENCES).has(reason)) this.init.onOffence?.(r.peer, reason)
    const log = this.logThrottle.take(`${r.peer}!${reason}`)
    if (log === null) return
    const suppressed = log.suppressed > 0 ? { suppressed: log.suppressed } : {}
    if (reason === 'internal') this.init.logger.error({ peer: r.peer, kind: r.kind, reportId: r.subject, err, ...suppressed }, 'failed to store an inbound report message')
    else this.init.logger.warn({ peer: r.peer, kind: r.kind, reportId: r.subject, reason, err: r.message, ...suppressed }, 'rejected report message')
  }
}
