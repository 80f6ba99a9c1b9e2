import type { Logger } from 'pino'
import type { BatchEvent, HashLog } from '../log/hash-log.js'
import type { MatchIndex } from './match-index.js'

export interface IndexFeederInit {
  index: MatchIndex
  hashLog: HashLog
  logger?: Logger
}

export interface RebuildStats {
  /** (value, origin) references loaded from the store */
  entries: number
  /** scan of the store and build of the near-match structures */
  ms: number
}

/**
 * Keeps a match index equal to the store's current sets: a full load from the log's `hashes`
 * rows at start, then every stored batch (ours or a peer's) applied in order as the log emits
 * it. Batches that arrive during the load are held back and applied after it: each entry sets
 * the final state of its (origin, value), so replaying them over the snapshot ends in the
 * store's state whether or not the snapshot already had them.
 */
export class IndexFeeder {
  private buffered: BatchEvent[] | null = null
  private following = false
  private readonly onBatch = (e: BatchEvent): void => {
    if (this.buffered !== null) this.buffered.push(e)
    else this.apply(e)
  }

  constructor (private readonly init: IndexFeederInit) {}

  /** Loads the index from the store and starts following the log. */
  async start (): Promise<RebuildStats> {
    const { index, hashLog } = this.init
    const t0 = performance.now()
    this.buffered = []
    hashLog.on('batch', this.onBatch)
    this.following = true
    let entries = 0
    try {
      index.clear()
      for await (const r of hashLog.currentSet()) {
        index.add(r.origin, r.record.algorithm, r.record.value, r.seq)
        entries++
      }
    } catch (err) {
      this.stop()
      throw err
    }
    const held = this.buffered
    this.buffered = null
    for (const e of held) this.apply(e)
    index.optimize()
    const stats = { entries, ms: Math.round(performance.now() - t0) }
    this.init.logger?.info({ entries, ms: stats.ms, replayed: held.length }, 'match index loaded')
    return stats
  }

  stop (): void {
    if (!this.following) return
    this.following = false
    this.init.hashLog.off('batch', this.onBatch)
    this.buffered = null
  }

  /** Applies one stored batch: adds vouch (again: a newer seq), retracts withdraw (a no-op when not held). */
  apply (e: BatchEvent): void {
    const { index } = this.init
    for (const entry of e.entries) {
      if (entry.op === 'add') index.add(e.origin, entry.record.algorithm, entry.record.value, e.seq)
      else index.remove(e.origin, entry.algorithm, entry.value)
    }
  }
}
