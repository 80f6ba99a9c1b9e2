import { pb, type hashfed } from '../proto/index.js'
import type { BatchOp, Store } from '../store/store.js'
import { decodeStored } from '../store/stored-record.js'
import { KeyedLock } from '../util/lock.js'
import { ReportAggregates } from './report-aggregates.js'
import { indexRow, readRows, rowOps, type IndexRow } from './report-index.js'
import { REPORT_INDEX_META, REPORT_INDEX_VERSION, rebuildReportIndexes, verifyReportIndexes, type IndexCheck } from './report-index-rebuild.js'

export type StoredReport = hashfed.v1.StoredReport
export type StoredReportInit = hashfed.v1.StoredReport.$Properties

interface Pending { id: string, row: IndexRow | null, archive: boolean }
interface Queued { ops: BatchOp[], resolve: () => void, reject: (err: unknown) => void }

/**
 * The `reports` sublevel: one StoredReport per report id, at its origin and at its target
 * only. Writers hold `locks` for the id around read-change-write, and return ops so the
 * caller can write a report together with its outbox item or receipt in one atomic batch.
 * Every batch holding report ops is committed through `write`, which adds the report index
 * rows and day buckets (`rindex`) to the same batch: listings, counts and statistics read
 * those, never the reports, and a crash cannot leave them apart. Index writes are serialised
 * (buckets are shared by many reports); a batch takes tens of microseconds.
 */
export class ReportStore {
  readonly locks = new KeyedLock()
  readonly aggregates = new ReportAggregates()
  /** the index row each pending put or del op leaves behind once committed */
  private readonly rowOf = new WeakMap<BatchOp, Pending>()
  private chain: Promise<unknown> = Promise.resolve()
  private readonly queue: Queued[] = []
  private flushing = false
  private loading: Promise<void> | null = null

  constructor (readonly store: Store) {}

  async get (id: string): Promise<StoredReport | undefined> {
    const raw = await this.store.sub.reports.get(id)
    return raw === undefined ? undefined : decodeStored(pb.StoredReport, raw, `report ${id}`)
  }

  /** Several reports in one read, in the order asked (undefined: absent). */
  async getMany (ids: string[]): Promise<Array<StoredReport | undefined>> {
    if (ids.length === 0) return []
    const raws = await this.store.sub.reports.getMany(ids)
    return raws.map((raw, i) => raw === undefined ? undefined : decodeStored(pb.StoredReport, raw, `report ${ids[i]}`))
  }

  put (id: string, report: StoredReportInit): BatchOp {
    const value = pb.StoredReport.encode(report).finish()
    const op: BatchOp = { type: 'put', sublevel: this.store.sub.reports, key: id, value }
    // the row of what is stored (encoding truncates, say, a fractional time), as a scan reads it
    this.rowOf.set(op, { id, row: indexRow(id, pb.StoredReport.decode(value)), archive: false })
    return op
  }

  /** `archive`: retention deletes it and its counts stay in the statistics. */
  del (id: string, opts: { archive?: boolean } = {}): BatchOp {
    const op: BatchOp = { type: 'del', sublevel: this.store.sub.reports, key: id }
    this.rowOf.set(op, { id, row: null, archive: opts.archive === true })
    return op
  }

  /**
   * Commits ops atomically (any sublevels) with the index changes their report ops make.
   * Writes without report ops go straight to the store. Those with report ops are committed in
   * groups: whatever arrives while one LevelDB batch is on its way goes together into the next
   * (still all or nothing for each caller), so serialising the shared buckets costs one batch
   * at a time, not one per report.
   */
  async write (ops: BatchOp[]): Promise<void> {
    if (!ops.some(op => this.rowOf.has(op))) { await this.store.write(ops); return }
    await this.ready()
    const done = new Promise<void>((resolve, reject) => { this.queue.push({ ops, resolve, reject }) })
    if (!this.flushing) {
      this.flushing = true
      void this.serial(async () => { await this.drain() })
    }
    await done
  }

  private async drain (): Promise<void> {
    try {
      while (this.queue.length > 0) await this.commitGroup(this.queue.splice(0))
    } finally {
      this.flushing = false
    }
  }

  private async commitGroup (group: Queued[]): Promise<void> {
    const changes = this.aggregates.changes()
    const all: BatchOp[] = []
    const admitted: Queued[] = []
    const refused = new Set<Queued>()
    try {
      const ids = new Set(group.flatMap(q => q.ops.map(op => this.rowOf.get(op)?.id).filter((id): id is string => id !== undefined)))
      // the rows these reports have now, in one read; later ops in the group see earlier ones
      const rows = await readRows(this.store, [...ids])
      for (const q of group) {
        const mine: Array<{ old: IndexRow | null, p: Pending }> = []
        const extra: BatchOp[] = []
        try {
          const seen = new Map<string, IndexRow | null>()
          for (const op of q.ops) {
            const p = this.rowOf.get(op)
            if (p === undefined) continue
            const old = seen.has(p.id) ? seen.get(p.id) ?? null : rows.get(p.id) ?? null
            extra.push(...rowOps(this.store, old, p.row))
            mine.push({ old, p })
            seen.set(p.id, p.row)
          }
          for (const [id, row] of seen) rows.set(id, row)
        } catch (err) { refused.add(q); q.reject(err); continue }
        for (const { old, p } of mine) changes.change(old, p.row, p.archive)
        all.push(...q.ops, ...extra)
        admitted.push(q)
      }
      await this.store.write([...all, ...changes.ops(this.store)])
    } catch (err) {
      // the read before, or the batch: every caller not already refused
      for (const q of group) if (!refused.has(q)) q.reject(err)
      return
    }
    changes.commit()
    for (const q of admitted) q.resolve()
  }

  /**
   * Loads the day buckets (one range read of the bucket rows, not of the reports); builds the
   * index first when the store has none yet (written by an older version). Every read and
   * write waits for it.
   */
  async ready (): Promise<ReportAggregates> {
    this.loading ??= this.serial(async () => {
      const version = await this.store.sub.meta.get(REPORT_INDEX_META)
      if (version === undefined || Buffer.from(version).toString() !== REPORT_INDEX_VERSION) await rebuildReportIndexes(this.store, this.aggregates)
      else await this.aggregates.load(this.store)
    })
    await this.loading
    return this.aggregates
  }

  /** Drops the index and builds it again from the reports and retention's counts (verify). */
  async rebuild (): Promise<void> {
    await this.ready()
    await this.serial(async () => { await rebuildReportIndexes(this.store, this.aggregates) })
  }

  /**
   * Checks the index against the reports (see verifyReportIndexes) with report writes held
   * back, so a write halfway cannot look like damage; `repair` rebuilds a damaged one, rows
   * and the aggregates in memory together.
   */
  async verify (opts: { repair?: boolean } = {}): Promise<IndexCheck> {
    await this.ready()
    return await this.serial(async () => await verifyReportIndexes(this.store, { repair: opts.repair, aggregates: this.aggregates }))
  }

  private async serial<T> (fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(fn)
    this.chain = run.catch(() => {})
    return await run
  }

  /** Every report in id order: a full scan (index builds, checks, tests). */
  async * entries (): AsyncGenerator<[string, StoredReport]> {
    for await (const [key, value] of this.store.sub.reports.iterator()) yield [key, decodeStored(pb.StoredReport, value, `report ${key}`)]
  }
}
