import { Counter, Gauge, Histogram, Registry } from 'prom-client'
import type { HistogramDef, MetricDef, MetricsRegistry, Observation, Reading } from '../observe/metrics-registry.js'
import { CheckRequestMetrics } from './check-request-metrics.js'

export interface NodeMetricsInit {
  /** @default 'hashfed' version label of hashfed_build_info */
  version?: string
}

/** The hash check API's counters since start (the check server's `stats`). */
export interface CheckStats { hashes: number, images: number, matches: number, feedback: number }

/**
 * One node's Prometheus metrics, in a registry of its own (tests run several nodes in one
 * process; prom-client's global registry would mix them). Components register their series
 * through the `MetricsRegistry` interface; each is read when scraped. Only check requests
 * are counted as they happen (`observeCheck`), because their latencies exist nowhere else.
 */
export class NodeMetrics implements MetricsRegistry {
  readonly registry = new Registry()
  private readonly checks: CheckRequestMetrics

  constructor (init: NodeMetricsInit = {}) {
    const registers = [this.registry]
    this.checks = new CheckRequestMetrics(this.registry)
    new Gauge({ name: 'hashfed_build_info', help: 'Always 1; the labels say which hashfed this is.', labelNames: ['version'], registers }).set({ version: init.version ?? '0.1.0' }, 1)
    this.processMetrics()
  }

  /** The Content-Type of `scrape()`'s text. */
  get contentType (): string {
    return this.registry.contentType
  }

  /** The Prometheus text exposition of every metric. */
  async scrape (): Promise<string> {
    return await this.registry.metrics()
  }

  /** One answered check API request (the check server's `observe` hook). */
  observeCheck (endpoint: string, statusCode: number, ms: number): void {
    this.checks.observe(endpoint, statusCode, ms)
  }

  gauge (def: MetricDef, read: () => Reading | Promise<Reading>): void {
    const gauge: Gauge = new Gauge({ ...this.def(def), collect: async () => { apply(gauge, await read(), (labels, v) => gauge.set(labels, v)) } })
  }

  counter (def: MetricDef, read: () => Reading | Promise<Reading>): void {
    const counter: Counter = new Counter({ ...this.def(def), collect: async () => { apply(counter, await read(), (labels, v) => counter.inc(labels, v)) } })
  }

  histogram (def: HistogramDef, read: () => Iterable<Observation> | Promise<Iterable<Observation>>): void {
    const histogram: Histogram = new Histogram({
      ...this.def(def),
      buckets: [...def.buckets],
      collect: async () => {
        const observations = await read()
        histogram.reset()
        for (const o of observations) for (let i = 0; i < o.count; i++) histogram.observe(o.labels ?? {}, o.value)
      }
    })
  }

  /** The check API's counters since start; `stats` is undefined while the node has no check API. */
  registerCheckStats (stats: () => CheckStats | undefined): void {
    const stat = (name: string, help: string, pick: (s: CheckStats) => number): void => {
      this.counter({ name, help }, () => pick(stats() ?? { hashes: 0, images: 0, matches: 0, feedback: 0 }))
    }
    stat('hashfed_check_hashes_total', 'Hashes looked up through the check API, since start.', s => s.hashes)
    stat('hashfed_check_images_total', 'Images hashed (and discarded) for the check API, since start.', s => s.images)
    stat('hashfed_check_matches_total', 'Check API lookups that matched a hash, since start.', s => s.matches)
    stat('hashfed_check_feedback_total', 'Hoster feedback messages received through the check API, since start.', s => s.feedback)
  }

  private def (def: MetricDef): { name: string, help: string, labelNames: string[], registers: Registry[] } {
    return { name: def.name, help: def.help, labelNames: [...(def.labelNames ?? [])], registers: [this.registry] }
  }

  /** Process basics under their conventional names (prom-client's set fails promtool's lint). */
  private processMetrics (): void {
    const registers = [this.registry]
    new Counter({ name: 'process_cpu_seconds_total', help: 'User and system CPU time spent, in seconds.', registers, collect () { const u = process.cpuUsage(); this.reset(); this.inc((u.user + u.system) / 1e6) } })
    new Gauge({ name: 'process_resident_memory_bytes', help: 'Resident memory size, in bytes.', registers, collect () { this.set(process.memoryUsage.rss()) } })
    new Gauge({ name: 'process_start_time_seconds', help: 'Start time of the process, in seconds since the epoch.', registers }).set(Math.round(Date.now() / 1000 - process.uptime()))
    new Gauge({ name: 'nodejs_heap_used_bytes', help: 'V8 heap in use, in bytes.', registers, collect () { this.set(process.memoryUsage().heapUsed) } })
  }
}

/** Replaces a metric's series with a reading: the metric holds exactly what was read. */
function apply (metric: Gauge | Counter, reading: Reading, put: (labels: Record<string, string>, value: number) => void): void {
  metric.reset()
  if (typeof reading === 'number') put({}, reading)
  else for (const s of reading) put(s.labels ?? {}, s.value)
}
