import type { MetricsRegistry, Observation, Sample } from '../observe/metrics-registry.js'
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
  // from the report index's counts and day buckets: a scrape reads no report
  metrics.gauge({
    name: 'hashfed_reports',
    help: 'Reports held, by direction (inbound: we are responsible; outbound: we reported abroad) and status.',
    labelNames: ['direction', 'status']
  }, async () => {
    const counts = (await reports.reports.ready()).byDirection()
    const held: Sample[] = []
    for (const direction of ['inbound', 'outbound'] as const) {
      for (const status of REPORT_STATUSES) {
        // unroutable reports were always counted as outbound
        const value = counts[direction][status] + (direction === 'outbound' ? counts.unroutable[status] : 0)
        held.push({ labels: { direction, status }, value })
      }
    }
    return held
  })
  metrics.gauge({ name: 'hashfed_reports_archived', help: 'Reports deleted by retention and kept only as anonymous counts.' },
    async () => (await reports.reports.ready()).archived)
  metrics.histogram({
    name: 'hashfed_report_removal_seconds',
    help: 'Time from report to removal by the hoster, in seconds, for reports held and kept as counts.',
    labelNames: ['direction'],
    buckets: REMOVAL_BUCKETS_S
  }, async () => {
    const observations: Observation[] = []
    for (const e of (await reports.reports.ready()).buckets()) {
      const direction = e.of.direction === 'inbound' ? 'inbound' : 'outbound'
      for (const ms of e.bucket.removalMs) observations.push({ labels: { direction }, value: ms / 1000, count: 1 })
    }
    return observations
  })
}
