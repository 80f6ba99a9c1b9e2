// The part of autocannon's API the benchmarks use (the package ships no types).
declare module 'autocannon' {
  namespace autocannon {
    interface Request {
      method?: 'GET' | 'POST' | 'PUT' | 'DELETE'
      path?: string
      headers?: Record<string, string>
      body?: string | Buffer
    }
    interface Options {
      url: string
      connections?: number
      pipelining?: number
      duration?: number
      amount?: number
      requests?: Request[]
    }
    interface Histogram { average: number, mean: number, stddev: number, min: number, max: number, p50: number, p90: number, p97_5: number, p99: number, total: number }
    interface Result {
      requests: Histogram
      latency: Histogram
      throughput: Histogram
      errors: number
      timeouts: number
      non2xx: number
      duration: number
    }
  }
  function autocannon (opts: autocannon.Options): Promise<autocannon.Result>
  export default autocannon
}
