import type { Logger } from 'pino'
import { RejectionCounter } from '../observe/rejection-counter.js'
import type { MetricsRegistry } from '../observe/metrics-registry.js'
import type { ReasonList } from '../observe/reasons.js'

/** Why the connection gater refused a connection. */
export const CONNECTION_REFUSAL_REASONS = {
  'not-member': 'the peer is not a federation member',
  'cut-off': 'the member is cut off for repeated offences (see penalties)'
} as const satisfies ReasonList<string>

export type ConnectionRefusalReason = keyof typeof CONNECTION_REFUSAL_REASONS

export interface RefusedPeer {
  peerId: string
  direction: 'inbound' | 'outbound'
  remoteAddr: string
  at: number
}

/** How many refusals of outsiders `status` keeps to show (the counter counts all). */
const RECENT_REFUSALS = 50

/**
 * Connections the gater refused. Not counted per peer: an outsider can present any number of
 * peer IDs. The ring keeps outsiders only (a cut-off member's refusals are in its penalty).
 */
export class ConnectionRefusals {
  readonly counter = new RejectionCounter<ConnectionRefusalReason, RefusedPeer>({
    reasons: CONNECTION_REFUSAL_REASONS, fallback: 'not-member', recent: RECENT_REFUSALS, keep: (_, reason) => reason === 'not-member'
  })

  constructor (private readonly logger: Logger) {}

  record (reason: ConnectionRefusalReason, r: RefusedPeer): void {
    this.counter.record(reason, r)
    if (reason === 'not-member') this.logger.warn({ peer: r.peerId, direction: r.direction, remoteAddr: r.remoteAddr }, 'refused connection from a peer that is not a federation member')
    else this.logger.debug({ peer: r.peerId, direction: r.direction }, 'refused a connection of a cut-off peer')
  }

  /** Refusals of outsiders, oldest first, as status shows them. */
  recent (): RefusedPeer[] {
    return this.counter.recent().map(r => ({ peerId: r.peerId, direction: r.direction, remoteAddr: r.remoteAddr, at: r.at }))
  }

  registerMetrics (metrics: MetricsRegistry): void {
    metrics.counter({ name: 'hashfed_connections_refused_total', help: 'Connections refused because the peer is not a federation member, since start.' }, () => this.counter.count('not-member'))
    metrics.counter({ name: 'hashfed_connections_refused_cut_off_total', help: 'Connections refused because the member is cut off, since start.' }, () => this.counter.count('cut-off'))
  }
}
