import type { Logger } from 'pino'
import { PENALTY_BAN_MS, PENALTY_THRESHOLD, PENALTY_WINDOW_MS } from './constants.js'
import { RejectionCounter } from '../observe/rejection-counter.js'
import type { MetricsRegistry } from '../observe/metrics-registry.js'
import type { ReasonList } from '../observe/reasons.js'

export interface PeerPenaltiesInit<R extends string = string> {
  logger: Logger
  /** the offences the components above may report (node/offence-reasons) */
  reasons: ReasonList<R>
  /** counted for an offence not in `reasons` */
  fallback: NoInfer<R>
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
export class PeerPenalties<R extends string = string> {
  /** offences counted since start, by reason and peer */
  readonly offences: RejectionCounter<R>
  /** cut-offs since start */
  cutOffsTotal = 0
  private readonly recent = new Map<string, number[]>()
  private readonly active = new Map<string, CutOff & { timer: NodeJS.Timeout }>()
  private readonly threshold: number
  private readonly windowMs: number
  private readonly banMs: number
  private readonly now: () => number

  constructor (private readonly init: PeerPenaltiesInit<R>) {
    this.offences = new RejectionCounter<R>({ reasons: init.reasons, fallback: init.fallback, recent: 0 })
    this.threshold = init.threshold ?? PENALTY_THRESHOLD
    this.windowMs = init.windowMs ?? PENALTY_WINDOW_MS
    this.banMs = init.banMs ?? PENALTY_BAN_MS
    this.now = init.now ?? Date.now
  }

  /** Records one offence of `peer`; true when it cut the peer off. */
  offence (peer: string, reason: R): boolean {
    this.offences.record(reason, { peer })
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

  isCutOff (peer: string): boolean {
    return this.active.has(peer)
  }

  /** Peers cut off now, oldest first. */
  list (): CutOff[] {
    return [...this.active.values()].map(e => this.view(e)).sort((a, b) => a.since - b.since)
  }

  /** Offences and cut-offs; `members` names the peers of the per-member series. */
  registerMetrics (metrics: MetricsRegistry, members: () => Array<{ name: string, peerId: string }>): void {
    metrics.counter({
      name: 'hashfed_peer_offences_total',
      help: 'Offences of members (failed verification, protocol breaches) counted towards cutting them off, by reason, since start.',
      labelNames: ['reason']
    }, () => [...this.offences.byReason].map(([reason, value]) => ({ labels: { reason }, value })))
    metrics.counter({ name: 'hashfed_peer_cutoffs_total', help: 'Times a member was cut off for repeated offences, since start.' }, () => this.cutOffsTotal)
    metrics.gauge({
      name: 'hashfed_peer_cut_off',
      help: '1 while a member is cut off for its offences (its connections refused), else 0.',
      labelNames: ['peer']
    }, () => members().map(m => ({ labels: { peer: m.name }, value: this.isCutOff(m.peerId) ? 1 : 0 })))
  }

  stop (): void {
    for (const e of this.active.values()) clearTimeout(e.timer)
  }

  private view (e: CutOff): CutOff {
    return { peer: e.peer, reason: e.reason, offences: e.offences, since: e.since, until: e.until }
  }
}
