import type { Logger } from 'pino'
import { asideKey } from '../store/layout.js'
import type { Store } from '../store/store.js'

/**
 * Rows of the courier's store (outbox items, receipts in `seen`) that no longer decode. We
 * wrote them, so this is damage (disk, a foreign write): the row is moved to the `aside`
 * sublevel as found, counted, logged once, and shown in the node's status, never dropped
 * silently and never retried forever. The rest of the queue goes on.
 */
export class SetAside {
  /** rows kept aside in the store (found at start, plus those set aside since) */
  count = 0

  constructor (private readonly store: Store, private readonly logger: Logger, private readonly now: () => number = Date.now) {}

  /** Counts the rows kept aside by earlier runs. */
  async load (): Promise<void> {
    this.count = await this.store.count('aside')
  }

  /** Moves the row `key` of `sublevel` aside in one atomic batch; `why` names the fault. */
  async keep (sublevel: 'outbox' | 'seen', key: string, raw: Uint8Array, why: string): Promise<void> {
    await this.store.write([
      { type: 'put', sublevel: this.store.sub.aside, key: asideKey(sublevel, key, this.now()), value: raw },
      { type: 'del', sublevel: this.store.sub[sublevel], key }
    ])
    this.count++
    this.logger.error({ sublevel, key, bytes: raw.length, problem: why }, 'a courier row does not decode; kept aside in the store and skipped')
  }
}
