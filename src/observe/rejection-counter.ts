import { isReason, type ReasonList } from './reasons.js'

export interface RejectionCounterInit<R extends string, E> {
  /** the reasons this counter may count; anything else is counted as `fallback` */
  reasons: ReasonList<R>
  /** counted instead of a reason not in the list (a closed label set whatever callers pass) */
  fallback: NoInfer<R>
  /** how many recent rejections to keep for status (the counts count all) */
  recent: number
  /** whether an entry goes into the ring @default every entry */
  keep?: (entry: E, reason: R) => boolean
}

/** A rejection as the ring keeps it: the reason, the peer it came from, and whatever the component adds. */
export type Rejected<R extends string, E> = E & { reason: R }

/**
 * "Count by reason (and peer) + a ring of the latest few": what sync, the report inbox, the
 * connection gater and the penalties each keep about what they refuse. Counts are since
 * start; the ring is bounded, oldest first.
 */
export class RejectionCounter<R extends string, E extends object = { peer?: string }> {
  private readonly counts = new Map<R, number>()
  private readonly peers = new Map<string, number>()
  private readonly ring: Array<Rejected<R, E>> = []
  private sum = 0

  constructor (private readonly init: RejectionCounterInit<R, E>) {
    if (!isReason(init.reasons, init.fallback)) throw new TypeError(`fallback reason "${init.fallback}" is not in the list`)
  }

  /** Counts one rejection; returns the reason counted (`fallback` for one not in the list). */
  record (reason: R | string, entry: E): R {
    const r = isReason(this.init.reasons, reason) ? reason : this.init.fallback
    this.counts.set(r, (this.counts.get(r) ?? 0) + 1)
    // counted per peer when the entry names one (`peer`): only members, whose number is bounded
    const peer = (entry as { peer?: unknown }).peer
    if (typeof peer === 'string') this.peers.set(peer, (this.peers.get(peer) ?? 0) + 1)
    this.sum++
    if (this.init.recent > 0 && (this.init.keep?.(entry, r) ?? true)) {
      this.ring.push({ ...entry, reason: r })
      if (this.ring.length > this.init.recent) this.ring.shift()
    }
    return r
  }

  get total (): number {
    return this.sum
  }

  /** Rejections counted for `reason` since start (0 for a reason not in the list). */
  count (reason: R | string): number {
    return this.counts.get(reason as R) ?? 0
  }

  /** Rejections of `peer`'s since start. */
  ofPeer (peer: string): number {
    return this.peers.get(peer) ?? 0
  }

  /** Counts by reason, only reasons counted at least once, in first-seen order. */
  get byReason (): ReadonlyMap<R, number> {
    return this.counts
  }

  /** Counts by peer, peers with at least one. */
  get byPeer (): ReadonlyMap<string, number> {
    return this.peers
  }

  /** The latest rejections kept, oldest first (a copy). */
  recent (limit = this.init.recent): Array<Rejected<R, E>> {
    return this.ring.slice(-limit)
  }
}
