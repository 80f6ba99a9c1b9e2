import type { MetricsRegistry, Observation, Sample } from '../observe/metrics-registry.js'
import { sharedScan } from '../observe/metrics-registry.js'
import type { ReportService } from './report-service.js'
import { REPORT_STATUSES } from './report-status.js'

/** Hours and days: a hoster removes material in minutes at best and weeks at worst. */
const REMOVAL_BUCKETS_S = [300, 900, 3600, 3 * 3600, 6 * 3600, 12 * 3600, 86400, 2 * 86400, 3 * 86400, 7 * 86400, 14 * 86400, 30 * 86400]

/**
 * The reports' series: deliveries, refusals by reason, and reports held and retained with
 * their time to removal (one scan of the facts per scrape). The outbox per member is in the
 * node snapshot's series.
 */
export function registerReportMetrics (metrics: MetricsRegistry, reports: ReportService): void {
  metrics.counter({ name: 'hashfed_outbox_delivered_total', help: 'Report messages delivered with a valid receipt, since start.' }, () => reports.outbox.delivered)
  metrics.counter({ name: 'hashfed_report_messages_rejected_total', help: 'Inbound report protocol messages refused, by reason, since start.', labelNames: ['reason'] },
    () => Object.entries(reports.rejections().byReason).map(([reason, value]) => ({ labels: { reason }, value })))
  const facts = sharedScan(async () => await reports.facts())
  metrics.gauge({
    name: 'hashfed_reports',
    help: 'Reports held, by direction (inbound: we are responsible; outbound: we reported abroad) and status.',
    labelNames: ['direction', 'status']
  }, async () => {
    const held = new Map<string, Sample>()
    for (const direction of ['inbound', 'outbound']) for (const status of REPORT_STATUSES) held.set(`${direction} ${status}`, { labels: { direction, status }, value: 0 })
    for (const f of await facts()) {
      if (f.archived === true) continue
      const key = `${f.direction} ${f.status}`
      const s = held.get(key) ?? { labels: { direction: f.direction, status: f.status }, value: 0 }
      s.value += f.count
      held.set(key, s)
    }
    return held.values()
  })
  metrics.gauge({ name: 'hashfed_reports_archived', help: 'Reports deleted by retention and kept only as anonymous counts.' },
    async () => (await facts()).reduce((n, f) => n + (f.archived === true ? f.count : 0), 0))
  metrics.histogram({
    name: 'hashfed_report_removal_seconds',
    help: 'Time from report to removal by the hoster, in seconds, for reports held and kept as counts.',
    labelNames: ['direction'],
    buckets: REMOVAL_BUCKETS_S
  }, async () => (await facts()).flatMap((f): Observation[] => f.removalMs === null ? [] : [{ labels: { direction: f.direction }, value: f.removalMs / 1000, count: f.count }]))
}
