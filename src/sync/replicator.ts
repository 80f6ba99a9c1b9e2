import type { Logger } from 'pino'
import type { Connection, Stream } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import type { HashfedLibp2p } from '../net/create-libp2p.js'
import { DIVERGED_RETRY_MS, MAX_INBOUND_SESSIONS_PER_PEER, PERIODIC_SYNC_MS, SESSION_IDLE_MS, SYNC_PROTOCOL } from './constants.js'
import { runInitiator, runResponder, syncErrorReason, type SessionHooks, type SessionResult } from './sync-session.js'
import type { ApplyOutcome, OriginHead, SyncLog } from './sync-log.js'

export interface ReplicatorInit {
  libp2p: HashfedLibp2p
  log: SyncLog
  logger: Logger
  /** members whose logs are replicated (mirrors publish nothing) */
  isOrigin: (origin: string) => boolean
  /** the members we keep in sync with */
  isMember: (peer: string) => boolean
  /** a peer's offence (rejected batch, protocol breach), for metrics and penalties */
  onRejected?: (peer: string, reason: string) => void
  /** @default 30000 */
  periodicMs?: number
  /** a session in which the peer sends nothing (or, receiving, nothing is stored) for this long is abandoned @default SESSION_IDLE_MS */
  sessionIdleMs?: number
}

export interface PeerSyncState {
  peer: string
  /** heads the peer last told us */
  heads: Map<string, OriginHead>
  lastSyncAt: number | null
  lastError: string | null
  sessions: number
  rejected: number
}

export interface Rejection {
  peer: string
  origin: string | null
  reason: string
  message: string
  at: number
}

const RECENT_REJECTIONS = 100

/**
 * Keeps our copy of every origin's log in step with the connected members: pulls on connect,
 * periodically, and when a peer shows newer heads; announces (opens a session) when we store
 * a batch. At most one outgoing session per peer and one fetch per origin at a time.
 */
export class Replicator {
  readonly rejectedByReason = new Map<string, number>()
  readonly recentRejections: Rejection[] = []
  batchesReceived = 0
  private readonly peers = new Map<string, PeerSyncState>()
  private readonly running = new Map<string, Promise<void>>()
  private readonly again = new Set<string>()
  private readonly claimed = new Set<string>()
  /** peers to ask again once an origin another session was fetching is released */
  private readonly waiting = new Map<string, Set<string>>()
  /** sessions each peer has open towards us */
  private readonly inbound = new Map<string, number>()
  /** `<peer> <origin>` → until when that origin is not requested from that peer (its copy diverged) */
  private readonly diverged = new Map<string, number>()
  private timer: NodeJS.Timeout | null = null
  private stopped = false

  constructor (private readonly init: ReplicatorInit) {}

  async start (): Promise<void> {
    const { libp2p } = this.init
    // above MAX_INBOUND_SESSIONS_PER_PEER so that a flood reaches `serve` and is counted there
    await libp2p.handle(SYNC_PROTOCOL, (stream, connection) => { void this.serve(stream, connection) }, { maxInboundStreams: 4 * MAX_INBOUND_SESSIONS_PER_PEER })
    libp2p.addEventListener('peer:connect', (evt) => { this.syncWith(evt.detail.toString()) })
    this.timer = setInterval(() => { for (const p of this.connectedMembers()) this.syncWith(p) }, this.init.periodicMs ?? PERIODIC_SYNC_MS)
    this.timer.unref()
    for (const p of this.connectedMembers()) this.syncWith(p)
  }

  stop (): void {
    this.stopped = true
    if (this.timer !== null) clearInterval(this.timer)
  }

  /** Tells every connected member (but `except`) that we have something new. */
  announce (except?: string): void {
    for (const p of this.connectedMembers()) if (p !== except) this.syncWith(p)
  }

  peerState (peer: string): PeerSyncState {
    let s = this.peers.get(peer)
    if (s === undefined) {
      s = { peer, heads: new Map(), lastSyncAt: null, lastError: null, sessions: 0, rejected: 0 }
      this.peers.set(peer, s)
    }
    return s
  }

  /** Per origin, how far we are behind the heads `peer` announced. */
  behind (peer: string): Array<{ origin: string, batches: number, entries: number }> {
    const out: Array<{ origin: string, batches: number, entries: number }> = []
    for (const h of this.peerState(peer).heads.values()) {
      const ours = this.init.log.head(h.origin)
      const batches = h.seq - (ours?.seq ?? 0)
      if (batches > 0) out.push({ origin: h.origin, batches, entries: Math.max(0, h.entries - (ours?.entries ?? 0)) })
    }
    return out
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
    return {
      log: this.init.log,
      peer,
      isOrigin: this.init.isOrigin,
      onPeerHeads: (p, heads) => this.recordHeads(p, heads),
      claim: (origin) => {
        if (!this.claimed.has(origin)) {
          this.claimed.add(origin)
          return true
        }
        const w = this.waiting.get(origin) ?? new Set<string>()
        this.waiting.set(origin, w.add(peer))
        return false
      },
      release: (origin) => {
        if (!this.claimed.delete(origin)) return
        const w = this.waiting.get(origin)
        this.waiting.delete(origin)
        for (const p of w ?? []) this.syncWith(p)
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
    if (result.stored > 0) this.init.logger.debug({ peer, stored: result.stored }, 'sync stored batches')
  }

  private sessionFailed (peer: string, err: unknown): void {
    this.peerState(peer).lastError = (err as Error).message
    const reason = syncErrorReason(err)
    if (reason !== 'stream') this.reject(peer, null, reason, (err as Error).message)
    else this.init.logger.debug({ peer, err: (err as Error).message }, 'sync session failed')
  }

  private recordHeads (peer: string, heads: OriginHead[]): void {
    const state = this.peerState(peer)
    for (const h of heads) state.heads.set(h.origin, h)
  }

  private recordOutcome (peer: string, origin: string, outcome: ApplyOutcome): void {
    if (outcome.status === 'stored') {
      this.batchesReceived++
    } else if (outcome.status === 'rejected') {
      if (outcome.reason === 'fork' || outcome.reason === 'broken-chain') this.diverged.set(`${peer} ${origin}`, Date.now() + DIVERGED_RETRY_MS)
      this.reject(peer, origin, outcome.reason, outcome.message)
    }
  }

  private reject (peer: string, origin: string | null, reason: string, message: string): void {
    this.rejectedByReason.set(reason, (this.rejectedByReason.get(reason) ?? 0) + 1)
    this.peerState(peer).rejected++
    this.recentRejections.push({ peer, origin, reason, message, at: Date.now() })
    if (this.recentRejections.length > RECENT_REJECTIONS) this.recentRejections.shift()
    this.init.logger.warn({ peer, origin, reason, err: message }, 'rejected data from peer')
    this.init.onRejected?.(peer, reason)
  }
}
