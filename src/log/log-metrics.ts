import type { MetricsRegistry } from '../observe/metrics-registry.js'
import { sharedScan } from '../observe/metrics-registry.js'
import type { HashLog } from './hash-log.js'

/** The hash log's series: per origin its batches, hashes and retractions, and fork evidence kept. */
export function registerLogMetrics (metrics: MetricsRegistry, log: Pick<HashLog, 'listOrigins' | 'forks'>, nameOf: (origin: string) => string): void {
  const perOrigin = (pick: (o: ReturnType<HashLog['listOrigins']>[number]) => number) => () => log.listOrigins().map(o => ({ labels: { origin: nameOf(o.origin) }, value: pick(o) }))
  const forks = sharedScan(async () => await log.forks())
  metrics.gauge({ name: 'hashfed_fork_alarms', help: 'Fork evidence kept: an origin signed two different batches for one sequence number.' }, async () => (await forks()).length)
  metrics.gauge({ name: 'hashfed_log_batches', help: 'Per origin, batches held (the head sequence number).', labelNames: ['origin'] }, perOrigin(o => o.headSeq))
  metrics.gauge({ name: 'hashfed_log_hashes', help: 'Per origin, hashes in its current set.', labelNames: ['origin'] }, perOrigin(o => o.entries))
  metrics.gauge({ name: 'hashfed_log_retracted_hashes', help: 'Per origin, hashes added and later retracted.', labelNames: ['origin'] }, perOrigin(o => o.retractions))
}
