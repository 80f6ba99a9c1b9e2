import { multiaddr } from '@multiformats/multiaddr'
import { peerIdFromString } from '@libp2p/peer-id'
import type { Logger } from 'pino'
import type { HashfedLibp2p } from './create-libp2p.js'
import { DIAL_TIMEOUT_MS, PING_INTERVAL_MS, RECONNECT_MAX_MS, RECONNECT_MIN_MS } from './constants.js'
import type { MetricsRegistry } from '../observe/metrics-registry.js'

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
  nextDialAt: number | null
}

interface State {
  target: MemberTarget
  attempt: number
  timer: NodeJS.Timeout | null
  dialing: boolean
  rttMs: number | null
  connectedSince: number | null
  lastError: string | null
  nextDialAt: number | null
}

/**
 * Keeps a connection to every other member: dials their addresses, redials with exponential
 * backoff when a dial fails or a connection drops, and pings for round-trip time.
 * "Connected" is read from libp2p's connection list: a dial can resolve and then be closed
 * by the remote's gater.
 */
export class MemberConnections {
  private readonly members = new Map<string, State>()
  private pingTimer: NodeJS.Timeout | null = null
  private stopped = false

  constructor (private readonly libp2p: HashfedLibp2p, private readonly log: Logger) {}

  start (targets: MemberTarget[]): void {
    this.libp2p.addEventListener('peer:connect', (evt) => {
      const s = this.members.get(evt.detail.toString())
      if (s === undefined) return
      s.attempt = 0
      s.connectedSince = Date.now()
      s.lastError = null
      this.log.info({ peer: s.target.peerId, member: s.target.name }, 'member connected')
      // a first round-trip time now, not only at the next ping interval
      void this.ping(s.target.peerId).catch(() => {})
    })
    this.libp2p.addEventListener('peer:disconnect', (evt) => {
      const s = this.members.get(evt.detail.toString())
      if (s === undefined) return
      s.connectedSince = null
      s.rttMs = null
      this.log.info({ peer: s.target.peerId, member: s.target.name }, 'member disconnected')
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
      const s: State = { target, attempt: 0, timer: null, dialing: false, rttMs: null, connectedSince: null, lastError: null, nextDialAt: null }
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
    } finally {
      s.dialing = false
    }
    // the dial may resolve and the remote still refuse us: look at the real connection list
    if (!this.isConnected(s.target.peerId)) this.schedule(s)
  }

  private schedule (s: State): void {
    if (this.stopped || s.timer !== null || !this.members.has(s.target.peerId)) return
    const delay = Math.min(RECONNECT_MAX_MS, RECONNECT_MIN_MS * 2 ** s.attempt) * (0.75 + Math.random() * 0.5)
    s.attempt = Math.min(s.attempt + 1, 16)
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
      } catch (err) {
        s.lastError = (err as Error).message
      }
    }))
  }

  /** Pings one member now and returns the round-trip time. */
  async ping (peerId: string): Promise<number | null> {
    const s = this.members.get(peerId)
    if (s === undefined || !this.isConnected(peerId)) return null
    s.rttMs = await this.libp2p.services.ping.ping(peerIdFromString(peerId), { signal: AbortSignal.timeout(5000) }).catch(() => null)
    return s.rttMs
  }

  stop (): void {
    this.stopped = true
    if (this.pingTimer !== null) clearInterval(this.pingTimer)
    for (const s of this.members.values()) if (s.timer !== null) clearTimeout(s.timer)
  }
}
