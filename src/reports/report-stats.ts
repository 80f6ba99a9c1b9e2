import { DAY_MS } from './constants.js'
import { archiveKey as bucketKey, archiveRange, parseArchiveKey } from '../store/layout.js'
import { OPEN_STATUSES, REPORT_STATUSES, type ReportStatusName } from './report-status.js'
import { percentile, removalTimes, type RemovalTimes } from './removal-times.js'

/**
 * Report statistics from anonymous facts: what a report says about a hoster's speed, without
 * its URL or id. Facts come from the reports we hold and from the counts retention kept of
 * the reports it deleted, so statistics outlive the reports.
 */
export interface ReportFact {
  createdMs: number
  status: ReportStatusName
  direction: 'inbound' | 'outbound'
  country: string
  hoster: string | null
  asn: number | null
  /** from report to removal, for removed reports */
  removalMs: number | null
  /** reports this fact stands for (archived counts); 1 for a held report */
  count: number
  /** from the counts retention kept, not a held report */
  archived?: boolean
}

export const STATS_GROUPS = ['hoster', 'asn', 'country'] as const
export type StatsGroupBy = typeof STATS_GROUPS[number]

export type { RemovalTimes }
export { percentile }

export interface StatsSummary {
  total: number
  byStatus: Record<ReportStatusName, number>
  removal: RemovalTimes
}

export interface OpenHoster {
  hoster: string
  countries: string[]
  open: number
  oldestAt: string
}

export interface ReportStats extends StatsSummary {
  since: string | null
  by: StatsGroupBy | null
  groups: Array<{ key: string } & StatsSummary>
  /** hosters with reports still open after `days` (the list EOKM publishes) */
  openAlert: { days: number, hosters: OpenHoster[] }
  /** of `total`, how many are counts kept after retention deleted the reports */
  archived: number
}

export interface SummariseInit {
  by?: StatsGroupBy
  sinceMs?: number
  openAlertDays: number
  now: number
}

/**
 * Reports of one country, ASN and hoster as counts: a held report's fact, or a day bucket of
 * the report index. Statistics are sums of parts, so the index and a full scan of the facts
 * go through the same arithmetic.
 */
export interface StatsPart {
  direction: 'inbound' | 'outbound'
  country: string
  asn: number | null
  hoster: string | null
  /** indexed by REPORT_STATUSES */
  byStatus: readonly number[]
  /** of these, kept as counts after retention deleted the reports */
  archived: number
  /** each time to removal, in lists (a month's part refers to its days' lists: nothing copied) */
  removalMs: ReadonlyArray<ArrayLike<number>>
  /** the creation time of each report still open, in lists */
  openCreatedMs: ReadonlyArray<ArrayLike<number>>
}

export function factPart (f: ReportFact): StatsPart {
  const byStatus = REPORT_STATUSES.map(s => s === f.status ? f.count : 0)
  return {
    direction: f.direction,
    country: f.country,
    asn: f.asn,
    hoster: f.hoster,
    byStatus,
    archived: f.archived === true ? f.count : 0,
    removalMs: f.removalMs !== null ? [[f.removalMs]] : [],
    openCreatedMs: OPEN_STATUSES.has(f.status) ? [new Array<number>(f.count).fill(f.createdMs)] : []
  }
}

/** The order of String.localeCompare, without its per-call set-up (thousands of groups are sorted). */
const collator = new Intl.Collator()

class Acc {
  total = 0
  readonly byStatus = REPORT_STATUSES.map(() => 0)
  readonly times: Array<ArrayLike<number>> = []
  add (p: StatsPart): void {
    for (let i = 0; i < p.byStatus.length; i++) { this.byStatus[i] += p.byStatus[i]; this.total += p.byStatus[i] }
    for (const list of p.removalMs) if (list.length > 0) this.times.push(list)
  }

  /** Counts by status (REPORT_STATUSES order), as a running total holds them. */
  addCounts (counts: ArrayLike<number>): void {
    for (let i = 0; i < REPORT_STATUSES.length; i++) { this.byStatus[i] += counts[i]; this.total += counts[i] }
  }

  summary (): StatsSummary {
    const byStatus = {} as Record<ReportStatusName, number>
    for (let i = 0; i < REPORT_STATUSES.length; i++) byStatus[REPORT_STATUSES[i]] = this.byStatus[i]
    return { total: this.total, byStatus, removal: removalTimes(this.times) }
  }
}

/** The group a part (or a bucket: its country, ASN and hoster) counts under. */
export function groupKey (p: Pick<StatsPart, 'hoster' | 'asn' | 'country'>, by: StatsGroupBy): string {
  if (by === 'hoster') return p.hoster ?? '(unknown)'
  if (by === 'asn') return p.asn !== null ? `AS${p.asn}` : '(unknown)'
  return p.country
}

export interface SummariseParts {
  by?: StatsGroupBy
  /** what `since` the parts were selected for (shown) */
  sinceMs?: number
  openAlertDays: number
  now: number
}

/**
 * Times to removal kept beside the parts, already sorted by group (the report index's period
 * lists): the parts then carry none, and a year's medians select in a few dozen sorted lists.
 */
export interface RemovalLists {
  all: Array<ArrayLike<number>>
  /** by the groups of `by` (groupKey) */
  groups: Map<string, Array<ArrayLike<number>>>
}

/**
 * Counts already summed (the report index's running totals): by status in REPORT_STATUSES
 * order, then the archived count (at REPORT_STATUSES.length); and the open reports of the
 * same days old enough for the open alert, by hoster and country.
 */
export interface PreSummed {
  all: ArrayLike<number> | null
  groups: Iterable<[string, ArrayLike<number>]>
  open: Iterable<{ hoster: string, country: string, open: number, oldest: number }>
}

/** Statistics of the parts given (already limited to `since`), with `removals` and `pre` besides theirs. */
export function summariseParts (parts: Iterable<StatsPart>, init: SummariseParts, removals?: RemovalLists, pre?: PreSummed): ReportStats {
  const all = new Acc()
  const groups = new Map<string, Acc>()
  const cutoff = init.now - init.openAlertDays * DAY_MS
  const open = new Map<string, { countries: Set<string>, open: number, oldest: number }>()
  let archived = 0
  if (pre !== undefined) {
    if (pre.all !== null) { all.addCounts(pre.all); archived += pre.all[REPORT_STATUSES.length] }
    if (init.by !== undefined) {
      for (const [k, counts] of pre.groups) {
        const g = new Acc()
        g.addCounts(counts)
        if (g.total > 0) groups.set(k, g)
      }
    }
    for (const o of pre.open) {
      let h = open.get(o.hoster)
      if (h === undefined) { h = { countries: new Set<string>(), open: 0, oldest: o.oldest }; open.set(o.hoster, h) }
      h.countries.add(o.country)
      h.oldest = Math.min(h.oldest, o.oldest)
      h.open += o.open
    }
  }
  for (const p of parts) {
    all.add(p)
    archived += p.archived
    if (init.by !== undefined) {
      const k = groupKey(p, init.by)
      let g = groups.get(k)
      if (g === undefined) { g = new Acc(); groups.set(k, g) }
      g.add(p)
    }
    for (const list of p.openCreatedMs) {
      // sorted lists: the first is the oldest, and the rest past the cutoff are too young
      if (list.length === 0 || list[0] > cutoff) continue
      const k = p.hoster ?? '(unknown)'
      let o = open.get(k)
      if (o === undefined) { o = { countries: new Set<string>(), open: 0, oldest: list[0] }; open.set(k, o) }
      o.countries.add(p.country)
      o.oldest = Math.min(o.oldest, list[0])
      o.open += countUpTo(list, cutoff)
    }
  }
  if (removals !== undefined) {
    all.times.push(...removals.all)
    for (const [k, lists] of removals.groups) groups.get(k)?.times.push(...lists)
  }
  return {
    since: init.sinceMs !== undefined ? new Date(init.sinceMs).toISOString() : null,
    by: init.by ?? null,
    ...all.summary(),
    groups: [...groups].map(([key, g]) => ({ key, ...g.summary() })).sort((a, b) => b.total - a.total || collator.compare(a.key, b.key)),
    openAlert: {
      days: init.openAlertDays,
      hosters: [...open].sort(([ha, a], [hb, b]) => a.oldest - b.oldest || collator.compare(ha, hb))
        .map(([hoster, o]) => ({ hoster, countries: [...o.countries].sort(), open: o.open, oldestAt: new Date(o.oldest).toISOString() }))
    },
    archived
  }
}

/** Values <= v in a sorted list. */
function countUpTo (list: ArrayLike<number>, v: number): number {
  let lo = 0
  let hi = list.length
  while (lo < hi) { const mid = (lo + hi) >>> 1; if (list[mid] <= v) lo = mid + 1; else hi = mid }
  return lo
}

/** Statistics from facts, every one read (the reference the report index is checked against). */
export function summarise (all: readonly ReportFact[], init: SummariseInit): ReportStats {
  const facts = init.sinceMs === undefined ? all : all.filter(f => f.createdMs >= init.sinceMs!)
  return summariseParts(facts.map(factPart), init)
}

// ---------------------------------------------------------------- archived counts

/** Counts kept in the `stats` sublevel for deleted reports of one day and kind. */
export interface ArchiveBucket {
  count: number
  /** each removed report's time to removal (exact medians need the values) */
  removalMs: number[]
}

export { archiveRange }

/** `reports!<yyyy-mm-dd>!<direction>!<status>!<country>!<asn>!<hoster hex>`: anonymous by construction. */
export function archiveKey (f: ReportFact): string {
  const day = new Date(f.createdMs).toISOString().slice(0, 10)
  return bucketKey(day, [f.direction, f.status, f.country, String(f.asn ?? ''), Buffer.from(f.hoster ?? '', 'utf8').toString('hex')])
}

/** Facts of one bucket; their `createdMs` is the day's start, so `--since` counts them by day. */
export function factsFromArchive (key: string, bucket: ArchiveBucket): ReportFact[] {
  const { day, fields: [direction, status, country, asn, hosterHex] } = parseArchiveKey(key)
  const base = {
    createdMs: Date.parse(`${day}T00:00:00Z`),
    status: status as ReportStatusName,
    direction: direction as ReportFact['direction'],
    country,
    hoster: hosterHex === '' ? null : Buffer.from(hosterHex, 'hex').toString('utf8'),
    asn: asn === '' ? null : Number(asn),
    archived: true
  }
  const facts: ReportFact[] = bucket.removalMs.map(ms => ({ ...base, removalMs: ms, count: 1 }))
  const rest = bucket.count - bucket.removalMs.length
  if (rest > 0) facts.push({ ...base, removalMs: null, count: rest })
  return facts
}

export function mergeBucket (bucket: ArchiveBucket | undefined, f: ReportFact): ArchiveBucket {
  const b = bucket ?? { count: 0, removalMs: [] }
  return { count: b.count + f.count, removalMs: f.removalMs !== null ? [...b.removalMs, f.removalMs] : b.removalMs }
}
