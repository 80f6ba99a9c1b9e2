import type { Registry } from 'prom-client'

/** A check of one hash answers from memory in well under a millisecond; a batch of 10k takes tens. */
const CHECK_BUCKETS_S = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5]

interface EndpointTally {
  /** per bucket (not cumulative), the last one +Inf */
  buckets: Float64Array
  sum: number
  count: number
  /** answers by HTTP status code */
  codes: Map<number, number>
}

interface MetricValue { labels: Record<string, string | number>, value: number, metricName?: string }

/**
 * The check API's request counter and latency histogram, counted as requests are answered
 * (the only metrics that are: latencies exist nowhere else). A request adds to plain numbers
 * (one map lookup, a short bucket search); the Prometheus series are made when scraped.
 * prom-client's own `observe` hashes and validates its label set on every call, a few
 * microseconds on the check API's hot path. The two families keep their names and labels:
 * `hashfed_check_requests_total{endpoint,code}`, `hashfed_check_request_duration_seconds{endpoint}`.
 */
export class CheckRequestMetrics {
  private readonly tallies = new Map<string, EndpointTally>()

  constructor (registry: Registry) {
    registry.registerMetric(this.metric('hashfed_check_requests_total', 'Hash check API requests, by endpoint and HTTP status code.', 'counter', () => this.requestValues()) as never)
    registry.registerMetric(this.metric('hashfed_check_request_duration_seconds', 'Time to answer a hash check API request, in seconds.', 'histogram', () => this.durationValues()) as never)
  }

  observe (endpoint: string, statusCode: number, ms: number): void {
    let t = this.tallies.get(endpoint)
    if (t === undefined) {
      t = { buckets: new Float64Array(CHECK_BUCKETS_S.length + 1), sum: 0, count: 0, codes: new Map() }
      this.tallies.set(endpoint, t)
    }
    const s = ms / 1000
    let b = 0
    while (b < CHECK_BUCKETS_S.length && s > CHECK_BUCKETS_S[b]) b++
    t.buckets[b]++
    t.sum += s
    t.count++
    t.codes.set(statusCode, (t.codes.get(statusCode) ?? 0) + 1)
  }

  private requestValues (): MetricValue[] {
    const out: MetricValue[] = []
    for (const [endpoint, t] of this.tallies) for (const [code, n] of t.codes) out.push({ labels: { endpoint, code: String(code) }, value: n })
    return out
  }

  /** Cumulative buckets, then sum and count, per endpoint: Prometheus' histogram exposition. */
  private durationValues (): MetricValue[] {
    const name = 'hashfed_check_request_duration_seconds'
    const out: MetricValue[] = []
    for (const [endpoint, t] of this.tallies) {
      let cumulative = 0
      for (let b = 0; b <= CHECK_BUCKETS_S.length; b++) {
        cumulative += t.buckets[b]
        out.push({ metricName: `${name}_bucket`, labels: { le: b < CHECK_BUCKETS_S.length ? CHECK_BUCKETS_S[b] : '+Inf', endpoint }, value: cumulative })
      }
      out.push({ metricName: `${name}_sum`, labels: { endpoint }, value: t.sum })
      out.push({ metricName: `${name}_count`, labels: { endpoint }, value: t.count })
    }
    return out
  }

  /** What a prom-client registry reads of a metric: its name, help, type and values. */
  private metric (name: string, help: string, type: 'counter' | 'histogram', values: () => MetricValue[]): object {
    const get = async (): Promise<object> => ({ name, help, type, values: values(), aggregator: 'sum' })
    return { name, help, type, aggregator: 'sum', get, reset: () => {} }
  }
}
