import { InvalidArgumentError, type Command } from 'commander'
import type { ReportView } from '../../reports/report-view.js'
import type { ReportStats, StatsSummary } from '../../reports/report-stats.js'
import type { OutboxEntry } from '../../courier/outbox.js'
import { reportsListOp, reportsReopenOp, reportsOutboxOp, reportsShowOp, reportsStatsOp, reportsSubmitOp, reportsUpdateOp } from '../../ops/report-ops.js'
import { withOps } from '../op-runner.js'
import { registerHosterReport } from './hoster-report.js'
import { registerReportsBatch } from './reports-batch.js'
import { collect, DIR_OPTION, resolveDir } from '../options.js'
import { isoSeconds, print, printJson, safe, safeText, shortPeerId, table } from '../output.js'

function asnArg (value: string): number {
  const n = Number(value.replace(/^AS/i, ''))
  if (!Number.isInteger(n) || n < 1 || n > 0xffff_ffff) throw new InvalidArgumentError('expected an AS number (e.g. 1136 or AS1136)')
  return n
}

export function formatDuration (ms: number | null): string {
  if (ms === null) return '-'
  const s = Math.round(ms / 1000)
  if (s < 60) return `${s}s`
  const m = Math.floor(s / 60)
  if (m < 60) return `${m}m ${s % 60}s`
  const h = Math.floor(m / 60)
  if (h < 48) return `${h}h ${m % 60}m`
  return `${Math.floor(h / 24)}d ${h % 24}h`
}

const shortUrl = (url: string): string => url.length > 60 ? url.slice(0, 57) + '...' : url

function routeText (v: ReportView): string {
  if (v.status === 'unroutable') return safe`kept as unroutable: no member covers ${v.country}; it is routed when one does`
  if (v.local) return safe`in our own inbound queue (${v.country}, ${v.countrySource})`
  return safe`for ${v.target ?? '?'} (${v.country}, ${v.countrySource}); ${v.status === 'queued' ? 'queued until it sends a receipt' : v.status}`
}

function formatReport (v: ReportView): string {
  // every value is the origin's or the responsible hotline's text: `safe` escapes its controls
  const lines = [
    safe`report      ${v.id}`,
    safe`status      ${v.status}`,
    safe`direction   ${v.direction}${v.local ? ' (our own country)' : ''}`,
    safe`url         ${v.url}`,
    safe`hosting     ${v.country} (${v.countrySource})` + (v.ip !== null ? safe`  ip ${v.ip}` : '') + (v.hoster !== null ? safe`  hoster ${v.hoster}` : '') + (v.asn !== null ? safe`  AS${v.asn}` : ''),
    safe`origin      ${v.origin}`,
    safe`target      ${v.target ?? '-'}`,
    safe`created     ${v.createdAt}`,
    safe`received    ${v.receivedAt ?? '-'}`,
    ...(v.removedAt !== null ? [safe`removed     ${v.removedAt} (after ${formatDuration(v.timeToRemovalMs)})`] : []),
    ...(v.classification !== null ? [safe`class       ${v.classification}`] : []),
    ...(v.media !== null ? [safe`media       ${v.media}`] : []),
    ...v.hashes.map((h, i) => (i === 0 ? 'hashes      ' : '            ') + safeText(h)),
    ...(v.note !== null ? [safe`note        ${v.note}`] : []),
    '',
    'timeline',
    table(v.timeline.map(t => ({ at: t.at, status: t.status, by: t.author, seq: t.seq, note: t.note })))
  ]
  return lines.join('\n')
}

function summaryRow (s: StatsSummary): Record<string, unknown> {
  return {
    total: s.total,
    open: s.byStatus.received + s.byStatus.assessed + s.byStatus['notice-sent'],
    removed: s.byStatus.removed,
    'median removal': formatDuration(s.removal.medianMs),
    'p90 removal': formatDuration(s.removal.p90Ms)
  }
}

function formatStats (s: ReportStats): string {
  const lines = [
    safe`reports     ${s.total}` + (s.since !== null ? safe` since ${s.since}` : '') + (s.archived > 0 ? safe` (${s.archived} kept as counts after retention)` : ''),
    safe`by status   ${Object.entries(s.byStatus).filter(([, n]) => n > 0).map(([k, n]) => `${k} ${n}`).join(', ') || '-'}`,
    `removal     median ${formatDuration(s.removal.medianMs)}, p90 ${formatDuration(s.removal.p90Ms)} (${s.removal.count} removed)`
  ]
  if (s.by !== null) lines.push('', table(s.groups.map(g => ({ [s.by!]: g.key, ...summaryRow(g) }))))
  lines.push('', `open longer than ${s.openAlert.days} days`,
    table(s.openAlert.hosters.map(h => ({ hoster: h.hoster, countries: h.countries, open: h.open, oldest: h.oldestAt }))))
  return lines.join('\n')
}

export function registerReports (program: Command): void {
  const reports = program.command('reports').description('URL reports, routed to the hotline of the hosting country')
  registerReportsBatch(reports)

  reports.command('submit')
    .description('sign a URL report and route it to the member responsible for the hosting country')
    .option(...DIR_OPTION)
    .requiredOption('--url <url>', 'the reported URL')
    .option('--ip <ip>', 'the address it was served from (else the URL\'s host is resolved)')
    .option('--country <cc>', 'the hosting country, if known (ISO 3166-1 alpha-2)')
    .option('--hoster <name>', 'the hosting provider')
    .option('--asn <n>', 'the hoster\'s AS number', asnArg)
    .option('--classification <c>', 'baseline | national | not-illegal')
    .option('--media <m>', 'image | video | site')
    .option('--hash <alg:value>', 'a hash of the material, repeatable (e.g. sha256:…, pdq:…)', collect)
    .option('--note <text>', 'a note for the receiving hotline')
    .option('--json', 'print JSON')
    .action(async (opts: { dir?: string, url: string, ip?: string, country?: string, hoster?: string, asn?: number, classification?: string, media?: string, hash?: string[], note?: string, json?: boolean }) => {
      const input = {
        url: opts.url,
        ...(opts.ip !== undefined && { ip: opts.ip }),
        ...(opts.country !== undefined && { country: opts.country }),
        ...(opts.hoster !== undefined && { hoster: opts.hoster }),
        ...(opts.asn !== undefined && { asn: opts.asn }),
        ...(opts.classification !== undefined && { classification: opts.classification }),
        ...(opts.media !== undefined && { media: opts.media }),
        ...(opts.hash !== undefined && { hashes: opts.hash }),
        ...(opts.note !== undefined && { note: opts.note })
      }
      // a stopped node keeps the report in its outbox and delivers it when it starts
      const view = await withOps(resolveDir(opts.dir), async (ops) => await ops.run(reportsSubmitOp, input))
      if (opts.json === true) return printJson(view)
      print(safe`report ${view.id}: ` + routeText(view) + '\n')
    })

  reports.command('list')
    .description('list reports, newest first')
    .option(...DIR_OPTION)
    .option('--inbound', 'reports we are responsible for')
    .option('--outbound', 'reports we sent to another hotline')
    .option('--unroutable', 'reports for a country no member covers')
    .option('--status <status>', 'only this status (queued, unroutable, received, assessed, notice-sent, removed, not-illegal, unreachable)')
    .option('--limit <n>', 'at most this many (default 1000)')
    .option('--json', 'print JSON')
    .action(async (opts: { dir?: string, inbound?: boolean, outbound?: boolean, unroutable?: boolean, status?: string, limit?: string, json?: boolean }) => {
      const directions = (['inbound', 'outbound', 'unroutable'] as const).filter(d => opts[d] === true)
      if (directions.length > 1) throw new InvalidArgumentError('give at most one of --inbound, --outbound, --unroutable')
      const filter = { direction: directions[0], status: opts.status, limit: opts.limit }
      const list = (await withOps(resolveDir(opts.dir), async (ops) => await ops.run(reportsListOp, filter))).reports
      if (opts.json === true) return printJson(list)
      print(table(list.map(v => ({
        id: v.id,
        dir: v.local ? 'local' : v.status === 'unroutable' ? '-' : v.direction,
        status: v.status,
        country: v.country,
        hoster: v.hoster,
        peer: v.direction === 'inbound' ? `from ${v.origin}` : v.target !== null ? `to ${v.target}` : null,
        created: isoSeconds(v.createdAt),
        url: shortUrl(v.url)
      }))) + '\n')
    })

  reports.command('show')
    .description('show one report with its timeline')
    .argument('<id>', 'report id (or its first 8+ characters)')
    .option(...DIR_OPTION)
    .option('--json', 'print JSON')
    .action(async (id: string, opts: { dir?: string, json?: boolean }) => {
      const view = await withOps(resolveDir(opts.dir), async (ops) => await ops.run(reportsShowOp, { id }))
      if (opts.json === true) return printJson(view)
      print(formatReport(view) + '\n')
    })

  reports.command('update')
    .description('record progress on a report we are responsible for; signed and sent back to the origin')
    .argument('<id>', 'report id (or its first 8+ characters)')
    .option(...DIR_OPTION)
    .requiredOption('--status <status>', 'assessed | notice-sent | removed | not-illegal | unreachable (received → assessed → notice-sent → removed; see README "Report status")')
    .option('--note <text>', 'a note for the origin hotline')
    .option('--json', 'print JSON')
    .action(async (id: string, opts: { dir?: string, status: string, note?: string, json?: boolean }) => {
      const input = { id, status: opts.status, ...(opts.note !== undefined && { note: opts.note }) }
      const view = await withOps(resolveDir(opts.dir), async (ops) => await ops.run(reportsUpdateOp, input))
      if (opts.json === true) return printJson(view)
      print(safe`report ${view.id}: ${view.status}` + (view.local ? '' : safe` (sent to ${view.origin})`) + '\n')
    })

  reports.command('reopen')
    .description('correct a report\'s status backwards (e.g. removed by mistake): signed, with the reason, and sent to the origin')
    .argument('<id>', 'report id (or its first 8+ characters)')
    .option(...DIR_OPTION)
    .requiredOption('--reason <text>', 'why the report is reopened')
    .option('--status <status>', 'assessed (default) | notice-sent')
    .option('--json', 'print JSON')
    .action(async (id: string, opts: { dir?: string, reason: string, status?: string, json?: boolean }) => {
      const input = { id, reason: opts.reason, ...(opts.status !== undefined && { status: opts.status }) }
      const view = await withOps(resolveDir(opts.dir), async (ops) => await ops.run(reportsReopenOp, input))
      if (opts.json === true) return printJson(view)
      print(safe`report ${view.id}: reopened, now ${view.status}` + (view.local ? '' : safe` (sent to ${view.origin})`) + '\n')
    })

  reports.command('stats')
    .description('counts by status, median and p90 time to removal, hosters with reports open too long')
    .option(...DIR_OPTION)
    .option('--by <group>', 'hoster | asn | country')
    .option('--since <when>', 'reports created since a date (2025-01-31) or for a period (30d, 12h, 2w)')
    .option('--json', 'print JSON')
    .action(async (opts: { dir?: string, by?: string, since?: string, json?: boolean }) => {
      const stats: ReportStats = await withOps(resolveDir(opts.dir), async (ops) => await ops.run(reportsStatsOp, { by: opts.by, since: opts.since }))
      if (opts.json === true) return printJson(stats)
      print(formatStats(stats) + '\n')
    })

  registerHosterReport(reports)

  reports.command('outbox')
    .description('messages waiting for a receipt from their target')
    .option(...DIR_OPTION)
    .option('--json', 'print JSON')
    .action(async (opts: { dir?: string, json?: boolean }) => {
      const items: OutboxEntry[] = (await withOps(resolveDir(opts.dir), async (ops) => await ops.run(reportsOutboxOp, {}))).items
      if (opts.json === true) return printJson(items)
      print(table(items.map(i => ({
        kind: i.kind, report: i.subject, target: i.target === i.targetPeerId ? shortPeerId(i.target) : i.target, attempts: i.attempts, created: i.createdAt, 'last error': i.lastError
      }))) + '\n')
    })
}
