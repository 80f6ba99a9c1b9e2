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
export function percentile (sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null
  const rank = (sorted.length - 1) * p
  const lo = Math.floor(rank)
  const hi = Math.ceil(rank)
  return Math.round(sorted[lo] + (sorted[hi] - sorted[lo]) * (rank - lo))
}

function summary (facts: readonly ReportFact[]): StatsSummary {
  const byStatus = Object.fromEntries(REPORT_STATUSES.map(s => [s, 0])) as Record<ReportStatusName, number>
  const times: number[] = []
  let total = 0
  for (const f of facts) {
    byStatus[f.status] += f.count
    total += f.count
    if (f.removalMs !== null) times.push(f.removalMs)
  }
  times.sort((a, b) => a - b)
  return { total, byStatus, removal: { count: times.length, medianMs: percentile(times, 0.5), p90Ms: percentile(times, 0.9) } }
}

function groupKey (f: ReportFact, by: StatsGroupBy): string {
  if (by === 'hoster') return f.hoster ?? '(unknown)'
  if (by === 'asn') return f.asn !== null ? `AS${f.asn}` : '(unknown)'
  return f.country
}

export function summarise (all: readonly ReportFact[], init: SummariseInit): ReportStats {
  const facts = init.sinceMs === undefined ? all : all.filter(f => f.createdMs >= init.sinceMs!)
  const groups = new Map<string, ReportFact[]>()
  if (init.by !== undefined) {
    for (const f of facts) {
      const k = groupKey(f, init.by)
      const list = groups.get(k) ?? []
      list.push(f)
      groups.set(k, list)
    }
  }
  const cutoff = init.now - init.openAlertDays * DAY_MS
  const open = new Map<string, { countries: Set<string>, open: number, oldest: number }>()
  for (const f of facts) {
    if (!OPEN_STATUSES.has(f.status) || f.createdMs > cutoff) continue
    const k = f.hoster ?? '(unknown)'
    const o = open.get(k) ?? { countries: new Set<string>(), open: 0, oldest: f.createdMs }
    o.countries.add(f.country)
    o.open += f.count
    o.oldest = Math.min(o.oldest, f.createdMs)
    open.set(k, o)
  }
  return {
    since: init.sinceMs !== undefined ? new Date(init.sinceMs).toISOString() : null,
    by: init.by ?? null,
    ...summary(facts),
    groups: [...groups].map(([key, list]) => ({ key, ...summary(list) })).sort((a, b) => b.total - a.total || a.key.localeCompare(b.key)),
    openAlert: {
      days: init.openAlertDays,
      hosters: [...open].map(([hoster, o]) => ({ hoster, countries: [...o.countries].sort(), open: o.open, oldestAt: new Date(o.oldest).toISOString() }))
        .sort((a, b) => a.oldestAt.localeCompare(b.oldestAt))
    },
    archived: facts.reduce((n, f) => n + (f.archived === true ? f.count : 0), 0)
  }
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
