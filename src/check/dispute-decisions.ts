import type { Store } from '../store/store.js'

export const DISPUTE_DECISIONS = ['accepted', 'rejected'] as const
export type DisputeDecisionName = typeof DISPUTE_DECISIONS[number]

/** What the origin's analyst decided about a dispute. `accepted` goes with a retraction of the hash. */
export interface DisputeDecision {
  decision: DisputeDecisionName
  /** the analyst's reason; local only, never sent to other members */
  reason: string
  at: string
}

/**
 * Decisions on disputes, in the `disputes` sublevel keyed by the feedback id. Kept apart from
 * the signed feedback itself: that is another member's record and stays as it arrived.
 */
export class DisputeDecisions {
  constructor (private readonly store: Store) {}

  async get (id: string): Promise<DisputeDecision | null> {
    const raw = await this.store.sub.disputes.get(id)
    return raw === undefined ? null : JSON.parse(Buffer.from(raw).toString('utf8')) as DisputeDecision
  }

  async all (): Promise<Map<string, DisputeDecision>> {
    const out = new Map<string, DisputeDecision>()
    for await (const [id, raw] of this.store.sub.disputes.iterator()) out.set(id, JSON.parse(Buffer.from(raw).toString('utf8')) as DisputeDecision)
    return out
  }

  async put (id: string, d: DisputeDecision): Promise<void> {
    await this.store.sub.disputes.put(id, Buffer.from(JSON.stringify(d), 'utf8'))
  }
}
