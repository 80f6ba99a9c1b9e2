import { TokenBuckets } from '../util/token-bucket.js'
import { DEFAULT_INBOUND_BURST, DEFAULT_INBOUND_PER_MINUTE, QUOTA_GRACE } from './constants.js'

export interface InboundQuotaInit {
  /** @default DEFAULT_INBOUND_BURST (2000) */
  burst?: number
  /** @default DEFAULT_INBOUND_PER_MINUTE (60) */
  perMinute?: number
}

export type QuotaAnswer =
  | { granted: true }
  /** `ignored`: this refusal completes another QUOTA_GRACE the sender collected without pausing */
  | { granted: false, retryAfterMs: number, ignored: boolean }

/**
 * The per-member quota of inbound courier messages, one token bucket per member and
 * kind (a hoster's feedback flood at one member cannot hold up that member's reports). Keys
 * are authenticated members only, so the table is as small as the federation.
 */
export class InboundQuota {
  private readonly buckets: TokenBuckets
  /** quota refusals per member since its last granted message */
  private readonly refusedInARow = new Map<string, number>()

  constructor (init: InboundQuotaInit = {}) {
    const perMinute = init.perMinute ?? DEFAULT_INBOUND_PER_MINUTE
    this.buckets = new TokenBuckets(perMinute / 60, init.burst ?? DEFAULT_INBOUND_BURST)
  }

  take (peer: string, kind: string): QuotaAnswer {
    const wait = this.buckets.take(`${peer}!${kind}`)
    if (wait === 0) {
      this.refusedInARow.delete(peer)
      return { granted: true }
    }
    const n = (this.refusedInARow.get(peer) ?? 0) + 1
    this.refusedInARow.set(peer, n)
    return { granted: false, retryAfterMs: wait, ignored: n % QUOTA_GRACE === 0 }
  }
}
