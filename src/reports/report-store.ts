import { pb, type hashfed } from '../proto/index.js'
import type { BatchOp, Store } from '../store/store.js'
import { decodeStored } from '../store/stored-record.js'
import { KeyedLock } from '../util/lock.js'
import { indexRow, ReportIndex, type IndexRow } from './report-index.js'

export type StoredReport = hashfed.v1.StoredReport
export type StoredReportInit = hashfed.v1.StoredReport.$Properties

/**
 * The `reports` sublevel: one StoredReport per report id, at its origin and at its target
 * only. Writers hold `locks` for the id around read-change-write, and return ops so the
 * caller can write a report together with its outbox item or receipt in one atomic batch.
 * Every batch holding report ops is committed through `write`, which keeps `index` current.
 */
export class ReportStore {
  readonly locks = new KeyedLock()
  readonly index = new ReportIndex()
  /** the index row each pending put or del op leaves behind once committed */
  private readonly rowOf = new WeakMap<BatchOp, { id: string, row: IndexRow | null }>()

  constructor (private readonly store: Store) {}

  async get (id: string): Promise<StoredReport | undefined> {
    const raw = await this.store.sub.reports.get(id)
    return raw === undefined ? undefined : decodeStored(pb.StoredReport, raw, `report ${id}`)
  }

  put (id: string, report: StoredReportInit): BatchOp {
    const op: BatchOp = { type: 'put', sublevel: this.store.sub.reports, key: id, value: pb.StoredReport.encode(report).finish() }
    this.rowOf.set(op, { id, row: indexRow(id, pb.StoredReport.create(report)) })
    return op
  }

  del (id: string): BatchOp {
    const op: BatchOp = { type: 'del', sublevel: this.store.sub.reports, key: id }
    this.rowOf.set(op, { id, row: null })
    return op
  }

  /** Commits ops atomically (any sublevels), then brings the index up to date with them. */
  async write (ops: BatchOp[]): Promise<void> {
    await this.store.write(ops)
    for (const op of ops) {
      const r = this.rowOf.get(op)
      if (r !== undefined) this.index.apply(r.id, r.row)
    }
  }

  /** Loads the index (one scan); listings and counts read it from then on. */
  async loadIndex (): Promise<ReportIndex> {
    await this.index.load(() => this.entries())
    return this.index
  }

  /** Every report in id order: a scan, for retention and loading the index. */
  async * entries (): AsyncGenerator<[string, StoredReport]> {
    for await (const [key, value] of this.store.sub.reports.iterator()) yield [key, decodeStored(pb.StoredReport, value, `report ${key}`)]
  }
}
