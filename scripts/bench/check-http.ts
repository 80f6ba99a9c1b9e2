// Scenario 5 (HTTP part) and 7: the hash check API of a real `hashfed start` process holding
// 1M SHA-256 and 1M PDQ entries, loaded with autocannon: batch of 1 and batch of 1,000 hashes
// per request (a tenth of them known), req/s and p50/p99 latency; HMA's `GET /m/raw_lookup`
// of one PDQ hash (near-match) beside the same bare node:http limit; also the match index's
// load time at start, the bank_content_id rows' build time and the node's RSS. Server CPU per
// request (from /proc, every thread) is given beside the bare endpoint's for the two HTTP-bound
// routes: on a shared machine it moves less than req/s.
//
//   node dist/scripts/bench/check-http.js [--scale 0.01] [--seconds 10] [--connections 32] [--hit-rate 0.1]
import '../../src/polyfill.js'
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import autocannon from 'autocannon'
import { benchArgs, report, type BenchArgs, type Figure } from './bench-kit.js'
import { freshConnectionLoad } from './fresh-connections.js'
import { benchFederation, startProcess, writeContentIds, type BenchMember } from './bench-federation.js'
import { nodeDir } from '../../src/config/node-dir.js'
import { loadKeyFile } from '../../src/identity/key-file.js'
import { Store } from '../../src/store/store.js'
import { openHashLog } from '../../src/log/hash-log.js'

const FULL = 1_000_000
const SCENARIO = 'check over HTTP'

interface Options { seconds: number, connections: number, hitRate: number }

/** Fills a stopped node's own log with `n` random entries of `algorithm`; returns a sample of them to ask for. */
async function populate (m: BenchMember, n: number, sample: number, algorithm: 'sha256' | 'pdq'): Promise<string[]> {
  const dir = nodeDir(m.dir)
  const identity = await loadKeyFile(dir.key)
  const store = await Store.open(dir.store)
  const log = await openHashLog({ store })
  const known: string[] = []
  const every = Math.max(1, Math.floor(n / sample))
  for (let done = 0; done < n; done += 10_000) {
    const k = Math.min(10_000, n - done)
    const bytes = randomBytes(32 * k)
    const items = Array.from({ length: k }, (_, i) => ({ op: 'add' as const, record: { algorithm, value: bytes.subarray(i * 32, i * 32 + 32), classification: 'baseline' as const } }))
    for (let i = 0; i < k; i += every) known.push(bytes.subarray(i * 32, i * 32 + 32).toString('hex'))
    await log.append(identity, items)
  }
  await log.close()
  await store.close()
  return known
}

/**
 * `count` raw_lookup requests of one hash each, `hitRate` of them known. PDQ is a near-match
 * search of the index per query; SHA-256 an exact look-up, which leaves the HTTP path's cost.
 */
function rawLookups (known: string[], count: number, hitRate: number, token: string, signalType: 'pdq' | 'sha256'): autocannon.Request[] {
  let k = 0
  return Array.from({ length: count }, () => ({
    method: 'GET' as const,
    path: `/m/raw_lookup?signal_type=${signalType}&signal=${Math.random() < hitRate ? known[k++ % known.length] : randomBytes(32).toString('hex')}`,
    headers: { authorization: `Bearer ${token}` }
  }))
}

/** `count` request bodies of `batch` hashes each, `hitRate` of them known. */
function bodies (known: string[], count: number, batch: number, hitRate: number): string[] {
  let k = 0
  return Array.from({ length: count }, () => JSON.stringify({
    hashes: Array.from({ length: batch }, () => ({ algorithm: 'sha256', value: Math.random() < hitRate ? known[k++ % known.length] : randomBytes(32).toString('hex') }))
  }))
}

const checkRequests = (token: string, body: string[]): autocannon.Request[] =>
  body.map(b => ({ method: 'POST' as const, path: '/v1/check', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: b }))

/** CPU time (user + system, every thread) a process has used so far, in ms (clock ticks of 10 ms). */
async function cpuMs (pid: number): Promise<number> {
  const fields = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1].split(' ')
  return (Number(fields[11]) + Number(fields[12])) * 10
}

/** A load's result with the server's CPU time per request (µs), which contention on the machine moves less than req/s. */
type Loaded = autocannon.Result & { cpuUs: number }

async function load (url: string, requests: autocannon.Request[], opts: Options, seconds: number, pid?: number): Promise<Loaded> {
  const before = pid !== undefined ? await cpuMs(pid) : 0
  const r = await autocannon({ url, connections: opts.connections, duration: seconds, requests })
  const cpuUs = pid !== undefined ? (await cpuMs(pid) - before) * 1000 / Math.max(1, r.requests.total) : 0
  return Object.assign(r, { cpuUs })
}

/**
 * The machine's limit for this kind of request: a bare node:http server in its own process
 * that reads the body, parses it as JSON and answers a small JSON document, loaded the same way.
 */
const BARE_SERVER = `
const http = require('node:http')
const srv = http.createServer((req, res) => {
  if (req.method === 'GET') {
    // the GET yardstick: read the query, answer a small JSON document
    const q = new URLSearchParams(req.url.slice(req.url.indexOf('?') + 1))
    const out = JSON.stringify({ matches: q.has('signal') ? [] : [] })
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(out) })
    res.end(out)
    return
  }
  const chunks = []
  req.on('data', (c) => chunks.push(c))
  req.on('end', () => {
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8'))
    const out = JSON.stringify({ results: body.hashes.map((h) => ({ algorithm: h.algorithm, value: h.value, matches: [] })) })
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(out) })
    res.end(out)
  })
})
srv.listen(0, '127.0.0.1', () => process.stdout.write(String(srv.address().port) + '\\n'))
`

/** The bare endpoint's process, running while `measure` runs against its URL. */
async function withBare<T> (measure: (url: string, pid: number) => Promise<T>): Promise<T> {
  const child = spawn(process.execPath, ['-e', BARE_SERVER], { stdio: ['ignore', 'pipe', 'inherit'] })
  try {
    const port = await new Promise<string>((resolve, reject) => {
      child.stdout.once('data', (d: Buffer) => resolve(d.toString().trim()))
      child.once('exit', (code) => reject(new Error(`bare server exited with ${code}`)))
    })
    return await measure(`http://127.0.0.1:${port}`, child.pid as number)
  } finally {
    child.kill()
  }
}

async function bareLimit (requests: autocannon.Request[], opts: Options, seconds: number): Promise<Loaded> {
  return await withBare(async (url, pid) => {
    await load(url, requests, opts, 1)
    return await load(url, requests, opts, seconds, pid)
  })
}

async function rssMiB (pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8')
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024
}

export async function checkHttp (args: BenchArgs, opts: Options): Promise<Figure[]> {
  const entries = Math.max(10_000, Math.round(FULL * args.scale))
  const seconds = Math.max(2, Math.round(opts.seconds))
  const root = await mkdtemp(join(tmpdir(), 'hashfed-bench-check-'))
  try {
    const [m] = await benchFederation(root, ['EOKM'])
    const config = JSON.parse(await readFile(nodeDir(m.dir).config, 'utf8')) as { check: { rateLimit: number } }
    config.check.rateLimit = 1e9 // the benchmark measures the server, not the limiter
    await writeFile(nodeDir(m.dir).config, JSON.stringify(config))
    const known = await populate(m, entries, 10_000, 'sha256')
    const knownPdq = await populate(m, entries, 10_000, 'pdq')
    const idsSeconds = await writeContentIds(m)
    const node = await startProcess(m)
    let figures: Figure[]
    try {
      const status = await (await fetch(`${node.api}/v1/match/status`)).json() as { loaded: { entries: number, ms: number } }
      const rssIdle = await rssMiB(node.child.pid as number)
      const { token } = await (await fetch(`${node.api}/v1/tokens`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'bench' }) })).json() as { token: string }
      const runtime = JSON.parse(await readFile(nodeDir(m.dir).runtime, 'utf8')) as { checkUrl: string }
      const one = checkRequests(token, bodies(known, 2000, 1, opts.hitRate))
      const thousand = checkRequests(token, bodies(known, 20, 1000, opts.hitRate))
      const raw = rawLookups(knownPdq, 2000, opts.hitRate, token, 'pdq')
      const rawExact = rawLookups(known, 2000, opts.hitRate, token, 'sha256')
      await load(runtime.checkUrl, one, opts, 2) // warm-up: JIT, metadata cache
      await load(runtime.checkUrl, raw, opts, 2)
      // the limit right before the figure it is set beside: the machine's load drifts
      const bare = await bareLimit(one, opts, seconds)
      const pid = node.child.pid as number
      const r1 = await load(runtime.checkUrl, one, opts, seconds, pid)
      const bareGet = await bareLimit(raw, opts, seconds)
      const rRaw = await load(runtime.checkUrl, raw, opts, seconds, pid)
      const bareGet2 = await bareLimit(rawExact, opts, seconds)
      const rRawExact = await load(runtime.checkUrl, rawExact, opts, seconds, pid)
      // a new connection per request: connection set-up and teardown on both sides, every request
      const bareFresh = await withBare(async (url) => await freshConnectionLoad(url, one, opts.connections, seconds))
      const r1Fresh = await freshConnectionLoad(runtime.checkUrl, one, opts.connections, seconds)
      const r1000 = await load(runtime.checkUrl, thousand, { ...opts, connections: Math.min(opts.connections, 8) }, seconds)
      const rssLoaded = await rssMiB(node.child.pid as number)
      for (const [name, r] of [['batch 1, new connections', { non2xx: r1Fresh.non2xx, errors: r1Fresh.errors }], ['bare, new connections', { non2xx: 0, errors: bareFresh.errors }], ['batch 1', r1], ['raw_lookup', rRaw], ['raw_lookup sha256', rRawExact], ['batch 1000', r1000]] as const) {
        if (r.non2xx > 0 || r.errors > 0) throw new Error(`${name}: ${r.non2xx} non-2xx replies, ${r.errors} errors`)
      }
      const n = entries.toLocaleString('en-US')
      const beside = `${opts.connections} connections, ${Math.round(opts.hitRate * 100)}% known hashes, ${n} entries`
      figures = [
        { scenario: SCENARIO, name: `index load at start (${status.loaded.entries.toLocaleString('en-US')} entries)`, value: status.loaded.ms / 1000, unit: 's' },
        { scenario: SCENARIO, name: 'bare node:http JSON endpoint (machine limit)', value: bare.requests.average, unit: 'req/s', beside: `p99 ${bare.latency.p99} ms` },
        { scenario: SCENARIO, name: 'batch of 1: requests/s', value: r1.requests.average, unit: 'req/s', goal: 15_000, better: 'higher', beside },
        { scenario: SCENARIO, name: 'batch of 1: ratio to the bare endpoint', value: r1.requests.average / bare.requests.average, unit: '', goal: 0.85, better: 'higher' },
        { scenario: SCENARIO, name: 'batch of 1: p50 latency', value: r1.latency.p50, unit: 'ms' },
        { scenario: SCENARIO, name: 'batch of 1: p99 latency', value: r1.latency.p99, unit: 'ms', goal: 10, better: 'lower' },
        { scenario: SCENARIO, name: 'batch of 1: server CPU per request', value: r1.cpuUs, unit: 'µs', beside: `bare endpoint ${bare.cpuUs.toFixed(1)} µs (ratio ${(bare.cpuUs / r1.cpuUs).toFixed(2)}): contention moves it less than req/s` },
        { scenario: SCENARIO, name: 'bare node:http JSON endpoint, a new connection per request (machine limit)', value: bareFresh.rate, unit: 'req/s', beside: `p99 ${bareFresh.p99.toFixed(1)} ms` },
        { scenario: SCENARIO, name: 'batch of 1, a new connection per request: requests/s', value: r1Fresh.rate, unit: 'req/s', beside: `the shape HMA's sync workers force; ${beside}` },
        { scenario: SCENARIO, name: 'batch of 1, a new connection per request: ratio to the bare endpoint', value: r1Fresh.rate / bareFresh.rate, unit: '', goal: 0.8, better: 'higher' },
        { scenario: SCENARIO, name: 'batch of 1, a new connection per request: p99 latency', value: r1Fresh.p99, unit: 'ms' },
        { scenario: SCENARIO, name: 'bare node:http GET endpoint (machine limit)', value: bareGet.requests.average, unit: 'req/s', beside: `p99 ${bareGet.latency.p99} ms` },
        { scenario: SCENARIO, name: 'HMA GET /m/raw_lookup (1 PDQ): requests/s', value: rRaw.requests.average, unit: 'req/s', beside: `${opts.connections} connections, ${Math.round(opts.hitRate * 100)}% known, ${n} PDQ entries` },
        { scenario: SCENARIO, name: 'HMA raw_lookup: ratio to the bare GET endpoint', value: rRaw.requests.average / bareGet.requests.average, unit: '', goal: 0.8, better: 'higher' },
        { scenario: SCENARIO, name: 'HMA raw_lookup: p99 latency', value: rRaw.latency.p99, unit: 'ms' },
        { scenario: SCENARIO, name: 'bare node:http GET endpoint, again (machine limit)', value: bareGet2.requests.average, unit: 'req/s' },
        { scenario: SCENARIO, name: 'HMA GET /m/raw_lookup (1 SHA-256, exact): requests/s', value: rRawExact.requests.average, unit: 'req/s', beside: 'the HTTP path without the near-match search' },
        { scenario: SCENARIO, name: 'HMA raw_lookup SHA-256: ratio to the bare GET endpoint', value: rRawExact.requests.average / bareGet2.requests.average, unit: '', goal: 0.8, better: 'higher' },
        { scenario: SCENARIO, name: 'HMA raw_lookup SHA-256: server CPU per request', value: rRawExact.cpuUs, unit: 'µs', beside: `bare GET endpoint ${bareGet2.cpuUs.toFixed(1)} µs (ratio ${(bareGet2.cpuUs / rRawExact.cpuUs).toFixed(2)}); PDQ raw_lookup ${rRaw.cpuUs.toFixed(0)} µs` },
        { scenario: SCENARIO, name: `bank_content_id rows for ${(2 * entries).toLocaleString('en-US')} entries (first start)`, value: idsSeconds, unit: 's' },
        { scenario: SCENARIO, name: 'batch of 1000: requests/s', value: r1000.requests.average, unit: 'req/s', beside: `${Math.min(opts.connections, 8)} connections` },
        { scenario: SCENARIO, name: 'batch of 1000: hashes/s', value: r1000.requests.average * 1000, unit: 'hashes/s' },
        { scenario: SCENARIO, name: 'batch of 1000: p50 latency', value: r1000.latency.p50, unit: 'ms' },
        { scenario: SCENARIO, name: 'batch of 1000: p99 latency', value: r1000.latency.p99, unit: 'ms' },
        { scenario: SCENARIO, name: `node RSS with ${n} SHA-256 + ${n} PDQ entries and index, after start`, value: rssIdle, unit: 'MiB', goal: 400, better: 'lower' },
        { scenario: SCENARIO, name: 'node RSS after the load above', value: rssLoaded, unit: 'MiB', beside: 'heap grown by 1000-hash request bodies; V8 keeps it' }
      ]
    } finally {
      await node.stop()
    }
    return [...figures, ...await quarantineCost(m, known, opts, seconds)]
  } finally {
    await rm(root, { recursive: true, force: true })
  }
}

// ------------------------------------------------------------------ quarantine counting on vs off (issue 18)

/** Starts the populated node with `quarantine.enabled` set, loads it with eight hoster tokens in turn. */
async function loadWithQuarantine (m: BenchMember, enabled: boolean, round: number, body: string[], opts: Options, seconds: number): Promise<autocannon.Result> {
  const file = nodeDir(m.dir).config
  const config = JSON.parse(await readFile(file, 'utf8')) as { quarantine?: { enabled?: boolean } }
  config.quarantine = { ...config.quarantine, enabled }
  await writeFile(file, JSON.stringify(config))
  const node = await startProcess(m)
  try {
    const tokens: string[] = []
    for (let i = 0; i < 8; i++) {
      const res = await fetch(`${node.api}/v1/tokens`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: `hoster-${round}-${i}` }) })
      if (!res.ok) throw new Error(`token: ${res.status} ${await res.text()}`)
      tokens.push((await res.json() as { token: string }).token)
    }
    const runtime = JSON.parse(await readFile(nodeDir(m.dir).runtime, 'utf8')) as { checkUrl: string }
    const requests = body.map((b, i) => ({ method: 'POST' as const, path: '/v1/check', headers: { authorization: `Bearer ${tokens[i % tokens.length]}`, 'content-type': 'application/json' }, body: b }))
    const run = async (duration: number): Promise<autocannon.Result> => await autocannon({ url: runtime.checkUrl, connections: opts.connections, duration, requests })
    await run(2) // warm-up
    const r = await run(seconds)
    if (r.non2xx > 0 || r.errors > 0) throw new Error(`quarantine ${enabled ? 'on' : 'off'}: ${r.non2xx} non-2xx replies, ${r.errors} errors`)
    return r
  } finally {
    await node.stop()
  }
}

/**
 * The cost of counting matches per stored hash and hoster on the check path: the same node,
 * the same requests (batch of 1, eight hoster tokens in turn), quarantine counting off, on,
 * off, on; each figure is the mean of its two runs, so load drift hits both alike.
 */
async function quarantineCost (m: BenchMember, known: string[], opts: Options, seconds: number): Promise<Figure[]> {
  const body = bodies(known, 2000, 1, opts.hitRate)
  const rps = { on: 0, off: 0 }
  for (const [round, enabled] of [false, true, false, true].entries()) rps[enabled ? 'on' : 'off'] += (await loadWithQuarantine(m, enabled, round, body, opts, seconds)).requests.average / 2
  const beside = `batch of 1, 8 hoster tokens, ${Math.round(opts.hitRate * 100)}% known hashes`
  return [
    { scenario: SCENARIO, name: 'quarantine counting off: requests/s', value: rps.off, unit: 'req/s', beside },
    { scenario: SCENARIO, name: 'quarantine counting on: requests/s', value: rps.on, unit: 'req/s', beside },
    { scenario: SCENARIO, name: 'quarantine counting on: ratio to off', value: rps.on / rps.off, unit: '', goal: 0.9, better: 'higher' }
  ]
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = benchArgs({ seconds: { type: 'string', default: '10' }, connections: { type: 'string', default: '32' }, 'hit-rate': { type: 'string', default: '0.1' } })
  const { values } = args
  report(args, await checkHttp(args, { seconds: Number(values.seconds), connections: Number(values.connections), hitRate: Number(values['hit-rate']) }))
}
