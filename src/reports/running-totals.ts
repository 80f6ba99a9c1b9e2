import { REPORT_STATUSES } from './report-status.js'
import { groupKey, STATS_GROUPS, type StatsGroupBy } from './report-stats.js'

/**
 * Running totals of the report index, kept with every change of a day bucket (derived from the
 * stored buckets in memory: rebuilt with them at load and by `hashfed verify`, nothing of it
 * stored): for each group of each grouping, the counts of the reports created since each
 * month, and for each hoster the sorted creation times of its open reports. A statistic over a
 * year then reads one total per group and one list per hoster, not one rollup per hoster and
 * month.
 */

/** What a bucket is about, as the totals need it. */
export interface TotalsOf {
  /** yyyy-mm */
  month: string
  country: string
  asn: number | null
  hoster: string | null
}

/** By status (REPORT_STATUSES order, held + archived), then the archived count. */
const WIDTH = REPORT_STATUSES.length + 1
export const ARCHIVED_AT = REPORT_STATUSES.length

/** First index whose month is >= `month`. */
function lowerBound (months: readonly string[], month: string): number {
  let lo = 0
  let hi = months.length
  while (lo < hi) { const mid = (lo + hi) >>> 1; if (months[mid] < month) lo = mid + 1; else hi = mid }
  return lo
}

/** One group's counts since each month it has reports in: `sums[j]` covers months >= `months[j]`. */
class SinceMonth {
  readonly months: string[] = []
  readonly sums: Float64Array[] = []

  add (month: string, delta: Float64Array): void {
    let j = lowerBound(this.months, month)
    if (this.months[j] !== month) {
      this.months.splice(j, 0, month)
      this.sums.splice(j, 0, j < this.sums.length ? Float64Array.from(this.sums[j]) : new Float64Array(WIDTH))
    }
    for (; j >= 0; j--) {
      const s = this.sums[j]
      for (let i = 0; i < WIDTH; i++) s[i] += delta[i]
    }
  }

  /** Counts of the months >= `month` (undefined: all), or null when there are none. */
  since (month?: string): Float64Array | null {
    const j = month === undefined ? 0 : lowerBound(this.months, month)
    return j < this.sums.length ? this.sums[j] : null
  }
}

/** Sorted creation times of one hoster's open reports in one country. */
interface OpenList { hoster: string, country: string, times: number[], sorted: boolean }

export interface OpenCount { hoster: string, country: string, open: number, oldest: number }

function removeSorted (list: number[], v: number): void {
  let lo = 0
  let hi = list.length
  while (lo < hi) { const mid = (lo + hi) >>> 1; if (list[mid] < v) lo = mid + 1; else hi = mid }
  if (list[lo] === v) list.splice(lo, 1)
}

function insertSorted (list: number[], v: number): void {
  let lo = 0
  let hi = list.length
  while (lo < hi) { const mid = (lo + hi) >>> 1; if (list[mid] <= v) lo = mid + 1; else hi = mid }
  list.splice(lo, 0, v)
}

/** Values in [from, to] of a sorted list: its count and the first. */
function countBetween (list: readonly number[], from: number, to: number): { n: number, first: number } {
  let lo = 0
  let hi = list.length
  while (lo < hi) { const mid = (lo + hi) >>> 1; if (list[mid] < from) lo = mid + 1; else hi = mid }
  const start = lo
  hi = list.length
  while (lo < hi) { const mid = (lo + hi) >>> 1; if (list[mid] <= to) lo = mid + 1; else hi = mid }
  return { n: lo - start, first: list[start] }
}

export class RunningTotals {
  private readonly groups = new Map<StatsGroupBy | 'all', Map<string, SinceMonth>>(
    (['all', ...STATS_GROUPS] as const).map(by => [by, new Map<string, SinceMonth>()]))

  private readonly open = new Map<string, OpenList>()
  private readonly delta = new Float64Array(WIDTH)

  /** A bucket's counts join (`sign` 1) or leave (-1) the totals. */
  count (of: TotalsOf, held: readonly number[], archived: readonly number[], sign: number): void {
    const d = this.delta
    let nonZero = false
    d[ARCHIVED_AT] = 0
    for (let i = 0; i < REPORT_STATUSES.length; i++) {
      d[i] = sign * (held[i] + archived[i])
      d[ARCHIVED_AT] += sign * archived[i]
      if (d[i] !== 0) nonZero = true
    }
    if (!nonZero && d[ARCHIVED_AT] === 0) return
    for (const [by, groups] of this.groups) {
      const k = by === 'all' ? '' : groupKey(of, by)
      let g = groups.get(k)
      if (g === undefined) { g = new SinceMonth(); groups.set(k, g) }
      g.add(of.month, d)
    }
  }

  /**
   * A bucket's open reports went from `before` to `after` (both sorted; a write changes one or
   * two values, so only the difference is applied).
   */
  reopen (of: TotalsOf, before: readonly number[], after: readonly number[]): void {
    if (before.length === 0 && after.length === 0) return
    const hoster = of.hoster ?? '(unknown)'
    const key = `${hoster}\u0000${of.country}`
    let o = this.open.get(key)
    if (o === undefined) { o = { hoster, country: of.country, times: [], sorted: false }; this.open.set(key, o) }
    let i = 0
    let j = 0
    while (i < before.length || j < after.length) {
      if (j >= after.length || (i < before.length && before[i] < after[j])) {
        if (o.sorted) removeSorted(o.times, before[i])
        else { const at = o.times.indexOf(before[i]); if (at >= 0) o.times.splice(at, 1) }
        i++
      } else if (i >= before.length || after[j] < before[i]) {
        if (o.sorted) insertSorted(o.times, after[j])
        else o.times.push(after[j])
        j++
      } else { i++; j++ }
    }
    if (o.times.length === 0) this.open.delete(key)
  }

  /** Each group's counts of the months >= `month` (undefined: all), by status then archived. */
  * since (by: StatsGroupBy | 'all', month?: string): Generator<[string, Float64Array]> {
    for (const [k, g] of this.groups.get(by)!) {
      const s = g.since(month)
      if (s !== null) yield [k, s]
    }
  }

  /** Open reports created in [fromMs, toMs], by hoster and country. */
  * openBetween (fromMs: number, toMs: number): Generator<OpenCount> {
    for (const o of this.open.values()) {
      if (!o.sorted) { o.times.sort((a, b) => a - b); o.sorted = true }
      const { n, first } = countBetween(o.times, fromMs, toMs)
      if (n > 0) yield { hoster: o.hoster, country: o.country, open: n, oldest: first }
    }
  }
}
