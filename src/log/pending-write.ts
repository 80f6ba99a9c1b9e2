import type { RowTracker } from './row-tracker.js'
import type { OriginHead } from './log-types.js'

/**
 * The one store write of our own append that may be in flight while the next append of the
 * same origin is planned (an import's batches: signing and encoding batch N+1 overlaps
 * LevelDB writing batch N). The next plan starts from `head` and reads rows this write
 * changes from nowhere: it waits for the write first (see mustWaitFor). Nothing in memory
 * moves before the write succeeds; a plan made on a write that then fails is discarded.
 */
export class PendingWrite {
  constructor (
    readonly origin: string,
    /** the origin's head once this write is stored */
    readonly head: OriginHead,
    private readonly tracker: RowTracker,
    /** resolves once the write is stored and the log's memory updated; rejects if it failed */
    readonly done: Promise<void>,
    /** it stores a key rotation: the key history moves once it is stored */
    readonly rotates = false
  ) {}

  /** Must a plan reading these rows (or the `sources` index) wait for this write to be stored? */
  mustWaitFor (refs: string[], readsSources: boolean): boolean {
    return readsSources || refs.some(r => this.tracker.changes(r))
  }
}
