import type { Logger } from 'pino'
import { PENALTY_BAN_MS, PENALTY_THRESHOLD, PENALTY_WINDOW_MS } from './constants.js'

export interface PeerPenaltiesInit {
  logger: Logger
  /** offences within `windowMs` that cut a peer off @default PENALTY_THRESHOLD (5) */
  threshold?: number
  /** @default PENALTY_WINDOW_MS (60 s) */
  windowMs?: number
  /** how long a cut-off peer stays refused @default PENALTY_BAN_MS (5 min) */
  banMs?: number
  /** called once when a peer is cut off (hang up its connections here) */
  onCutOff?: (peer: string, cutOff: CutOff) => void
  /** called once when a cut-off ends (redial it here) */
  onRestored?: (peer: string) => void
  /** @default Date.now */
  now?: () => number
}

export interface CutOff {
  peer: string
  /** the offence that tipped it over, or the operator's reason */
  reason: string
  /** offences counted in the window when it was cut off */
  offences: number
  since: number
  until: number
}

/**
 * Counts a peer's offences (batches or messages that failed verification, protocol breaches)
 * and cuts off a peer that keeps offending: with `threshold` offences inside `windowMs` its
 * connections are closed and the connection gater refuses it until `banMs` have passed. A
 * member whose node misbehaves then costs us one verify per offence, not one per message it
 * can send. An operator (or a test) can also cut a peer off by hand and restore it.
 */
export class PeerPenalties {
  /** offences counted since start, by reason */
  readonly offencesByReason = new Map<string, number>()
  /** cut-offs since start */
  cutOffsTotal = 0
  /** connections refused because the peer was cut off, since start */
  refusedTotal = 0
  private readonly recent = new Map<string, number[]>()
  private readonly active = new Map<string, CutOff & { timer: NodeJS.Timeout }>()
  private readonly threshold: number
  private readonly windowMs: number
  private readonly banMs: number
  private readonly now: () => number

  constructor (private readonly init: PeerPenaltiesInit) {
    this.threshold = init.threshold ?? PENALTY_THRESHOLD
    this.windowMs = init.windowMs ?? PENALTY_WINDOW_MS
    this.banMs = init.banMs ?? PENALTY_BAN_MS
    this.now = init.now ?? Date.now
  }

  /** Records one offence of `peer`; true when it cut the peer off. */
  offence (peer: string, reason: string): boolean {
    this.offencesByReason.set(reason, (this.offencesByReason.get(reason) ?? 0) + 1)
    if (this.active.has(peer)) return false
    const now = this.now()
    const times = (this.recent.get(peer) ?? []).filter(t => now - t < this.windowMs)
    times.push(now)
    this.recent.set(peer, times)
    if (times.length < this.threshold) return false
    this.recent.delete(peer)
    this.cutOff(peer, reason, this.banMs, times.length)
    return true
  }

  /** Cuts `peer` off for `ms` (default banMs), whatever its record. */
  cutOff (peer: string, reason: string, ms = this.banMs, offences = 0): void {
    const existing = this.active.get(peer)
    if (existing !== undefined) clearTimeout(existing.timer)
    const since = this.now()
    const timer = setTimeout(() => this.restore(peer), ms)
    timer.unref()
    const entry = { peer, reason, offences, since, until: since + ms, timer }
    this.active.set(peer, entry)
    this.cutOffsTotal++
    this.init.logger.warn({ peer, reason, offences, until: new Date(entry.until).toISOString() }, 'peer cut off: its connections are closed and refused until the penalty ends')
    this.init.onCutOff?.(peer, this.view(entry))
  }

  /** Ends a cut-off now (also what the timer does). */
  restore (peer: string): void {
    const entry = this.active.get(peer)
    if (entry === undefined) return
    clearTimeout(entry.timer)
    this.active.delete(peer)
    this.init.logger.info({ peer, reason: entry.reason }, 'peer penalty ended: connections allowed again')
    this.init.onRestored?.(peer)
  }

  /** The gater refused a connection of a cut-off peer. */
  refused (peer: string, direction: 'inbound' | 'outbound'): void {
    this.refusedTotal++
    this.init.logger.debug({ peer, direction }, 'refused a connection of a cut-off peer')
  }

  isCutOff (peer: string): boolean {
    return this.active.has(peer)
  }

  /** Peers cut off now, oldest first. */
  list (): CutOff[] {
    return [...this.active.values()].map(e => this.view(e)).sort((a, b) => a.since - b.since)
  }

  get offencesTotal (): number {
    let n = 0
    for (const v of this.offencesByReason.values()) n += v
    return n
  }

  stop (): void {
    for (const e of this.active.values()) clearTimeout(e.timer)
  }

  private view (e: CutOff): CutOff {
    return { peer: e.peer, reason: e.reason, offences: e.offences, since: e.since, until: e.until }
  }
}
