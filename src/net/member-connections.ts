import { multiaddr } from '@multiformats/multiaddr'
import { peerIdFromString } from '@libp2p/peer-id'
import type { Logger } from 'pino'
import type { HashfedLibp2p } from './create-libp2p.js'
import { DIAL_TIMEOUT_MS, PING_INTERVAL_MS, RECONNECT_MAX_MS, RECONNECT_MIN_MS } from './constants.js'
import type { MetricsRegistry } from '../observe/metrics-registry.js'
import { explainDialError, NO_ADDRESS, refusedAfterOpen } from './link-diagnosis.js'

export interface MemberTarget {
  name: string
  peerId: string
  addresses: string[]
}

export interface MemberLink {
  name: string
  peerId: string
  connected: boolean
  /** remote address of the open connection, or the first configured address */
  address: string | null
  rttMs: number | null
  connectedSince: number | null
  lastError: string | null
  /** why it is not connected, in plain words (null when connected) */
  reason: string | null
  nextDialAt: number | null
}

export interface MemberConnectionsInit {
  /** first redial delay @default RECONNECT_MIN_MS */
  minMs?: number
  /** backoff cap @default RECONNECT_MAX_MS */
  maxMs?: number
}

/**
 * The wait before redial `attempt` (0-based): doubling from `minMs`, capped at `maxMs`, with
 * ±25 % jitter so members that lost each other at once do not redial in step.
 */
export function backoffDelay (attempt: number, minMs: number, maxMs: number, random = Math.random()): number {
  return Math.min(maxMs, minMs * 2 ** Math.min(attempt, 30)) * (0.75 + random * 0.5)
}

interface State {
  target: MemberTarget
  attempt: number
  timer: NodeJS.Timeout | null
  dialing: boolean
  rttMs: number | null
  connectedSince: number | null
  lastError: string | null
  reason: string | null
  nextDialAt: number | null
  /** a ping went through on the current connection: the remote accepted us */
  established: boolean
  /** the state last logged ('connected' or a reason): one log line per change */
  logged: string | null
}

/**
 * Keeps a connection to every other member: dials their addresses, redials with exponential
 * backoff when a dial fails or a connection drops, and pings for round-trip time.
 * "Connected" is read from libp2p's connection list: a dial can resolve and then be closed
 * by the remote's gater. The backoff is reset only by a connection that carried a ping (the
 * remote accepted us), so a remote that refuses us is redialled ever more slowly, not every
 * half second; and each change of state (connected, or a new reason) is logged once.
 */
export class MemberConnections {
  private readonly members = new Map<string, State>()
  private pingTimer: NodeJS.Timeout | null = null
  private stopped = false

  private readonly minMs: number
  private readonly maxMs: number

  constructor (private readonly libp2p: HashfedLibp2p, private readonly log: Logger, init: MemberConnectionsInit = {}) {
    this.minMs = init.minMs ?? RECONNECT_MIN_MS
    this.maxMs = Math.max(this.minMs, init.maxMs ?? RECONNECT_MAX_MS)
  }

  start (targets: MemberTarget[]): void {
    this.libp2p.addEventListener('peer:connect', (evt) => {
      const s = this.members.get(evt.detail.toString())
      if (s === undefined) return
      s.connectedSince = Date.now()
      s.established = false
      // a first round-trip time now; it also proves the remote accepted us (see the class comment)
      void this.ping(s.target.peerId).catch(() => {})
    })
    this.libp2p.addEventListener('peer:disconnect', (evt) => {
      const s = this.members.get(evt.detail.toString())
      if (s === undefined) return
      s.connectedSince = null
      s.rttMs = null
      // closed before any ping went through: their gater closed it
      this.setReason(s, s.established ? 'disconnected: the connection was lost; redialling' : refusedAfterOpen(this.libp2p.peerId.toString()))
      s.established = false
      this.schedule(s)
    })
    this.setTargets(targets)
    this.pingTimer = setInterval(() => { void this.pingAll() }, PING_INTERVAL_MS)
    this.pingTimer.unref()
  }

  /** Applies a new member list (federation edits take effect without restart). */
  setTargets (targets: MemberTarget[]): void {
    const wanted = new Set(targets.map(t => t.peerId))
    for (const [id, s] of this.members) {
      if (!wanted.has(id)) {
        if (s.timer !== null) clearTimeout(s.timer)
        this.members.delete(id)
        void this.libp2p.hangUp(peerIdFromString(id)).catch(() => {})
      }
    }
    for (const target of targets) {
      const existing = this.members.get(target.peerId)
      if (existing !== undefined) {
        const moved = existing.target.addresses.join(' ') !== target.addresses.join(' ')
        existing.target = target
        // a member's new address is tried now, not after the backoff the old one built up
        if (moved) this.redialNow(target.peerId)
        continue
      }
      const s: State = { target, attempt: 0, timer: null, dialing: false, rttMs: null, connectedSince: null, lastError: null, reason: null, nextDialAt: null, established: false, logged: null }
      this.members.set(target.peerId, s)
      void this.dial(s)
    }
  }

  isConnected (peerId: string): boolean {
    return this.libp2p.getConnections(peerIdFromString(peerId)).some(c => c.status === 'open')
  }

  connectedPeers (): string[] {
    return [...this.members.keys()].filter(id => this.isConnected(id))
  }

  /** Links to members: how many are up, and per member up and round-trip time. */
  registerMetrics (metrics: MetricsRegistry): void {
    metrics.gauge({ name: 'hashfed_peers_connected', help: 'Other members with an open connection.' }, () => this.links().filter(l => l.connected).length)
    metrics.gauge({ name: 'hashfed_peer_up', help: '1 when the member has an open connection, else 0.', labelNames: ['peer'] },
      () => this.links().map(l => ({ labels: { peer: l.name }, value: l.connected ? 1 : 0 })))
    metrics.gauge({ name: 'hashfed_peer_rtt_seconds', help: 'Last measured round-trip time to a connected member, in seconds.', labelNames: ['peer'] },
      () => this.links().flatMap(l => l.connected && l.rttMs !== null ? [{ labels: { peer: l.name }, value: l.rttMs / 1000 }] : []))
  }

  links (): MemberLink[] {
    return [...this.members.values()].map(s => {
      const conn = this.libp2p.getConnections(peerIdFromString(s.target.peerId)).find(c => c.status === 'open')
      return {
        name: s.target.name,
        peerId: s.target.peerId,
        connected: conn !== undefined,
        address: conn?.remoteAddr.toString() ?? s.target.addresses[0] ?? null,
        rttMs: s.rttMs,
        connectedSince: conn !== undefined ? s.connectedSince : null,
        lastError: s.lastError,
        reason: conn !== undefined ? null : s.reason ?? (s.target.addresses.length === 0 ? NO_ADDRESS : 'not connected yet: dialling'),
        nextDialAt: conn !== undefined ? null : s.nextDialAt
      }
    })
  }

  /** Dials now, skipping the backoff wait (used after a federation edit or by tests). */
  redialNow (peerId: string): void {
    const s = this.members.get(peerId)
    if (s === undefined) return
    if (s.timer !== null) clearTimeout(s.timer)
    s.timer = null
    s.attempt = 0
    void this.dial(s)
  }

  private async dial (s: State): Promise<void> {
    if (this.stopped || s.dialing || this.isConnected(s.target.peerId)) return
    if (s.target.addresses.length === 0) return // it dials us
    s.dialing = true
    s.nextDialAt = null
    const addrs = s.target.addresses.map(a => {
      const ma = multiaddr(a)
      return ma.getComponents().some(c => c.name === 'p2p') ? ma : ma.encapsulate(`/p2p/${s.target.peerId}`)
    })
    try {
      await this.libp2p.dial(addrs, { signal: AbortSignal.timeout(DIAL_TIMEOUT_MS) })
    } catch (err) {
      s.lastError = (err as Error).message
      this.log.debug({ peer: s.target.peerId, member: s.target.name, err: s.lastError }, 'dial failed')
      this.setReason(s, explainDialError(err, s.target))
    } finally {
      s.dialing = false
    }
    // the dial may resolve and the remote still refuse us: look at the real connection list
    if (!this.isConnected(s.target.peerId)) this.schedule(s)
  }

  private schedule (s: State): void {
    if (this.stopped || s.timer !== null || !this.members.has(s.target.peerId)) return
    const delay = backoffDelay(s.attempt, this.minMs, this.maxMs)
    s.attempt = Math.min(s.attempt + 1, 30)
    s.nextDialAt = Date.now() + delay
    s.timer = setTimeout(() => {
      s.timer = null
      void this.dial(s)
    }, delay)
    s.timer.unref()
  }

  private async pingAll (): Promise<void> {
    await Promise.all([...this.members.values()].map(async (s) => {
      if (!this.isConnected(s.target.peerId)) return
      try {
        s.rttMs = await this.libp2p.services.ping.ping(peerIdFromString(s.target.peerId), { signal: AbortSignal.timeout(5000) })
        this.established(s)
      } catch (err) {
        s.lastError = (err as Error).message
      }
    }))
  }

  /** A ping went through: the link is up for real; the backoff starts again from its minimum. */
  private established (s: State): void {
    if (s.established) return
    s.established = true
    s.attempt = 0
    s.lastError = null
    s.reason = null
    if (s.logged !== 'connected') {
      s.logged = 'connected'
      this.log.info({ peer: s.target.peerId, member: s.target.name }, 'member connected')
    }
  }

  /** Records why the member is not connected; logs it when it differs from what was logged last. */
  private setReason (s: State, reason: string): void {
    s.reason = reason
    // the words before the first ':' name the state ("unreachable", "they refuse our key", …)
    const state = reason.split(':')[0]
    if (s.logged === state) return
    const wasConnected = s.logged === 'connected'
    s.logged = state
    this.log[wasConnected ? 'info' : 'warn']({ peer: s.target.peerId, member: s.target.name, reason }, wasConnected ? 'member disconnected' : 'member not connected')
  }

  /** Pings one member now and returns the round-trip time. */
  async ping (peerId: string): Promise<number | null> {
    const s = this.members.get(peerId)
    if (s === undefined || !this.isConnected(peerId)) return null
    s.rttMs = await this.libp2p.services.ping.ping(peerIdFromString(peerId), { signal: AbortSignal.timeout(5000) }).catch(() => null)
    if (s.rttMs !== null) this.established(s)
    return s.rttMs
  }

  stop (): void {
    this.stopped = true
    if (this.pingTimer !== null) clearInterval(this.pingTimer)
    for (const s of this.members.values()) if (s.timer !== null) clearTimeout(s.timer)
  }
}
