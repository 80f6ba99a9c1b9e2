import type { Store } from '../store/store.js'
import { reportIndexKeys as K } from '../store/layout.js'
import { DAY_MS } from './constants.js'
import { REPORT_DIRECTIONS, type ReportDirection } from './report-index.js'
import { REPORT_STATUSES, type ReportStatusName } from './report-status.js'
import { groupKey, type PreSummed, type RemovalLists, type StatsGroupBy, type StatsPart } from './report-stats.js'
import { BucketChanges, decodeBucket, encodeBucket, zeros, type Bucket, type BucketOf } from './report-buckets.js'
import { RunningTotals } from './running-totals.js'

export { dayOf, bucketOfRow, BucketChanges, type Bucket, type BucketOf } from './report-buckets.js'

/** `part`: its statistics part, made on first use (an entry is replaced, never changed) */
interface Entry { of: BucketOf, bucket: Bucket, part?: StatsPart }
/** A month of one direction, country, ASN and hoster: summed counts and its days' buckets. */
interface MonthEntry { of: BucketOf, held: number[], archived: number[], days: Set<Bucket>, part?: StatsPart }

export type Counts = Record<ReportDirection, Record<ReportStatusName, number>>

/** days of a month as blocks see them: aligned powers of two up to 32 */
const MONTH_SLOTS = 32
const blockId = (month: string, start: number, len: number): string => `${month}+${start}+${len}`
/** windows whose times to removal by group are kept (see `removalsOf`) */
const REMOVAL_SINCE_KEPT = 8
/** a group's times to removal up to this many are merged into one sorted list */
const MERGE_BELOW = 65_536

function compactLists (lists: Float64Array[]): Array<ArrayLike<number>> {
  if (lists.length < 2) return lists
  let n = 0
  for (const l of lists) n += l.length
  if (n > MERGE_BELOW) return lists
  const all = new Float64Array(n)
  let at = 0
  for (const l of lists) { all.set(l, at); at += l.length }
  return [all.sort()]
}

/** bucket rows read per step of the load */
const LOAD_BATCH = 2000
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
  /** counts since each month by group, and each hoster's open reports (running-totals.ts) */
  private readonly totals = new RunningTotals()
  /** loading into empty aggregates: `load` sums the totals at its end */
  private bulk = false
  /** see `removalsOf`: by grouping and window; `from`: its first month (a change from it on marks a group stale) */
  private readonly removalSince = new Map<string, { by: StatsGroupBy, from: string, lists: Map<string, Array<ArrayLike<number>>>, stale: Set<string> }>()

  get (key: string): Bucket | undefined {
    const day = key.slice(2, 12)
    return this.days.get(day)?.get(key)?.bucket
  }

  set (key: string, of: BucketOf, bucket: Bucket | undefined): void {
    const day = this.days.get(of.day) ?? new Map<string, Entry>()
    const old = day.get(key)
    this.totals.reopen({ month: of.day.slice(0, 7), country: of.country, asn: of.asn, hoster: of.hoster }, old?.bucket.openCreatedMs ?? [], bucket?.openCreatedMs ?? [])
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
    if (!this.bulk) this.totals.count({ month: monthKey, country: e.of.country, asn: e.of.asn, hoster: e.of.hoster }, held, archived, sign)
    for (const r of this.removalSince.values()) if (monthKey >= r.from) r.stale.add(groupKey(e.of, r.by))
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
   * What a statistic of the reports created on days after `afterDay` needs (all when
   * undefined; with `includeDay`, that day too): the running totals of the whole months (one
   * per group), parts of the first month's blocks of days, the sorted times to removal of all
   * those days, and their open reports created up to `openUpToMs` (so the parts carry none).
   */
  window (by: StatsGroupBy | undefined, openUpToMs: number, afterDay?: string, includeDay = false): { parts: StatsPart[], removals: RemovalLists, pre: PreSummed } {
    const firstMonth = afterDay?.slice(0, 7)
    // the first whole month: the first month itself when the window starts on its first day
    let from: string | undefined
    const parts: StatsPart[] = []
    const removals: RemovalLists = { all: [], groups: new Map() }
    if (firstMonth !== undefined) from = `${firstMonth}~` // sorts after the month, before the next
    const periods = [...this.periods(afterDay, includeDay)]
    for (const period of periods) {
      removals.all.push(...this.periodLists(period, 'all').values())
      if (period.length === 7) { if (period === firstMonth) from = firstMonth; continue }
      const dayParts = period.length === 10 ? [...this.days.get(period)?.values() ?? []].map(e => (e.part ??= bucketPart(e))) : [...this.rollups(period)].map(m => (m.part ??= monthPart(m)))
      for (const p of dayParts) parts.push(p)
    }
    if (by !== undefined) for (const [k, lists] of this.removalsOf(by, periods, `${afterDay ?? ''}|${String(includeDay)}`, firstMonth)) removals.groups.set(k, lists)
    const all = this.totals.since('all', from).next()
    const openFrom = afterDay === undefined ? -Infinity : Date.parse(`${afterDay}T00:00:00Z`) + (includeDay ? 0 : DAY_MS)
    return {
      parts,
      removals,
      pre: { all: all.done === true ? null : all.value[1], groups: by !== undefined ? this.totals.since(by, from) : [], open: this.totals.openBetween(openFrom, openUpToMs) }
    }
  }

  /**
   * The sorted times to removal of a window's periods (whole months and the first month's
   * blocks), by group: made on first use for the window, then only the groups a change marked
   * stale are made again. A small group's lists are merged into one (its median is then read,
   * not selected).
   */
  private removalsOf (by: StatsGroupBy, periods: string[], window: string, firstMonth: string | undefined): Map<string, Array<ArrayLike<number>>> {
    const id = `${by}|${window}`
    let r = this.removalSince.get(id)
    if (r === undefined) {
      const gathered = new Map<string, Float64Array[]>()
      for (const period of periods) {
        for (const [k, list] of this.periodLists(period, by)) {
          const into = gathered.get(k)
          if (into === undefined) gathered.set(k, [list])
          else into.push(list)
        }
      }
      r = { by, from: firstMonth ?? '', lists: new Map([...gathered].map(([k, lists]) => [k, compactLists(lists)])), stale: new Set() }
      if (this.removalSince.size >= REMOVAL_SINCE_KEPT) this.removalSince.delete(this.removalSince.keys().next().value!)
      this.removalSince.set(id, r)
    } else if (r.stale.size > 0) {
      for (const k of r.stale) {
        const lists = periods.map(p => this.periodLists(p, by).get(k)).filter((l): l is Float64Array => l !== undefined)
        if (lists.length === 0) r.lists.delete(k)
        else r.lists.set(k, compactLists(lists))
      }
      r.stale.clear()
    }
    return r.lists
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
    // into empty aggregates, the running totals are summed once from the month rollups at the end
    this.bulk = this.days.size === 0
    try {
      for (let batch = await it.nextv(LOAD_BATCH); batch.length > 0; batch = await it.nextv(LOAD_BATCH)) {
        for (const [key, value] of batch) this.set(key, parseKey(key, hosters), decodeBucket(key, value))
      }
    } finally {
      await it.close()
      if (this.bulk) {
        this.bulk = false
        for (const [month, entries] of this.months) {
          for (const m of entries.values()) this.totals.count({ month, country: m.of.country, asn: m.of.asn, hoster: m.of.hoster }, m.held, m.archived, 1)
        }
      }
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

/** A bucket as a statistics part: the reports held and those retention deleted (open reports and times to removal: see `window`). */
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
    // open reports and times to removal come from the running totals and the window's lists
    openCreatedMs: []
  }
}

function monthPart (m: MonthEntry): StatsPart {
  return {
    direction: m.of.direction === 'inbound' ? 'inbound' : 'outbound',
    country: m.of.country,
    asn: m.of.asn,
    hoster: m.of.hoster,
    byStatus: m.held.map((n, i) => n + m.archived[i]),
    archived: m.archived.reduce((a, b) => a + b, 0),
    removalMs: [],
    openCreatedMs: []
  }
}

export function zeroCounts (): Counts {
  const zero = (): Record<ReportStatusName, number> => Object.fromEntries(REPORT_STATUSES.map(s => [s, 0])) as Record<ReportStatusName, number>
  return { inbound: zero(), outbound: zero(), unroutable: zero() }
}
