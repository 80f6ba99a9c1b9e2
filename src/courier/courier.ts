import type { Logger } from 'pino'
import { hfError, ErrorCodes } from '../errors.js'
import type { Identity } from '../identity/identity.js'
import type { HashfedLibp2p } from '../net/create-libp2p.js'
import type { BatchOp, Store } from '../store/store.js'
import { serveCourierProtocol } from './channel.js'
import type { Clock } from './clock.js'
import type { EnvelopeInit, MessageKind } from './envelope.js'
import type { InboundQuotaInit } from './inbound-quota.js'
import { Inbox, type KindHandler } from './inbox.js'
import { Outbox, type DeliveredHook, type OutboxInit, type SubjectLocks } from './outbox.js'
import type { ReasonList } from '../observe/reasons.js'
import { SetAside } from './set-aside.js'

/** What a component hands the courier for one kind of message it sends or receives. */
export interface KindHandlers<T> extends KindHandler<T> {
  /** the target receipted one of ours; ops land with the item's removal */
  delivered?: DeliveredHook
}

export interface CourierInit {
  store: Store
  identity: Identity
  logger: Logger
  /** shared with the components that change a subject's records outside the courier */
  locks: SubjectLocks
  isMember: (peer: string) => boolean
  /** absent offline (CLI without a running node): messages are stored and queued, not sent */
  libp2p?: HashfedLibp2p
  /** member name for logs */
  nameOf?: (peer: string) => string
  /** per-member inbound quota */
  quota?: InboundQuotaInit
  /** the reasons refusals are counted under: the courier's and every kind's @default COURIER_REJECT_REASONS */
  reasons?: ReasonList<string>
  /** refusal reasons that are offences (the courier's own and every kind's) */
  offences?: ReadonlySet<string>
  /** a refusal that is an offence, or a quota ignored: feeds the peer's penalties */
  onOffence?: (peer: string, reason: string) => void
  /** commits a message with what it carries, and a receipt with what it completes @default store.write */
  write?: (ops: BatchOp[]) => Promise<void>
  /** outbox tuning (tests) */
  outbox?: Pick<OutboxInit, 'retryMinMs' | 'retryMaxMs' | 'concurrency' | 'random'>
  clock?: Clock
  /** speak protocol 1.1.0 (batches) both ways @default true; false: as the previous version (tests) */
  batching?: boolean
}

/** The courier's part of the node status. */
export interface CourierStatus {
  /** messages waiting for their target's receipt */
  pending: number
  /** damaged outbox or seen rows kept aside in the store (see set-aside.ts) */
  setAside: number
  /** messages receipted since start */
  delivered: number
  /** receipts that failed verification since start */
  badReceipts: number
}

/**
 * Store-and-forward between members: signed records go out through a durable outbox and come
 * in through an inbox that stores them before it answers with a signed receipt. The courier
 * knows no kind of message; components register theirs (`register`) and send with `send`.
 */
export class Courier {
  readonly outbox: Outbox
  readonly inbox: Inbox
  readonly setAside: SetAside
  private readonly inflight = new Set<Promise<unknown>>()
  private unserve: (() => Promise<void>) | null = null

  constructor (private readonly init: CourierInit) {
    const { store, logger, locks, write } = init
    this.setAside = new SetAside(store, logger, init.clock?.now)
    this.outbox = new Outbox({ store, locks, logger, setAside: this.setAside, libp2p: init.libp2p, nameOf: init.nameOf, write, clock: init.clock, batching: init.batching, ...init.outbox })
    this.inbox = new Inbox({
      store, identity: init.identity, locks, logger, setAside: this.setAside, isMember: init.isMember,
      quota: init.quota, reasons: init.reasons, offences: init.offences, onOffence: init.onOffence, write
    })
  }

  /** Accepts inbound messages of `kind` with `handlers`, and runs `delivered` when ours are receipted. */
  register<T> (kind: MessageKind, handlers: KindHandlers<T>): void {
    this.inbox.register(kind, handlers)
    if (handlers.delivered !== undefined) this.outbox.onDelivered(kind, handlers.delivered)
  }

  /** Queues `message` for `target` only (see Outbox.send). */
  async send (target: string, message: EnvelopeInit, opts: { subject: string, with?: BatchOp[] }): Promise<string> {
    return await this.outbox.send(target, message, opts)
  }

  /** Serves the courier protocol and starts delivering the outbox. */
  async start (): Promise<void> {
    const { libp2p, logger } = this.init
    if (libp2p === undefined) throw hfError(ErrorCodes.INTERNAL, 'the courier needs libp2p to start')
    await this.setAside.load()
    this.unserve = await serveCourierProtocol({
      libp2p,
      logger,
      answer: async (message, from) => await this.track(this.inbox.answer(message, from)),
      onUnreadable: (from, reason, text) => { this.inbox.unreadable(from, reason, text) },
      batching: this.init.batching
    })
    await this.outbox.start()
  }

  async stop (): Promise<void> {
    await this.unserve?.().catch(() => {})
    await this.outbox.stop()
    await Promise.allSettled([...this.inflight])
  }

  status (): CourierStatus {
    return { pending: this.outbox.depth(), setAside: this.setAside.count, delivered: this.outbox.delivered, badReceipts: this.outbox.badReceipts }
  }

  private async track<T> (p: Promise<T>): Promise<T> {
    this.inflight.add(p)
    try { return await p } finally { this.inflight.delete(p) }
  }
}
