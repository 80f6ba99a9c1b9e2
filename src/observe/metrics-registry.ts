/**
 * What a component needs to publish its metrics: it registers each one with a function that
 * reads its state at scrape time (js-libp2p's `registerMetric(name, { calculate })`). The
 * implementation (api/metrics.ts, over prom-client) lives above the components; they only
 * see this interface. Names, labels and HELP texts are the operator's contract: dashboards
 * and alerts are built on them.
 */
export type Labels = Record<string, string>

/** One series: its labels (none for a metric without labels) and its value. */
export interface Sample {
  labels?: Labels
  value: number
}

/** A reading: one number for a metric without labels, or one sample per series. */
export type Reading = number | Iterable<Sample>

export interface MetricDef {
  name: string
  help: string
  labelNames?: readonly string[]
}

export interface HistogramDef extends MetricDef {
  buckets: readonly number[]
}

/** `count` observations of `value` (seconds, bytes, …) in the series `labels`. */
export interface Observation {
  labels?: Labels
  value: number
  count: number
}

export interface MetricsRegistry {
  /** a value that goes up and down, read at every scrape */
  gauge: (def: MetricDef, read: () => Reading | Promise<Reading>) => void
  /** a total since start, read at every scrape (the component keeps the count) */
  counter: (def: MetricDef, read: () => Reading | Promise<Reading>) => void
  /** a distribution rebuilt from the component's records at every scrape */
  histogram: (def: HistogramDef, read: () => Iterable<Observation> | Promise<Iterable<Observation>>) => void
}

/** A registry that keeps nothing (offline commands, tests of a component alone). */
export const noMetrics: MetricsRegistry = { gauge: () => {}, counter: () => {}, histogram: () => {} }

/**
 * One scan serves every metric of a scrape that needs it: a scrape reads all metrics at
 * once, so they find the scan in progress. Nothing is kept once it is done, so the next
 * scrape sees fresh data.
 */
export function sharedScan<T> (load: () => Promise<T>): () => Promise<T> {
  let running: Promise<T> | null = null
  return async () => {
    running ??= load().finally(() => { running = null })
    return await running
  }
}

/**
 * A synchronous reading shared by the collectors of one scrape: a scrape asks every metric
 * in one go, so the first reader computes it and the others of that turn get the same value.
 */
export function sharedReading<T> (read: () => T): () => T {
  let cached: { value: T } | null = null
  return () => {
    if (cached === null) {
      cached = { value: read() }
      queueMicrotask(() => { cached = null })
    }
    return cached.value
  }
}
