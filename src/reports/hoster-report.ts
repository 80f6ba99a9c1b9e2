import { csvRow } from '../formats/csv-cell.js'
import { DAY_MS } from './constants.js'
import { percentile } from './report-stats.js'
import { OPEN_STATUSES, type ReportStatusName } from './report-status.js'

/**
 * The published hoster report: per hoster (or ASN) over a period, how many reports it got,
 * how many it removed, how fast, and how many are still open past N days — the list EOKM
 * publishes to name slow hosters. Built from anonymous facts: no URL, id or note reaches it.
 */
export const HOSTER_REPORT_GROUPS = ['hoster', 'asn'] as const
export type HosterReportGroup = typeof HOSTER_REPORT_GROUPS[number]

/** What a report contributes: the fields a published report may show, nothing more. */
export interface HosterFact {
  createdMs: number
  status: ReportStatusName
  hoster: string | null
  asn: number | null
  removalMs: number | null
}

export interface HosterRow {
  /** the hoster's name, or `AS<n>` when grouped by ASN; `(unknown)` when the report named none */
  key: string
  /** the ASNs seen with this hoster (or the hosters seen with this ASN) */
  also: string[]
  received: number
  removed: number
  notIllegal: number
  open: number
  /** still open (received, assessed, notice sent) more than `openDays` after the report */
  openPastDays: number
  medianRemovalMs: number | null
  p90RemovalMs: number | null
}

export interface HosterReport {
  title: string
  by: HosterReportGroup
  since: string | null
  until: string
  openDays: number
  generatedAt: string
  totals: Omit<HosterRow, 'key' | 'also'>
  rows: HosterRow[]
}

export interface HosterReportInit {
  by: HosterReportGroup
  sinceMs?: number
  untilMs: number
  openDays: number
  now: number
  title?: string
}

const UNKNOWN = '(unknown)'

function row (key: string, facts: readonly HosterFact[], also: Set<string>, openCutoff: number): HosterRow {
  const times: number[] = []
  let removed = 0
  let notIllegal = 0
  let open = 0
  let openPastDays = 0
  for (const f of facts) {
    if (f.status === 'removed') removed++
    if (f.status === 'not-illegal') notIllegal++
    if (OPEN_STATUSES.has(f.status)) {
      open++
      if (f.createdMs <= openCutoff) openPastDays++
    }
    if (f.removalMs !== null) times.push(f.removalMs)
  }
  times.sort((a, b) => a - b)
  return { key, also: [...also].sort(), received: facts.length, removed, notIllegal, open, openPastDays, medianRemovalMs: percentile(times, 0.5), p90RemovalMs: percentile(times, 0.9) }
}

export function buildHosterReport (all: readonly HosterFact[], init: HosterReportInit): HosterReport {
  const facts = all.filter(f => (init.sinceMs === undefined || f.createdMs >= init.sinceMs) && f.createdMs < init.untilMs)
  const groups = new Map<string, { facts: HosterFact[], also: Set<string> }>()
  for (const f of facts) {
    const asn = f.asn !== null ? `AS${f.asn}` : null
    const key = init.by === 'hoster' ? (f.hoster ?? UNKNOWN) : (asn ?? UNKNOWN)
    const other = init.by === 'hoster' ? asn : f.hoster
    const g = groups.get(key) ?? { facts: [], also: new Set<string>() }
    g.facts.push(f)
    if (other !== null) g.also.add(other)
    groups.set(key, g)
  }
  const cutoff = init.now - init.openDays * DAY_MS
  const rows = [...groups].map(([key, g]) => row(key, g.facts, g.also, cutoff))
    // the slowest first: most still open past the limit, then the slowest median
    .sort((a, b) => b.openPastDays - a.openPastDays || (b.medianRemovalMs ?? -1) - (a.medianRemovalMs ?? -1) || b.received - a.received || a.key.localeCompare(b.key))
  const { key: _k, also: _a, ...totals } = row('', facts, new Set(), cutoff)
  return {
    title: init.title ?? 'Hoster report',
    by: init.by,
    since: init.sinceMs !== undefined ? new Date(init.sinceMs).toISOString() : null,
    until: new Date(init.untilMs).toISOString(),
    openDays: init.openDays,
    generatedAt: new Date(init.now).toISOString(),
    totals,
    rows
  }
}

/** CSV, one row per hoster; every cell neutralised against spreadsheet formulas (a hoster name comes from a report). */
export function hosterReportCsv (r: HosterReport): string {
  const header = [r.by === 'hoster' ? 'hoster' : 'asn', r.by === 'hoster' ? 'asns' : 'hosters', 'received', 'removed', 'not_illegal', 'open', `open_past_${r.openDays}_days`, 'median_removal_seconds', 'p90_removal_seconds']
  const seconds = (ms: number | null): string => ms === null ? '' : String(Math.round(ms / 1000))
  return csvRow(header) + r.rows.map(x => csvRow([x.key, x.also.join(' '), String(x.received), String(x.removed), String(x.notIllegal), String(x.open), String(x.openPastDays), seconds(x.medianRemovalMs), seconds(x.p90RemovalMs)])).join('')
}
