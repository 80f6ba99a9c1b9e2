import { pb } from '../proto/index.js'
import type { BatchOp, Store } from '../store/store.js'
import { decodeStored } from '../store/stored-record.js'
import { ReportAggregates, dayOf, type BucketChanges } from './report-aggregates.js'
import { encodeRow, indexRow, rowOps } from './report-index.js'
import { archiveRange, factsFromArchive, type ArchiveBucket } from './report-stats.js'

const CHUNK = 5000
/** `meta` key: the version of the report index the `rindex` sublevel holds (absent: build it). */
export const REPORT_INDEX_META = 'reportIndex'
export const REPORT_INDEX_VERSION = '2'
const META_KEY = REPORT_INDEX_META
const VERSION = REPORT_INDEX_VERSION

/** Folds retention's archive rows (`stats`, anonymous counts of deleted reports) into `changes`. */
async function foldArchive (store: Store, changes: BucketChanges): Promise<void> {
  for await (const [key, raw] of store.sub.stats.iterator(archiveRange)) {
    let facts
    try {
      facts = factsFromArchive(key, JSON.parse(Buffer.from(raw).toString('utf8')) as ArchiveBucket)
    } catch { continue } // unreadable counts were always skipped by the statistics
    for (const f of facts) {
      changes.addArchived({ day: dayOf(f.createdMs), direction: f.direction, country: f.country, asn: f.asn, hoster: f.hoster }, f.status, f.count, f.removalMs !== null ? [f.removalMs] : [])
    }
  }
}

/**
 * Builds the report index (`rindex`) from the reports and retention's counts: every row and
 * day bucket, then the version mark in `meta`. Until the mark is written a restart builds it
 * again, so a crash halfway leaves nothing half-trusted. A store written by an older version
 * gets its index this way once; `hashfed verify` does it to repair a damaged index.
 */
export async function rebuildReportIndexes (store: Store, aggregates: ReportAggregates): Promise<void> {
  await store.sub.meta.del(META_KEY)
  await store.sub.rindex.clear()
  aggregates.clear()
  const changes = aggregates.changes()
  let ops: BatchOp[] = []
  for await (const [id, value] of store.sub.reports.iterator()) {
    const row = indexRow(id, decodeStored(pb.StoredReport, value, `report ${id}`))
    ops.push(...rowOps(store, null, row))
    changes.change(null, row)
    if (ops.length >= CHUNK * 8) { await store.write(ops); ops = [] }
  }
  await foldArchive(store, changes)
  ops.push(...changes.ops(store))
  for (let i = 0; i < ops.length; i += CHUNK * 8) await store.write(ops.slice(i, i + CHUNK * 8))
  changes.commit()
  await store.sub.meta.put(META_KEY, Buffer.from(VERSION))
}

export interface IndexCheck {
  ok: boolean
  reports: number
  buckets: number
  /** the first problems found (missing, stale or extra rows; buckets that differ) */
  problems: string[]
  repaired: boolean
}

/**
 * Checks the report index against the reports and retention's counts (every row each report
 * should have, no other rows, every day bucket equal); with `repair`, rebuilds it when they
 * differ. `hashfed verify` calls it through ReportStore.verify (writes held back meanwhile, the
 * node's aggregates rebuilt with the rows); on its own, the node must not be running on this store.
 */
export async function verifyReportIndexes (store: Store, opts: { repair?: boolean, aggregates?: ReportAggregates } = {}): Promise<IndexCheck> {
  const problems: string[] = []
  const note = (p: string): void => { if (problems.length < 20) problems.push(p) }
  const expected = new ReportAggregates()
  const changes = expected.changes()
  let reports = 0
  let rowKeys = 0
  for await (const [id, value] of store.sub.reports.iterator()) {
    reports++
    const row = indexRow(id, decodeStored(pb.StoredReport, value, `report ${id}`))
    changes.change(null, row)
    const want = Buffer.from(encodeRow(row))
    for (const op of rowOps(store, null, row)) {
      if (op.type !== 'put') continue
      rowKeys++
      const got = await store.sub.rindex.get(op.key)
      if (got === undefined) note(`missing index row ${op.key}`)
      else if (op.value.length > 0 && !want.equals(Buffer.from(got))) note(`stale index row ${op.key}`)
    }
  }
  await foldArchive(store, changes)
  changes.commit()
  let held = 0
  for await (const _ of store.sub.rindex.keys({ gte: 'a', lt: 'g' })) held++
  for await (const _ of store.sub.rindex.keys({ gte: 'h', lt: '~' })) held++
  if (held !== rowKeys) note(`the index holds ${held} report rows, the reports need ${rowKeys}`)
  const buckets = new Map([...expected.encoded()].map(([k, v]) => [k, Buffer.from(v)]))
  for await (const [key, value] of store.sub.rindex.iterator({ gte: 'g!', lt: 'g!\uffff' })) {
    const want = buckets.get(key)
    if (want === undefined) note(`extra day bucket ${key}`)
    else if (!want.equals(Buffer.from(value))) note(`day bucket ${key} differs from the reports`)
    buckets.delete(key)
  }
  for (const key of buckets.keys()) note(`missing day bucket ${key}`)
  const mark = await store.sub.meta.get(META_KEY)
  if (mark === undefined || Buffer.from(mark).toString() !== VERSION) note('the report index is not marked complete')
  const ok = problems.length === 0
  if (!ok && opts.repair === true) await rebuildReportIndexes(store, opts.aggregates ?? new ReportAggregates())
  return { ok, reports, buckets: expected.size, problems, repaired: !ok && opts.repair === true }
}
