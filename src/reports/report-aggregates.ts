import { pb } from '../proto/index.js'
import { u64 } from '../log/uint64.js'
import type { BatchOp, Store } from '../store/store.js'
import { reportIndexKeys as K } from '../store/layout.js'
import { decodeStored } from '../store/stored-record.js'
import { REPORT_DIRECTIONS, type IndexRow, type ReportDirection } from './report-index.js'
import { OPEN_STATUSES, REPORT_STATUSES, type ReportStatusName } from './report-status.js'
import { groupKey, type RemovalLists, type StatsGroupBy, type StatsPart } from './report-stats.js'

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

/** `part`: its statistics part, made on first use (an entry is replaced, never changed) */
interface Entry { of: BucketOf, bucket: Bucket, part?: StatsPart }
/** A month of one direction, country, ASN and hoster: summed counts and its days' buckets. */
interface MonthEntry { of: BucketOf, held: number[], archived: number[], days: Set<Bucket>, part?: StatsPart }

export type Counts = Record<ReportDirection, Record<ReportStatusName, number>>

export const dayOf = (ms: number): string => new Date(ms).toISOString().slice(0, 10)

const zeros = (): number[] => REPORT_STATUSES.map(() => 0)
/** days of a month as blocks see them: aligned powers of two up to 32 */
const MONTH_SLOTS = 32
const blockId = (month: string, start: number, len: number): string => `${month}+${start}+${len}`
/** bucket rows read per step of the load */
const LOAD_BATCH = 2000
const emptyBucket = (): Bucket => ({ held: zeros(), archived: zeros(), removalMs: [], openCreatedMs: [] })
const copy = (b: Bucket): Bucket => ({ held: [...b.held], archived: [...b.archived], removalMs: [...b.removalMs], openCreatedMs: [...b.openCreatedMs] })
const isEmpty = (b: Bucket): boolean => b.removalMs.length === 0 && b.openCreatedMs.length === 0 && b.held.every(n => n === 0) && b.archived.every(n => n === 0)

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

const keyOf = (o: BucketOf): string => K.bucket(o.day, o.direction, o.country, o.asn ?? 0, o.hoster ?? '')

/** `hosters`: names by their hex, decoded once per load */
function parseKey (key: string, hosters?: Map<string, string | null>): BucketOf {
  const [, day, direction, country, asn, hosterHex] = key.split('!')
  let hoster = hosters?.get(hosterHex)
  if (hoster === undefined) {
    hoster = hosterHex === '' ? null : Buffer.from(hosterHex, 'hex').toString('utf8')
    hosters?.set(hosterHex, hoster)
  }
  return { day, direction: direction as ReportDirection, country, asn: asn === '0' ? null : Number(asn), hoster }
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
  readonly changed = new Map<string, Entry>()

  constructor (private readonly current: ReportAggregates) {}

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

/**
 * Every day bucket, in memory (a few hundred bytes per day and hoster: tens of MiB for a
 * national year), loaded from the store in one range read, and the held counts by direction
 * and status summed from them. Kept current by ReportStore.write.
 */
export class ReportAggregates {
  private readonly days = new Map<string, Map<string, Entry>>()
  /** month rollups: statistics over a year read a dozen of these per hoster, not 365 days */
  private readonly months = new Map<string, Map<string, MonthEntry>>()
  private readonly counts: Counts = zeroCounts()
  private archivedTotal = 0
  /**
   * Times to removal of one month or day, sorted, by group of one grouping (`all`: one group):
   * made on first use, dropped when a bucket of that day or month changes.
   */
  private readonly removalCache = new Map<string, Map<StatsGroupBy | 'all', Map<string, Float64Array>>>()
  /** rollups of aligned blocks of days within a month (see `periods`), made on first use, dropped with a change */
  private readonly blocks = new Map<string, Map<string, MonthEntry>>()

  get (key: string): Bucket | undefined {
    const day = key.slice(2, 12)
    return this.days.get(day)?.get(key)?.bucket
  }

  set (key: string, of: BucketOf, bucket: Bucket | undefined): void {
    const day = this.days.get(of.day) ?? new Map<string, Entry>()
    const old = day.get(key)
    if (old !== undefined) this.account(key, old, -1)
    if (bucket === undefined) day.delete(key)
    else {
      const e = { of, bucket }
      day.set(key, e)
      this.account(key, e, 1)
    }
    if (day.size === 0) this.days.delete(of.day)
    else this.days.set(of.day, day)
  }

  private account (key: string, e: Entry, sign: number): void {
    const c = this.counts[e.of.direction]
    const monthKey = e.of.day.slice(0, 7)
    this.removalCache.delete(monthKey)
    this.removalCache.delete(e.of.day)
    const slot = Number(e.of.day.slice(8, 10)) - 1
    for (let len = 2; len < MONTH_SLOTS; len *= 2) {
      const id = blockId(monthKey, slot - slot % len, len)
      this.blocks.delete(id)
      this.removalCache.delete(id)
    }
    let month = this.months.get(monthKey)
    if (month === undefined) { month = new Map<string, MonthEntry>(); this.months.set(monthKey, month) }
    const rest = key.slice(13) // after `g!<yyyy-mm-dd>!`
    let m = month.get(rest)
    if (m === undefined) { m = { of: { ...e.of, day: monthKey }, held: zeros(), archived: zeros(), days: new Set() }; month.set(rest, m) }
    const { held, archived } = e.bucket
    for (let i = 0; i < REPORT_STATUSES.length; i++) {
      c[REPORT_STATUSES[i]] += sign * held[i]
      this.archivedTotal += sign * archived[i]
      m.held[i] += sign * held[i]
      m.archived[i] += sign * archived[i]
    }
    m.part = undefined
    if (sign > 0) m.days.add(e.bucket)
    else m.days.delete(e.bucket)
    if (m.days.size === 0) month.delete(rest)
    if (month.size === 0) this.months.delete(monthKey)
  }

  /**
   * Whole months after the month of `afterDay`, and that month's days after it (all when
   * undefined; with `includeDay`, that day too) as at most five aligned blocks of 16, 8, 4, 2
   * days and a day: a statistic reads a few rollups per hoster, not one bucket per day.
   */
  private * periods (afterDay?: string, includeDay = false): Generator<string> {
    const firstMonth = afterDay?.slice(0, 7)
    for (const month of this.months.keys()) {
      if (firstMonth !== undefined && month < firstMonth) continue
      if (month !== firstMonth) { yield month; continue }
      let start = Number(afterDay!.slice(8, 10)) - (includeDay ? 1 : 0)
      while (start < MONTH_SLOTS) {
        let len = MONTH_SLOTS
        while (start % len !== 0) len >>= 1
        yield len === MONTH_SLOTS ? month : len === 1 ? `${month}-${String(start + 1).padStart(2, '0')}` : blockId(month, start, len)
        start += len
      }
    }
  }

  /** The rollups (by direction, country, ASN and hoster) of a month or of a block of its days. */
  private rollups (period: string): Iterable<MonthEntry> {
    if (period.length === 7) return this.months.get(period)?.values() ?? []
    let block = this.blocks.get(period)
    if (block === undefined) {
      block = new Map<string, MonthEntry>()
      const [month, start, len] = period.split('+')
      for (let d = Number(start); d < Number(start) + Number(len); d++) {
        for (const [key, e] of this.days.get(`${month}-${String(d + 1).padStart(2, '0')}`) ?? []) {
          const rest = key.slice(13)
          let m = block.get(rest)
          if (m === undefined) { m = { of: { ...e.of, day: period }, held: zeros(), archived: zeros(), days: new Set() }; block.set(rest, m) }
          for (let i = 0; i < REPORT_STATUSES.length; i++) { m.held[i] += e.bucket.held[i]; m.archived[i] += e.bucket.archived[i] }
          m.days.add(e.bucket)
        }
      }
      this.blocks.set(period, block)
    }
    return block.values()
  }

  /**
   * Statistics parts of the reports created on days after `afterDay` (all when undefined; with
   * `includeDay`, that day too): whole months from the rollups, the first month by day. The
   * parts carry no times to removal: `removals` gives those, for the same days.
   */
  * parts (afterDay?: string, includeDay = false): Generator<StatsPart> {
    for (const period of this.periods(afterDay, includeDay)) {
      if (period.length === 10) for (const e of this.days.get(period)?.values() ?? []) yield (e.part ??= bucketPart(e))
      else for (const m of this.rollups(period)) yield (m.part ??= monthPart(m))
    }
  }

  /** The sorted times to removal of the days `parts` covers, overall and by the groups of `by`. */
  removals (by: StatsGroupBy | undefined, afterDay?: string, includeDay = false): RemovalLists {
    const out: RemovalLists = { all: [], groups: new Map() }
    for (const period of this.periods(afterDay, includeDay)) {
      out.all.push(...this.periodLists(period, 'all').values())
      if (by === undefined) continue
      for (const [k, list] of this.periodLists(period, by)) {
        const lists = out.groups.get(k)
        if (lists === undefined) out.groups.set(k, [list])
        else lists.push(list)
      }
    }
    return out
  }

  private periodLists (period: string, by: StatsGroupBy | 'all'): Map<string, Float64Array> {
    let cached = this.removalCache.get(period)
    if (cached === undefined) { cached = new Map(); this.removalCache.set(period, cached) }
    let lists = cached.get(by)
    if (lists !== undefined) return lists
    const gathered = new Map<string, number[]>()
    const add = (of: BucketOf, values: readonly number[]): void => {
      if (values.length === 0) return
      const k = by === 'all' ? '' : groupKey(of, by)
      const into = gathered.get(k)
      if (into === undefined) gathered.set(k, [...values])
      else for (const v of values) into.push(v)
    }
    if (period.length === 10) for (const e of this.days.get(period)?.values() ?? []) add(e.of, e.bucket.removalMs)
    else for (const m of this.rollups(period)) for (const b of m.days) add(m.of, b.removalMs)
    lists = new Map([...gathered].map(([k, values]) => [k, Float64Array.from(values).sort()]))
    cached.set(by, lists)
    return lists
  }

  /** The buckets as stored: one range read, in batches (a national year is ~100,000 rows). */
  async load (store: Store): Promise<void> {
    const hosters = new Map<string, string | null>()
    const it = store.sub.rindex.iterator(K.range('g!'))
    try {
      for (let batch = await it.nextv(LOAD_BATCH); batch.length > 0; batch = await it.nextv(LOAD_BATCH)) {
        for (const [key, value] of batch) this.set(key, parseKey(key, hosters), decodeBucket(key, value))
      }
    } finally {
      await it.close()
    }
  }

  clear (): void {
    for (const [, day] of this.days) for (const [key, e] of day) this.set(key, e.of, undefined)
  }

  changes (): BucketChanges {
    return new BucketChanges(this)
  }

  /** Reports held by direction and status: no scan. */
  byDirection (): Counts {
    return Object.fromEntries(REPORT_DIRECTIONS.map(d => [d, { ...this.counts[d] }])) as Counts
  }

  get archived (): number { return this.archivedTotal }

  get size (): number {
    let n = 0
    for (const day of this.days.values()) n += day.size
    return n
  }

  /** Buckets of days after `afterDay` (all when undefined), with the day of each. */
  * buckets (afterDay?: string, includeDay = false): Generator<Entry> {
    for (const [day, entries] of this.days) {
      if (afterDay !== undefined && (day < afterDay || (day === afterDay && !includeDay))) continue
      yield * entries.values()
    }
  }

  /** Every bucket's key and bytes, as the store should hold them (verify). */
  * encoded (): Generator<[string, Uint8Array]> {
    for (const day of this.days.values()) for (const [key, e] of day) yield [key, encodeBucket(e.bucket)]
  }
}

/** A bucket as a statistics part: the reports held and those retention deleted (times to removal: `removals`). */
export function bucketPart (e: Entry): StatsPart {
  const { of, bucket } = e
  return {
    direction: of.direction === 'inbound' ? 'inbound' : 'outbound',
    country: of.country,
    asn: of.asn,
    hoster: of.hoster,
    byStatus: bucket.held.map((n, i) => n + bucket.archived[i]),
    archived: bucket.archived.reduce((a, b) => a + b, 0),
    removalMs: [],
    openCreatedMs: [bucket.openCreatedMs]
  }
}

function monthPart (m: MonthEntry): StatsPart {
  // one sorted list of the month's open reports: the open alert reads one list per part, not 30
  const open: number[] = []
  for (const b of m.days) for (const ms of b.openCreatedMs) open.push(ms)
  return {
    direction: m.of.direction === 'inbound' ? 'inbound' : 'outbound',
    country: m.of.country,
    asn: m.of.asn,
    hoster: m.of.hoster,
    byStatus: m.held.map((n, i) => n + m.archived[i]),
    archived: m.archived.reduce((a, b) => a + b, 0),
    removalMs: [],
    openCreatedMs: open.length === 0 ? [] : [Float64Array.from(open).sort()]
  }
}

export function zeroCounts (): Counts {
  const zero = (): Record<ReportStatusName, number> => Object.fromEntries(REPORT_STATUSES.map(s => [s, 0])) as Record<ReportStatusName, number>
  return { inbound: zero(), outbound: zero(), unroutable: zero() }
}
