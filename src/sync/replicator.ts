import type { Logger } from 'pino'
import type { Connection, Stream } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import type { HashfedLibp2p } from '../net/create-libp2p.js'
import { MAX_BATCH_ENTRIES } from '../log/constants.js'
import { CLAIM_FALLBACK_MS, DIVERGED_RETRY_MS, MAX_INBOUND_SESSIONS_PER_PEER, MAX_LAG_SHOWN_BATCHES, PERIODIC_SYNC_MS, SESSION_IDLE_MS, SYNC_PROTOCOL } from './constants.js'
import { runInitiator, runResponder, type SessionHooks, type SessionResult } from './sync-session.js'
import { SYNC_REJECT_REASONS, syncErrorReason, type SyncRejectReason } from './reject-reasons.js'
import { RejectionCounter } from '../observe/rejection-counter.js'
import type { MetricsRegistry } from '../observe/metrics-registry.js'
import type { ApplyOutcome, OriginHead, SyncLog } from './sync-log.js'
import { Pusher, relayOnVerify, type NewBatch } from './pusher.js'

export interface ReplicatorInit {
  libp2p: HashfedLibp2p
  log: SyncLog
  logger: Logger
  /** members whose logs are replicated (mirrors publish nothing) */
  isOrigin: (origin: string) => boolean
  /** the members we keep in sync with */
  isMember: (peer: string) => boolean
  /** a peer's offence (rejected batch, protocol breach), for metrics and penalties */
  onRejected?: (peer: string, reason: SyncRejectReason) => void
  /** @default 30000 */
  periodicMs?: number
  /** a session in which the peer sends nothing (or, receiving, nothing is stored) for this long is abandoned @default SESSION_IDLE_MS */
  sessionIdleMs?: number
  /** a claimed origin with no batch stored for this long may be fetched from another peer @default CLAIM_FALLBACK_MS */
  claimFallbackMs?: number
}

export interface PeerSyncState {
  peer: string
  /** heads of origins we replicate that the peer last told us (at most one per origin) */
  heads: Map<string, OriginHead>
  lastSyncAt: number | null
  lastError: string | null
  sessions: number
}

/** A refused batch or session, as the ring of recent ones keeps it (its reason added). */
export interface SyncRejection {
  peer: string
  origin: string | null
  message: string
  at: number
}

const RECENT_REJECTIONS = 100

/** Per origin, how far we are behind a claimed head: never more than MAX_LAG_SHOWN_BATCHES. */
export interface OriginLag {
  origin: string
  batches: number
  entries: number
}

/** How far we are behind the head of `origin` that member `peer` announced. */
export interface PeerLag extends OriginLag {
  peer: string
}

/** An origin reserved for one session's fetch (`session`: its hooks), since `progressAt`: claimed or last stored a batch. */
interface Claim { session: object, peer: string, progressAt: number }

/**
 * Keeps our copy of every origin's log in step with the connected members: pulls on connect,
 * periodically, and when a peer shows newer heads; announces (opens a session) when we store
 * a batch. At most one outgoing session per peer, and one fetch per origin at a time unless
 * the fetching session stalls: after `claimFallbackMs` without a stored batch another peer
 * that has the origin may fetch it, so a member that claims a head and never serves it
 * delays that origin by seconds, not by a session timeout.
 */
export class Replicator {
  /** batches and sessions refused, by reason and peer, and the latest few */
  readonly rejections = new RejectionCounter<SyncRejectReason, SyncRejection>({ reasons: SYNC_REJECT_REASONS, fallback: 'internal', recent: RECENT_REJECTIONS })
  batchesReceived = 0
  private readonly peers = new Map<string, PeerSyncState>()
  private readonly running = new Map<string, Promise<void>>()
  private readonly again = new Set<string>()
  private readonly claims = new Map<string, Claim>()
  /** peers to ask again once an origin another session was fetching is released or stalls */
  private readonly waiting = new Map<string, Set<string>>()
  /** per origin with waiting peers: when to look whether its claim stalled */
  private readonly fallbackTimers = new Map<string, NodeJS.Timeout>()
  /** sessions each peer has open towards us */
  private readonly inbound = new Map<string, number>()
  /** `<peer> <origin>` → until when that origin is not requested from that peer (its copy diverged) */
  private readonly diverged = new Map<string, number>()
  /** peers that told us their heads (in a session or a push answer) since we started */
  private readonly headsTold = new Set<string>()
  /** new batches go to peers just behind on long-lived push streams */
  readonly pusher: Pusher
  private timer: NodeJS.Timeout | null = null
  private stopped = false

  private readonly init: ReplicatorInit
  constructor (init: ReplicatorInit) {
    // a peer's batch, once verified, goes on to the other members while it is written
    this.init = { ...init, log: relayOnVerify(init.log, (from, b) => { if (!this.stopped) this.pusher.relay(this.connectedMembers().filter(p => p !== from), b) }) }
    this.pusher = new Pusher({
      ...this.init,
      idleMs: this.idleMs,
      peerHeads: (p) => this.headsTold.has(p) ? this.peers.get(p)?.heads : undefined,
      onPeerHeads: (p, heads) => this.recordHeads(p, heads),
      onOutcome: (p, origin, outcome) => this.recordOutcome(p, origin, outcome),
      onFailed: (p, err) => this.sessionFailed(p, err),
      reject: (p, reason, message) => this.reject(p, null, reason, message),
      fallback: (p) => this.syncWith(p)
    })
  }

  async start (): Promise<void> {
    const { libp2p } = this.init
    // above MAX_INBOUND_SESSIONS_PER_PEER so that a flood reaches `serve` and is counted there
    await libp2p.handle(SYNC_PROTOCOL, (stream, connection) => { void this.serve(stream, connection) }, { maxInboundStreams: 4 * MAX_INBOUND_SESSIONS_PER_PEER })
    await this.pusher.start()
    libp2p.addEventListener('peer:connect', (evt) => { this.syncWith(evt.detail.toString()) })
    this.timer = setInterval(() => { for (const p of this.connectedMembers()) this.syncWith(p) }, this.init.periodicMs ?? PERIODIC_SYNC_MS)
    this.timer.unref()
    for (const p of this.connectedMembers()) this.syncWith(p)
  }

  stop (): void {
    this.stopped = true
    this.pusher.stop()
    if (this.timer !== null) clearInterval(this.timer)
    for (const t of this.fallbackTimers.values()) clearTimeout(t)
    this.fallbackTimers.clear()
  }

  /**
   * Tells every connected member (but `except`) that we have something new: `batch`, just
   * stored, is pushed to members just behind (see Pusher), others get a pull session.
   */
  announce (except?: string, batch?: NewBatch): void {
    if (this.stopped) return
    const peers = this.connectedMembers().filter(p => p !== except)
    if (batch !== undefined) this.pusher.offer(peers, batch)
    else for (const p of peers) this.syncWith(p)
  }

  /** A revocation cut `origin` below `fromSeq`: heads told and pushes past it were the revoked chain's. */
  chainCut (origin: string, fromSeq: number): void {
    for (const s of this.peers.values()) if ((s.heads.get(origin)?.seq ?? 0) >= fromSeq) s.heads.delete(origin)
    this.pusher.forgetFrom(origin, fromSeq)
  }

  peerState (peer: string): PeerSyncState {
    let s = this.peers.get(peer)
    if (s === undefined) {
      s = { peer, heads: new Map(), lastSyncAt: null, lastError: null, sessions: 0 }
      this.peers.set(peer, s)
    }
    return s
  }

  /**
   * Per member and origin it announced, how far we are behind that head (bounded: see
   * `lagOf`; 0 when it is not ahead). The one lag computation: `lag()` and the peers table
   * (node/node-snapshot) both derive from it.
   */
  peerLag (): PeerLag[] {
    const out: PeerLag[] = []
    for (const state of this.peers.values()) {
      if (!this.init.isMember(state.peer)) continue
      for (const h of state.heads.values()) out.push({ peer: state.peer, ...this.lagOf(h) })
    }
    return out
  }

  /**
   * Per origin we hold or replicate, how far we are behind the newest head any member
   * announced (0 when none is ahead). Rows are origins we verified or members announced,
   * bounded as `lagOf`: the metrics series.
   */
  lag (rows: PeerLag[] = this.peerLag()): OriginLag[] {
    const best = new Map<string, OriginLag>()
    for (const h of this.init.log.heads()) best.set(h.origin, { origin: h.origin, batches: 0, entries: 0 })
    for (const r of rows) {
      const lag = { origin: r.origin, batches: r.batches, entries: r.entries }
      const b = best.get(lag.origin)
      if (b === undefined || lag.batches > b.batches || (lag.batches === b.batches && lag.entries > b.entries)) best.set(lag.origin, lag)
    }
    return [...best.values()]
  }

  /** Registers sync's own series; `nameOf` names an origin as the federation file does. */
  registerMetrics (metrics: MetricsRegistry, nameOf: (peer: string) => string): void {
    metrics.gauge({
      name: 'hashfed_sync_lag_batches',
      help: `Per origin, batches between our head and the newest head any member announced (an unverified claim: shown up to ${MAX_LAG_SHOWN_BATCHES}).`,
      labelNames: ['origin']
    }, () => this.lag().map(l => ({ labels: { origin: nameOf(l.origin) }, value: l.batches })))
    metrics.gauge({
      name: 'hashfed_sync_lag_entries',
      help: 'Per origin, log entries between our head and the newest head any member announced.',
      labelNames: ['origin']
    }, () => this.lag().map(l => ({ labels: { origin: nameOf(l.origin) }, value: l.entries })))
    metrics.counter({ name: 'hashfed_sync_batches_received_total', help: 'Batches received from members, verified and stored, since start.' }, () => this.batchesReceived)
    metrics.counter({
      name: 'hashfed_sync_batches_rejected_total',
      help: 'Batches and sync messages refused, by reason, since start.',
      labelNames: ['reason']
    }, () => [...this.rejections.byReason].map(([reason, value]) => ({ labels: { reason }, value })))
  }

  /**
   * How far our verified head of an origin is behind a claimed head. A claim is unverified
   * until its batches arrive: the lag shown is at most MAX_LAG_SHOWN_BATCHES batches, and at
   * most MAX_BATCH_ENTRIES entries per batch shown. Origins we do not replicate show none.
   */
  private lagOf (h: OriginHead): OriginLag {
    if (!this.init.isOrigin(h.origin)) return { origin: h.origin, batches: 0, entries: 0 }
    const ours = this.init.log.head(h.origin)
    const batches = Math.min(MAX_LAG_SHOWN_BATCHES, Math.max(0, h.seq - (ours?.seq ?? 0)))
    const entries = Math.min(batches * MAX_BATCH_ENTRIES, Math.max(0, h.entries - (ours?.entries ?? 0)))
    return { origin: h.origin, batches, entries }
  }

  /** Starts a session with `peer` now, or once more after the running one. */
  syncWith (peer: string): void {
    if (this.stopped || !this.init.isMember(peer)) return
    if (this.running.has(peer)) {
      this.again.add(peer)
      return
    }
    const run = this.pull(peer).finally(() => {
      this.running.delete(peer)
      if (this.again.delete(peer)) this.syncWith(peer)
    })
    this.running.set(peer, run)
  }

  /** Resolves when no session is running (tests, benchmarks). */
  async idle (): Promise<void> {
    while (this.running.size > 0) await Promise.all([...this.running.values()])
  }

  private connectedMembers (): string[] {
    const seen = new Set<string>()
    for (const c of this.init.libp2p.getConnections()) {
      const id = c.remotePeer.toString()
      if (c.status === 'open' && this.init.isMember(id)) seen.add(id)
    }
    return [...seen]
  }

  /** Hooks of one session with `peer`, in either role. */
  private hooks (peer: string): SessionHooks {
    const session = {}
    return {
      log: this.init.log,
      peer,
      isOrigin: this.init.isOrigin,
      onPeerHeads: (p, heads) => this.recordHeads(p, heads),
      claim: (origin) => this.claim(session, peer, origin),
      progress: (origin) => {
        const c = this.claims.get(origin)
        if (c?.session === session) c.progressAt = Date.now()
      },
      release: (origin) => {
        if (this.claims.get(origin)?.session !== session) return // taken over meanwhile
        this.claims.delete(origin)
        this.wakeWaiting(origin)
      },
      onOutcome: (origin, outcome) => this.recordOutcome(peer, origin, outcome),
      skip: (origin) => (this.diverged.get(`${peer} ${origin}`) ?? 0) > Date.now(),
      idleMs: this.idleMs
    }
  }

  private async pull (peer: string): Promise<void> {
    let stream: Stream | undefined
    try {
      // optimistic protocol selection: our heads travel with the protocol name, one round trip less per hop
      stream = await this.init.libp2p.dialProtocol(peerIdFromString(peer), SYNC_PROTOCOL, { signal: AbortSignal.timeout(this.idleMs), negotiateFully: false })
      this.sessionDone(peer, await runInitiator(stream, this.hooks(peer)))
    } catch (err) {
      stream?.abort(err as Error)
      this.sessionFailed(peer, err)
    }
  }

  /**
   * Reserves `origin` for `session`. A claim that stored nothing for `claimFallbackMs` is
   * taken over: its peer announced a head it does not deliver. Otherwise the peer waits, and
   * is asked again when the claim is released or stalls.
   */
  private claim (session: object, peer: string, origin: string): boolean {
    const now = Date.now()
    const held = this.claims.get(origin)
    if (held === undefined || (held.session !== session && now - held.progressAt >= this.fallbackMs)) {
      if (held !== undefined) {
        this.init.logger.info({ origin, stalled: held.peer, peer, ms: now - held.progressAt }, 'sync: fetching an origin from another peer, the claimed range stalled')
        this.dropClaimedHead(held.peer, origin)
      }
      this.claims.set(origin, { session, peer, progressAt: now })
      return true
    }
    const w = this.waiting.get(origin) ?? new Set<string>()
    this.waiting.set(origin, w.add(peer))
    this.watchClaim(origin, held.progressAt + this.fallbackMs - now)
    return false
  }

  /** Asks the waiting peers again once `origin`'s claim has stalled (or is gone). */
  private watchClaim (origin: string, inMs: number): void {
    if (this.fallbackTimers.has(origin) || this.stopped) return
    const timer = setTimeout(() => {
      this.fallbackTimers.delete(origin)
      const held = this.claims.get(origin)
      if (!this.waiting.has(origin)) return
      const left = held === undefined ? 0 : held.progressAt + this.fallbackMs - Date.now()
      if (left > 0) this.watchClaim(origin, left)
      else this.wakeWaiting(origin)
    }, Math.max(0, inMs) + 10)
    timer.unref()
    this.fallbackTimers.set(origin, timer)
  }

  private wakeWaiting (origin: string): void {
    const w = this.waiting.get(origin)
    this.waiting.delete(origin)
    for (const p of w ?? []) this.syncWith(p)
  }

  /** `peer` claimed a head of `origin` and stalled: another peer serves it, its claim no longer counts as lag. */
  private dropClaimedHead (peer: string, origin: string): void {
    const h = this.peers.get(peer)?.heads.get(origin)
    if (h !== undefined && h.seq > (this.init.log.head(origin)?.seq ?? 0)) this.peers.get(peer)?.heads.delete(origin)
  }

  private get fallbackMs (): number {
    return this.init.claimFallbackMs ?? CLAIM_FALLBACK_MS
  }

  private get idleMs (): number {
    return this.init.sessionIdleMs ?? SESSION_IDLE_MS
  }

  private async serve (stream: Stream, connection: Connection): Promise<void> {
    const peer = connection.remotePeer.toString()
    const open = (this.inbound.get(peer) ?? 0) + 1
    if (open > MAX_INBOUND_SESSIONS_PER_PEER) {
      stream.abort(new Error('too many sync sessions'))
      this.reject(peer, null, 'flood', `more than ${MAX_INBOUND_SESSIONS_PER_PEER} sync sessions open at once`)
      return
    }
    this.inbound.set(peer, open)
    try {
      this.sessionDone(peer, await runResponder(stream, this.hooks(peer)))
    } catch (err) {
      stream.abort(err as Error)
      this.sessionFailed(peer, err)
    } finally {
      const left = (this.inbound.get(peer) ?? 1) - 1
      if (left > 0) this.inbound.set(peer, left)
      else this.inbound.delete(peer)
    }
  }

  private sessionDone (peer: string, result: SessionResult): void {
    const state = this.peerState(peer)
    state.sessions++
    state.lastSyncAt = Date.now()
    state.lastError = null
    this.pusher.warm(peer)
    if (result.stored > 0) this.init.logger.debug({ peer, stored: result.stored }, 'sync stored batches')
  }

  private sessionFailed (peer: string, err: unknown): void {
    this.peerState(peer).lastError = (err as Error).message
    const reason = syncErrorReason(err)
    // while we stop (or after the peer left the federation) our own hang-ups end sessions: nobody's offence
    if (reason !== 'stream' && !this.stopped && this.init.isMember(peer)) this.reject(peer, null, reason, (err as Error).message)
    else this.init.logger.debug({ peer, err: (err as Error).message }, 'sync session failed')
  }

  /** The peer's heads replace what it told us before: one entry per origin we replicate. */
  private recordHeads (peer: string, heads: OriginHead[]): void {
    this.headsTold.add(peer)
    this.peerState(peer).heads = new Map(heads.filter(h => this.init.isOrigin(h.origin)).map(h => [h.origin, h]))
  }

  private recordOutcome (peer: string, origin: string | null, outcome: ApplyOutcome): void {
    if (outcome.status === 'stored') {
      this.batchesReceived++
    } else if (outcome.status === 'rejected') {
      if (origin !== null && (outcome.reason === 'fork' || outcome.reason === 'broken-chain')) this.diverged.set(`${peer} ${origin}`, Date.now() + DIVERGED_RETRY_MS)
      this.reject(peer, origin, outcome.reason, outcome.message)
    }
  }

  private reject (peer: string, origin: string | null, reason: SyncRejectReason, message: string): void {
    this.rejections.record(reason, { peer, origin, message, at: Date.now() })
    this.init.logger.warn({ peer, origin, reason, err: message }, 'rejected data from peer')
    this.init.onRejected?.(peer, reason)
  }
}
