import { pb } from '../proto/index.js'
import { u64 } from '../log/uint64.js'
import type { BatchOp, Store } from '../store/store.js'
import { reportIndexKeys as K } from '../store/layout.js'
import { decodeStored } from '../store/stored-record.js'
import type { IndexRow, ReportDirection } from './report-index.js'
import { OPEN_STATUSES, REPORT_STATUSES, type ReportStatusName } from './report-status.js'

/** The counts of one day bucket; arrays indexed by REPORT_STATUSES, lists sorted. */
export interface Bucket {
  held: number[]
  archived: number[]
  removalMs: number[]
  openCreatedMs: number[]
}

/** What a bucket is about (its key, parsed). */
export interface BucketOf {
  day: string
  direction: ReportDirection
  country: string
  asn: number | null
  hoster: string | null
}

/** last millisecond of 9999-12-31: every day key keeps the YYYY-MM-DD shape */
const LAST_MS = 253_402_300_799_999

/**
 * The UTC day of a time. Total: a damaged row's time (negative, past year 9999, not a number)
 * falls on the nearest edge day instead of throwing, so one bad row cannot stop list/stats.
 */
export const dayOf = (ms: number): string => new Date(Number.isFinite(ms) ? Math.min(Math.max(ms, 0), LAST_MS) : 0).toISOString().slice(0, 10)

export const zeros = (): number[] => REPORT_STATUSES.map(() => 0)
export const emptyBucket = (): Bucket => ({ held: zeros(), archived: zeros(), removalMs: [], openCreatedMs: [] })
const copy = (b: Bucket): Bucket => ({ held: [...b.held], archived: [...b.archived], removalMs: [...b.removalMs], openCreatedMs: [...b.openCreatedMs] })
export const isEmpty = (b: Bucket): boolean => b.removalMs.length === 0 && b.openCreatedMs.length === 0 && b.held.every(n => n === 0) && b.archived.every(n => n === 0)

function insertSorted (list: number[], v: number): void {
  let lo = 0
  let hi = list.length
  while (lo < hi) { const mid = (lo + hi) >> 1; if (list[mid] <= v) lo = mid + 1; else hi = mid }
  list.splice(lo, 0, v)
}

function removeValue (list: number[], v: number): void {
  const i = list.indexOf(v)
  if (i >= 0) list.splice(i, 1)
}

export function bucketOfRow (row: IndexRow): BucketOf {
  return { day: dayOf(row.createdMs), direction: row.direction, country: row.country, asn: row.asn, hoster: row.hoster }
}

export const keyOf = (o: BucketOf): string => K.bucket(o.day, o.direction, o.country, o.asn ?? 0, o.hoster ?? '')

/** What BucketChanges reads and makes current (the report aggregates). */
export interface BucketHolder {
  get: (key: string) => Bucket | undefined
  set: (key: string, of: BucketOf, bucket: Bucket | undefined) => void
}

export function encodeBucket (b: Bucket): Uint8Array {
  return pb.ReportBucket.encode({ held: b.held, archived: b.archived, removalMs: b.removalMs, openCreatedMs: b.openCreatedMs }).finish()
}

export function decodeBucket (key: string, bytes: Uint8Array): Bucket {
  const b = decodeStored(pb.ReportBucket, bytes, `report bucket ${key}`)
  const pad = (xs: number[]): number[] => REPORT_STATUSES.map((_, i) => xs[i] ?? 0)
  return { held: pad(b.held), archived: pad(b.archived), removalMs: b.removalMs.map(u64), openCreatedMs: b.openCreatedMs.map(u64) }
}

/**
 * Changes to buckets for one write, made on copies: `ops` writes them in the report's batch,
 * `commit` makes them current once that batch is on disk.
 */
export class BucketChanges {
  readonly changed = new Map<string, { of: BucketOf, bucket: Bucket }>()

  constructor (private readonly current: BucketHolder) {}

  private entry (of: BucketOf): Bucket {
    const key = keyOf(of)
    let e = this.changed.get(key)
    if (e === undefined) {
      const cur = this.current.get(key)
      e = { of, bucket: cur === undefined ? emptyBucket() : copy(cur) }
      this.changed.set(key, e)
    }
    return e.bucket
  }

  /** A report's row went from `old` to `next`; `archive`: retention deleted it, its counts stay. */
  change (old: IndexRow | null, next: IndexRow | null, archive = false): void {
    if (old !== null) {
      const b = this.entry(bucketOfRow(old))
      const s = REPORT_STATUSES.indexOf(old.status)
      b.held[s]--
      if (OPEN_STATUSES.has(old.status)) removeValue(b.openCreatedMs, old.createdMs)
      if (archive && next === null) b.archived[s]++
      else if (old.removalMs !== null) removeValue(b.removalMs, old.removalMs)
    }
    if (next !== null) {
      const b = this.entry(bucketOfRow(next))
      b.held[REPORT_STATUSES.indexOf(next.status)]++
      if (OPEN_STATUSES.has(next.status)) insertSorted(b.openCreatedMs, next.createdMs)
      if (next.removalMs !== null) insertSorted(b.removalMs, next.removalMs)
    }
  }

  /** Counts retention kept before this index existed (the `stats` archive rows). */
  addArchived (of: BucketOf, status: ReportStatusName, count: number, removalMs: number[]): void {
    const b = this.entry(of)
    b.archived[REPORT_STATUSES.indexOf(status)] += count
    for (const ms of removalMs) insertSorted(b.removalMs, ms)
  }

  ops (store: Store): BatchOp[] {
    return [...this.changed].map(([key, e]): BatchOp => isEmpty(e.bucket)
      ? { type: 'del', sublevel: store.sub.rindex, key }
      : { type: 'put', sublevel: store.sub.rindex, key, value: encodeBucket(e.bucket) })
  }

  commit (): void {
    for (const [key, e] of this.changed) this.current.set(key, e.of, isEmpty(e.bucket) ? undefined : e.bucket)
  }
}

