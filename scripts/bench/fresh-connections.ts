// Load with a new TCP connection for every request (the shape HMA's sync workers force):
// `connections` loops, each sending one request at a time on a connection of its own
// (agent: false) and closing it after the answer. autocannon 9 cannot do this: with
// reconnectRate 1 it drops the answer of every request it reconnects after.
import { request } from 'node:http'
import type autocannon from 'autocannon'
import { median, percentile } from './bench-kit.js'

export interface FreshResult {
  /** answers per second */
  rate: number
  p50: number
  p99: number
  non2xx: number
  errors: number
}

function once (url: URL, req: autocannon.Request): Promise<number> {
  return new Promise((resolve, reject) => {
    const r = request({ host: url.hostname, port: url.port, method: req.method ?? 'GET', path: req.path ?? '/', headers: { ...req.headers, connection: 'close' }, agent: false }, (res) => {
      res.on('data', () => {})
      res.on('end', () => resolve(res.statusCode ?? 0))
      res.on('error', reject)
    })
    r.on('error', reject)
    r.end(req.body)
  })
}

export async function freshConnectionLoad (base: string, requests: autocannon.Request[], connections: number, seconds: number): Promise<FreshResult> {
  const url = new URL(base)
  const latencies: number[] = []
  let non2xx = 0
  let errors = 0
  let next = 0
  const t0 = performance.now()
  const until = t0 + seconds * 1000
  await Promise.all(Array.from({ length: connections }, async () => {
    while (performance.now() < until) {
      const req = requests[next++ % requests.length]
      const start = performance.now()
      try {
        const status = await once(url, req)
        if (status < 200 || status >= 300) non2xx++
      } catch {
        errors++
      }
      latencies.push(performance.now() - start)
    }
  }))
  const elapsed = (performance.now() - t0) / 1000
  return { rate: latencies.length / elapsed, p50: median(latencies), p99: percentile(latencies, 99), non2xx, errors }
}
