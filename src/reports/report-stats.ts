import { DAY_MS } from './constants.js'
import { archiveKey as bucketKey, archiveRange, parseArchiveKey } from '../store/layout.js'
import { OPEN_STATUSES, REPORT_STATUSES, type ReportStatusName } from './report-status.js'

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

export interface RemovalTimes {
  /** removed reports with a known time */
  count: number
  medianMs: number | null
  p90Ms: number | null
}

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

/** Linear interpolation between closest ranks (the common "type 7" definition). */
export function percentile (sorted: ArrayLike<number>, p: number): number | null {
  if (sorted.length === 0) return null
  const rank = (sorted.length - 1) * p
  const lo = Math.floor(rank)
  const hi = Math.ceil(rank)
  return Math.round(sorted[lo] + (sorted[hi] - sorted[lo]) * (rank - lo))
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
  removalMs: ReadonlyArray<readonly number[]>
  /** the creation time of each report still open, in lists */
  openCreatedMs: ReadonlyArray<readonly number[]>
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

class Acc {
  total = 0
  readonly byStatus = REPORT_STATUSES.map(() => 0)
  readonly times: Array<readonly number[]> = []
  add (p: StatsPart): void {
    for (let i = 0; i < p.byStatus.length; i++) { this.byStatus[i] += p.byStatus[i]; this.total += p.byStatus[i] }
    for (const list of p.removalMs) if (list.length > 0) this.times.push(list)
  }

  summary (): StatsSummary {
    let n = 0
    for (const t of this.times) n += t.length
    const times = new Float64Array(n)
    let at = 0
    for (const t of this.times) for (let i = 0; i < t.length; i++) times[at++] = t[i]
    times.sort()
    const byStatus = {} as Record<ReportStatusName, number>
    for (let i = 0; i < REPORT_STATUSES.length; i++) byStatus[REPORT_STATUSES[i]] = this.byStatus[i]
    return { total: this.total, byStatus, removal: { count: times.length, medianMs: percentile(times, 0.5), p90Ms: percentile(times, 0.9) } }
  }
}

function groupKey (p: StatsPart, by: StatsGroupBy): string {
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

/** Statistics of the parts given (already limited to `since`). */
export function summariseParts (parts: Iterable<StatsPart>, init: SummariseParts): ReportStats {
  const all = new Acc()
  const groups = new Map<string, Acc>()
  const cutoff = init.now - init.openAlertDays * DAY_MS
  const open = new Map<string, { countries: Set<string>, open: number, oldest: number }>()
  let archived = 0
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
      for (let i = 0; i < list.length && list[i] <= cutoff; i++) o.open++
    }
  }
  return {
    since: init.sinceMs !== undefined ? new Date(init.sinceMs).toISOString() : null,
    by: init.by ?? null,
    ...all.summary(),
    groups: [...groups].map(([key, g]) => ({ key, ...g.summary() })).sort((a, b) => b.total - a.total || a.key.localeCompare(b.key)),
    openAlert: {
      days: init.openAlertDays,
      hosters: [...open].map(([hoster, o]) => ({ hoster, countries: [...o.countries].sort(), open: o.open, oldestAt: new Date(o.oldest).toISOString() }))
        .sort((a, b) => a.oldestAt.localeCompare(b.oldestAt) || a.hoster.localeCompare(b.hoster))
    },
    archived
  }
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
