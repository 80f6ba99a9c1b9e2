import { pb, type hashfed } from '../proto/index.js'
import { u64 } from '../log/uint64.js'
import type { BatchOp, Store } from '../store/store.js'
import { reportIndexKeys as K } from '../store/layout.js'
import { decodeStored } from '../store/stored-record.js'
import { CLOSED_STATUSES, REPORT_STATUSES, type ReportStatusName } from './report-status.js'
import type { ReportFact } from './report-stats.js'
import { toReportFact } from './report-view.js'

export type ReportDirection = 'inbound' | 'outbound' | 'unroutable'
export const REPORT_DIRECTIONS: readonly ReportDirection[] = ['inbound', 'outbound', 'unroutable']

/** What listings, counts and statistics need of one report: its anonymous fact, its id and direction. */
export interface IndexRow {
  id: string
  direction: ReportDirection
  status: ReportStatusName
  createdMs: number
  updatedMs: number
  country: string
  asn: number | null
  hoster: string | null
  /** from report to removal, for removed reports */
  removalMs: number | null
}

export function directionOf (stored: hashfed.v1.StoredReport): ReportDirection {
  return stored.unroutable ? 'unroutable' : stored.inbound ? 'inbound' : 'outbound'
}

export function indexRow (id: string, stored: hashfed.v1.StoredReport): IndexRow {
  const f = toReportFact(stored)
  return { id, direction: directionOf(stored), status: f.status, createdMs: f.createdMs, updatedMs: u64(stored.updatedMs), country: f.country, asn: f.asn, hoster: f.hoster, removalMs: f.removalMs }
}

/** The statistics fact of a row (unroutable reports count as outbound, as they always did). */
export function rowFact (row: IndexRow): ReportFact {
  return { createdMs: row.createdMs, status: row.status, direction: row.direction === 'inbound' ? 'inbound' : 'outbound', country: row.country, hoster: row.hoster, asn: row.asn, removalMs: row.removalMs, count: 1 }
}

export function encodeRow (row: IndexRow): Uint8Array {
  return pb.ReportIndexRow.encode({
    direction: REPORT_DIRECTIONS.indexOf(row.direction),
    status: REPORT_STATUSES.indexOf(row.status),
    createdMs: row.createdMs,
    updatedMs: row.updatedMs,
    country: row.country,
    asn: row.asn ?? 0,
    hoster: row.hoster ?? '',
    removalMs: row.removalMs ?? -1
  }).finish()
}

export function decodeRow (id: string, bytes: Uint8Array): IndexRow {
  const r = decodeStored(pb.ReportIndexRow, bytes, `report index row ${id}`)
  const removal = u64(r.removalMs)
  return {
    id,
    direction: REPORT_DIRECTIONS[r.direction] ?? 'outbound',
    status: REPORT_STATUSES[r.status] ?? 'queued',
    createdMs: u64(r.createdMs),
    updatedMs: u64(r.updatedMs),
    country: r.country,
    asn: r.asn === 0 ? null : r.asn,
    hoster: r.hoster === '' ? null : r.hoster,
    removalMs: removal < 0 ? null : removal
  }
}

/** Every `rindex` key of a row but its bucket: `[key, carries the row as value]`. */
function rowKeys (row: IndexRow): Array<[string, boolean]> {
  const { id, createdMs: c } = row
  const keys: Array<[string, boolean]> = [
    [K.row(id), true],
    [K.byTime(c, id), true],
    [K.byDirection(row.direction, c, id), true],
    [K.byStatus(row.status, c, id), true],
    [K.byCountry(row.country, c, id), true]
  ]
  if (row.hoster !== null) keys.push([K.byHoster(row.hoster, c, id), true])
  if (row.asn !== null) keys.push([K.byAsn(row.asn, c, id), true])
  if (CLOSED_STATUSES.has(row.status)) keys.push([K.closed(row.updatedMs, id), false])
  return keys
}

/** The ops that take the index from a report's old row to its new one (null: absent). */
export function rowOps (store: Store, old: IndexRow | null, next: IndexRow | null): BatchOp[] {
  const sub = store.sub.rindex
  const ops: BatchOp[] = []
  const keep = new Set(next === null ? [] : rowKeys(next).map(([k]) => k))
  if (old !== null) for (const [k] of rowKeys(old)) if (!keep.has(k)) ops.push({ type: 'del', sublevel: sub, key: k })
  if (next !== null) {
    const value = encodeRow(next)
    for (const [k, carries] of rowKeys(next)) ops.push({ type: 'put', sublevel: sub, key: k, value: carries ? value : new Uint8Array() })
  }
  return ops
}

/** The rows of these reports (absent: not indexed), in one read. */
export async function readRows (store: Store, ids: string[]): Promise<Map<string, IndexRow | null>> {
  const raws = ids.length === 0 ? [] : await store.sub.rindex.getMany(ids.map(K.row))
  return new Map(ids.map((id, i) => { const raw = raws[i]; return [id, raw === undefined ? null : decodeRow(id, raw)] }))
}

export interface RowQuery {
  direction?: ReportDirection
  status?: ReportStatusName
  hoster?: string
  asn?: number
  country?: string
  limit: number
}

/**
 * Rows newest first (creation time, then id), from the most selective listing
 * index the query names; the other conditions are checked on the rows it carries.
 */
export async function queryRows (store: Store, q: RowQuery): Promise<IndexRow[]> {
  const prefix = q.hoster !== undefined
    ? K.byHoster(q.hoster, 0, '').slice(0, -17)
    : q.asn !== undefined
      ? K.byAsn(q.asn, 0, '').slice(0, -17)
      : q.country !== undefined
        ? K.byCountry(q.country, 0, '').slice(0, -17)
        : q.status !== undefined
          ? K.byStatus(q.status, 0, '').slice(0, -17)
          : q.direction !== undefined ? K.byDirection(q.direction, 0, '').slice(0, -17) : 't!'
  const rows: IndexRow[] = []
  if (q.limit <= 0) return rows
  for await (const [key, value] of store.sub.rindex.iterator(K.range(prefix))) {
    const row = decodeRow(key.slice(key.lastIndexOf('!') + 1), value)
    if (q.direction !== undefined && row.direction !== q.direction) continue
    if (q.status !== undefined && row.status !== q.status) continue
    if (q.hoster !== undefined && row.hoster !== q.hoster) continue
    if (q.asn !== undefined && row.asn !== q.asn) continue
    if (q.country !== undefined && row.country !== q.country) continue
    rows.push(row)
    if (rows.length >= q.limit) break
  }
  return rows
}

/** Rows created in [fromMs, toMs), newest first (the part of a day statistics read row by row). */
export async function rowsCreated (store: Store, fromMs: number, toMs: number): Promise<IndexRow[]> {
  const rows: IndexRow[] = []
  // newest-first keys: created < toMs begins after the key of toMs, created >= fromMs ends before that of fromMs - 1
  for await (const [key, value] of store.sub.rindex.iterator({ gt: K.byTime(toMs, '\uffff'), lt: K.byTime(fromMs - 1, '') })) {
    rows.push(decodeRow(key.slice(key.lastIndexOf('!') + 1), value))
  }
  return rows
}

/** Ids of closed reports last changed before `cutoffMs`, oldest change first (retention). */
export async function * closedBefore (store: Store, cutoffMs: number): AsyncGenerator<string> {
  for await (const key of store.sub.rindex.keys({ gte: 'u!', lt: K.closed(cutoffMs, '') })) yield key.slice(key.lastIndexOf('!') + 1)
}
