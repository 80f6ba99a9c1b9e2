import { pb, type hashfed } from '../proto/index.js'
import type { BatchOp, Store } from '../store/store.js'
import { decodeStored } from '../store/stored-record.js'
import { KeyedLock } from './keyed-lock.js'

export type StoredReport = hashfed.v1.StoredReport
export type StoredReportInit = hashfed.v1.StoredReport.$Properties

/**
 * The `reports` sublevel: one StoredReport per report id, at its origin and at its target
 * only. Writers hold `locks` for the id around read-change-write, and return ops so the
 * caller can write a report together with its outbox item or receipt in one atomic batch.
 */
export class ReportStore {
  readonly locks = new KeyedLock()

  constructor (private readonly store: Store) {}

  async get (id: string): Promise<StoredReport | undefined> {
    const raw = await this.store.sub.reports.get(id)
    return raw === undefined ? undefined : decodeStored(pb.StoredReport, raw, `report ${id}`)
  }

  put (id: string, report: StoredReportInit): BatchOp {
    return { type: 'put', sublevel: this.store.sub.reports, key: id, value: pb.StoredReport.encode(report).finish() }
  }

  del (id: string): BatchOp {
    return { type: 'del', sublevel: this.store.sub.reports, key: id }
  }

  async write (ops: BatchOp[]): Promise<void> {
    await this.store.write(ops)
  }

  /** Every report in id order. A scan: fine for the thousands a hotline holds (~250k rows/s). */
  async * entries (): AsyncGenerator<[string, StoredReport]> {
    for await (const [key, value] of this.store.sub.reports.iterator()) yield [key, decodeStored(pb.StoredReport, value, `report ${key}`)]
  }
}
