// Scenario: scale (issue 20, goal 1). One node's store grown in steps to 10M entries (80%
// SHA-256/MD5, 20% PDQ, with the metadata a hotline list carries); at each step, as a real
// `hashfed start` process: RSS after start, index load at start, PDQ near-match p50 over HTTP
// (results checked against a linear scan on a sample), exact check over HTTP (batch of 1,
// req/s, beside the first step's figure), initial sync to a fresh node (ratio to the same-run
// min(channel, LevelDB) limit) and `hashfed verify` on the stopped store when the CLI has it;
// and the cost per entry of each, which must stay flat as the store grows.
//
//   node dist/scripts/bench/scale.js [--scale 0.01] [--full] [--seconds 10]
//
// Default steps 1M and 2M; --full (`npm run bench -- --only scale`) adds 10M.
import '../../src/polyfill.js'
import { spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { setTimeout as sleep } from 'node:timers/promises'
import autocannon from 'autocannon'
import { benchArgs, median, report, type BenchArgs, type Figure } from './bench-kit.js'
import { benchFederation, originEntries, startProcess, writeContentIds, type BenchMember, type NodeProcess } from './bench-federation.js'
import { measureLimits } from './limits.js'
import { nodeDir } from '../../src/config/node-dir.js'
import { loadKeyFile } from '../../src/identity/key-file.js'
import { Store } from '../../src/store/store.js'
import { openHashLog } from '../../src/log/hash-log.js'
import { AGE_BANDS, IWF_CATEGORIES, type HashRecord } from '../../src/log/entry.js'
import { popcount32 } from '../../src/hashing/hamming.js'

const SCENARIO = 'scale'
/** the node's default PDQ near-match threshold (config match.pdqThreshold) */
const PDQ_THRESHOLD = 31
const PDQ_QUERIES = 200
/** queries also answered by a linear scan here */
const PDQ_SAMPLE = 20

/** PDQ values packed 32 bytes each in 1 MiB chunks: 2M of them as 2M small arrays would weigh ~200 MB more. */
class PdqValues {
  private readonly chunks: Buffer[] = []
  length = 0
  push (v: Uint8Array): void {
    const at = this.length % 32_768
    if (at === 0) this.chunks.push(Buffer.alloc(32 * 32_768))
    this.chunks[this.chunks.length - 1].set(v, at * 32)
    this.length++
  }

  at (i: number): Uint8Array {
    return this.chunks[Math.floor(i / 32_768)].subarray((i % 32_768) * 32, (i % 32_768) * 32 + 32)
  }
}

/** What the benchmark keeps of the entries it wrote: all PDQ values (for the linear scan) and some SHA-256 ones. */
interface Written { pdq: PdqValues, sha256: string[], bytes: number }

/** The i-th entry: every 5th PDQ, then MD5 and SHA-256 3:1 among the rest, with a list's usual metadata. */
export function record (i: number, value: Uint8Array): HashRecord {
  const r = i % 20
  const meta = {
    classification: r === 7 ? 'national' as const : 'baseline' as const,
    iwfCategory: IWF_CATEGORIES[i % 3],
    ageBand: AGE_BANDS[i % AGE_BANDS.length],
    media: i % 17 === 0 ? 'video' as const : 'image' as const,
    source: `ncmec:${(1_000_000 + i).toString()}`,
    ...(i % 11 === 0 ? { tags: ['series'] } : {})
  }
  if (i % 5 === 0) return { algorithm: 'pdq', value: value.subarray(0, 32), quality: 50 + (i % 51), ...meta }
  if (i % 4 === 1) return { algorithm: 'md5', value: value.subarray(0, 16), ...meta }
  return { algorithm: 'sha256', value: value.subarray(0, 32), ...meta }
}

/** Appends entries [from, to) to a stopped node's own log in batches of 10,000. */
async function grow (m: BenchMember, from: number, to: number, out: Written): Promise<void> {
  const dir = nodeDir(m.dir)
  const identity = await loadKeyFile(dir.key)
  const store = await Store.open(dir.store)
  const log = await openHashLog({ store })
  try {
    for (let done = from; done < to; done += 10_000) {
      const k = Math.min(10_000, to - done)
      const bytes = randomBytes(32 * k)
      const records = Array.from({ length: k }, (_, j) => record(done + j, bytes.subarray(j * 32, j * 32 + 32)))
      for (const r of records) {
        if (r.algorithm === 'pdq') out.pdq.push(r.value)
        else if (r.algorithm === 'sha256' && out.sha256.length < 20_000 && Math.random() < 0.05) out.sha256.push(Buffer.from(r.value).toString('hex'))
      }
      await log.append(identity, records.map(record => ({ op: 'add' as const, record })))
    }
    out.bytes = 0
    for await (const b of log.readRange(identity.peerId.toString(), 1)) out.bytes += b.length
  } finally {
    await log.close()
    await store.close()
  }
}

/** user+system CPU of a process so far, from /proc (ms; NaN where there is none) */
async function cpuMs (pid: number): Promise<number> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return (Number(fields[11]) + Number(fields[12])) * 10 // utime, stime in ticks of 10 ms
  } catch {
    return NaN
  }
}

/** CPU ms so far of each thread of `pid`, summed by thread name (HASHFED_BENCH_THREADS=1: where a step's CPU goes) */
export async function threadCpu (pid: number): Promise<Map<string, number>> {
  const out = new Map<string, number>()
  for (const tid of await readdir(`/proc/${pid}/task`).catch(() => [] as string[])) {
    const stat = await readFile(`/proc/${pid}/task/${tid}/stat`, 'utf8').catch(() => '')
    if (stat === '') continue
    // the main thread is the one whose id is the process's; LevelDB's compaction thread is unnamed ("node" too)
    const name = tid === String(pid) ? 'main' : stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')).replace(/[0-9]+$/, '#')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    out.set(name, (out.get(name) ?? 0) + (Number(fields[11]) + Number(fields[12])) * 10)
  }
  return out
}

function threadDelta (before: Map<string, number>, after: Map<string, number>): string {
  return [...after].map(([k, v]) => [k, v - (before.get(k) ?? 0)] as const).filter(([, v]) => v > 0).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v}`).join(', ')
}

async function rssMiB (pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8')
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024
}

function distance (a: Uint8Array, b: Uint8Array): number {
  let d = 0
  for (let i = 0; i < 32; i += 4) d += popcount32(((a[i] << 24) | (a[i + 1] << 16) | (a[i + 2] << 8) | a[i + 3]) ^ ((b[i] << 24) | (b[i + 1] << 16) | (b[i + 2] << 8) | b[i + 3]))
  return d
}

/** A stored PDQ value with up to 24 bits flipped (a re-encoded image), or a random one. */
function pdqQuery (stored: PdqValues, i: number): Uint8Array {
  if (i % 2 === 1) return new Uint8Array(randomBytes(32))
  const q = Uint8Array.from(stored.at(Math.floor(Math.random() * stored.length)))
  const flips = Math.floor(Math.random() * 25)
  for (let f = 0; f < flips; f++) { const bit = Math.floor(Math.random() * 256); q[bit >> 3] ^= 1 << (bit & 7) }
  return q
}

interface Checker { url: string, token: string }

async function check (c: Checker, hashes: Array<{ algorithm: string, value: string }>): Promise<{ results: Array<{ matches: Array<{ value: string, distance: number }> }> }> {
  const res = await fetch(`${c.url}/v1/check`, { method: 'POST', headers: { authorization: `Bearer ${c.token}`, 'content-type': 'application/json' }, body: JSON.stringify({ hashes }) })
  if (!res.ok) throw new Error(`check answered ${res.status}: ${await res.text()}`)
  return await res.json() as { results: Array<{ matches: Array<{ value: string, distance: number }> }> }
}

/** PDQ near-match over HTTP, one query a request: p50 ms; a sample's matches compared with a linear scan. */
async function pdqNear (c: Checker, stored: PdqValues): Promise<{ p50: number, sampled: number, mismatches: number }> {
  const times: number[] = []
  let mismatches = 0
  for (let i = 0; i < PDQ_QUERIES + 10; i++) {
    const q = pdqQuery(stored, i)
    const t0 = performance.now()
    const res = await check(c, [{ algorithm: 'pdq', value: Buffer.from(q).toString('hex') }])
    if (i >= 10) times.push(performance.now() - t0) // the first ten warm up
    if (i < PDQ_SAMPLE) {
      const got = res.results[0].matches.map(m => m.value).sort()
      const want: string[] = []
      for (let k = 0; k < stored.length; k++) if (distance(stored.at(k), q) <= PDQ_THRESHOLD) want.push(Buffer.from(stored.at(k)).toString('hex'))
      want.sort()
      if (got.join() !== [...new Set(want)].join()) mismatches++
    }
  }
  return { p50: median(times), sampled: PDQ_SAMPLE, mismatches }
}

async function exactRate (c: Checker, known: string[], seconds: number): Promise<number> {
  const bodies = Array.from({ length: 2000 }, (_, i) => JSON.stringify({ hashes: [{ algorithm: 'sha256', value: i % 10 === 0 ? known[i % known.length] : randomBytes(32).toString('hex') }] }))
  const run = async (s: number): Promise<autocannon.Result> => await autocannon({ url: c.url, connections: 32, duration: s, requests: bodies.map(b => ({ method: 'POST' as const, path: '/v1/check', headers: { authorization: `Bearer ${c.token}`, 'content-type': 'application/json' }, body: b })) })
  await run(1) // warm-up
  const r = await run(seconds)
  if (r.non2xx > 0 || r.errors > 0) throw new Error(`exact check: ${r.non2xx} non-2xx replies, ${r.errors} errors`)
  return r.requests.average
}

/** Seconds of `hashfed verify` on a stopped node, or null when this CLI has no such command. */
function verifySeconds (dir: string): number | null {
  const cli = resolve('dist/src/cli/main.js')
  // commander answers `verify --help` with the root help when there is no such command: read the command list
  const help = spawnSync(process.execPath, [cli, '--help'], { encoding: 'utf8' }).stdout ?? ''
  if (!/^ {2}verify\b/m.test(help)) return null
  const t0 = performance.now()
  const res = spawnSync(process.execPath, [cli, 'verify', '--dir', dir], { stdio: ['ignore', 'ignore', 'inherit'] })
  if (res.status !== 0) throw new Error(`hashfed verify exited with ${res.status}`)
  return (performance.now() - t0) / 1000
}

/** Cost per entry of one step: bytes of RSS, ms of load (wall, CPU), seconds of sync and verify. */
interface StepCost { n: number, label: string, rss: number, load: number, loadCpu: number, sync: number, verify?: number }

/**
 * Flat growth: each step's cost per entry over the first step's (1.0 = flat; within 20% counts
 * as flat). RSS is left out: its fixed part (the process, libp2p) dwarfs the entries at the
 * first step, so its cost per entry falls; it has its own goal (2 GiB at 10M).
 */
function flatness (costs: StepCost[]): Figure[] {
  const first = costs[0]
  const out: Figure[] = []
  for (const c of costs.slice(1)) {
    const kinds: Array<[string, number, number, string]> = [
      ['index load at start (wall)', c.load, first.load, `${(c.load * 1000).toFixed(2)} against ${(first.load * 1000).toFixed(2)} µs/entry`],
      ['index load at start (CPU)', c.loadCpu, first.loadCpu, `${(c.loadCpu * 1000).toFixed(2)} against ${(first.loadCpu * 1000).toFixed(2)} µs/entry`],
      ['initial sync', c.sync, first.sync, `${(c.sync * 1e6).toFixed(2)} against ${(first.sync * 1e6).toFixed(2)} µs/entry`],
      ['hashfed verify', c.verify ?? NaN, first.verify ?? NaN, `${((c.verify ?? NaN) * 1e6).toFixed(2)} against ${((first.verify ?? NaN) * 1e6).toFixed(2)} µs/entry`]
    ]
    for (const [what, now, was, beside] of kinds) {
      if (!Number.isFinite(now / was)) continue
      out.push({ scenario: SCENARIO, name: `${c.label}: ${what}, cost per entry over the ${first.label} step`, value: now / was, unit: 'x', goal: 1.2, better: 'lower', beside: `${beside}; flat is 1.0` })
    }
  }
  return out
}

export async function scale (args: BenchArgs, opts: { full: boolean, seconds: number }): Promise<Figure[]> {
  const steps = (opts.full ? [1_000_000, 2_000_000, 10_000_000] : [1_000_000, 2_000_000]).map(n => Math.max(10_000, Math.round(n * args.scale)))
  const root = await mkdtemp(join(tmpdir(), 'hashfed-bench-scale-'))
  const figures: Figure[] = []
  const limits = await measureLimits(args)
  try {
    // the list's node and one fresh node per step that syncs it (they dial it, it dials no one)
    const names = ['LIST', ...steps.map((_, i) => `FRESH${i + 1}`)]
    const members = await benchFederation(root, names, steps.map((_, i) => [i + 1, 0] as [number, number]))
    const list = members[0]
    const config = JSON.parse(await readFile(nodeDir(list.dir).config, 'utf8')) as { check: { rateLimit: number } }
    config.check.rateLimit = 1e9 // the benchmark measures the server, not the limiter
    await writeFile(nodeDir(list.dir).config, JSON.stringify(config))
    const written: Written = { pdq: new PdqValues(), sha256: [], bytes: 0 }
    let have = 0
    let firstRate = 0
    const costs: StepCost[] = []
    for (const [i, n] of steps.entries()) {
      const t0 = performance.now()
      await grow(list, have, n, written)
      have = n
      const label = `${(n / 1e6).toLocaleString('en-US')}M entries`
      console.log(`(scale: ${label} written in ${((performance.now() - t0) / 1000).toFixed(0)} s)`)
      // the list's node in its steady state: its HMA content-id rows written (as after its first
      // start), not a million of them being written in the background behind every step's figures
      await writeContentIds(list)
      const node = await startProcess(list)
      let fresh: NodeProcess | undefined
      try {
        const status = await (await fetch(`${node.api}/v1/match/status`)).json() as { loaded: { entries: number, ms: number, cpuMs?: number } }
        const rss = await rssMiB(node.child.pid as number)
        const { token } = await (await fetch(`${node.api}/v1/tokens`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: `bench-${i}` }) })).json() as { token: string }
        const runtime = JSON.parse(await readFile(nodeDir(list.dir).runtime, 'utf8')) as { checkUrl: string }
        const c = { url: runtime.checkUrl, token }
        const near = await pdqNear(c, written.pdq)
        if (near.mismatches > 0) throw new Error(`PDQ near-match differs from a linear scan on ${near.mismatches} of ${near.sampled} queries`)
        const threads = process.env.HASHFED_BENCH_THREADS === '1'
        const t0s = threads ? [await threadCpu(node.child.pid as number), await threadCpu(process.pid)] : []
        const rate = await exactRate(c, written.sha256, opts.seconds)
        if (threads) console.log(`(scale: ${label}: exact check CPU ms by thread: node: ${threadDelta(t0s[0], await threadCpu(node.child.pid as number))}; bench: ${threadDelta(t0s[1], await threadCpu(process.pid))})`)
        if (i === 0) firstRate = rate
        // initial sync of the whole store to a fresh node
        // timed from the fresh process's start-up, as the initial-sync scenario does
        fresh = await startProcess(members[i + 1])
        const s0 = performance.now()
        const cpu0 = await cpuMs(fresh.child.pid as number)
        const th0 = threads ? await threadCpu(fresh.child.pid as number) : undefined
        while (await originEntries(fresh.api, list.peerId) < n) {
          await sleep(50)
          if (performance.now() - s0 > 3_600_000) throw new Error('initial sync stalled')
        }
        const syncS = (performance.now() - s0) / 1000
        // on a loaded machine the wall time is mostly waiting: the receiver's own CPU beside it
        const syncCpuS = (await cpuMs(fresh.child.pid as number) - cpu0) / 1000
        if (th0 !== undefined) console.log(`(scale: ${label}: initial sync, receiver CPU ms by thread: ${threadDelta(th0, await threadCpu(fresh.child.pid as number))})`)
        const perEntry = written.bytes / n
        const limit = Math.min(limits.channelBytesPerSecond / perEntry, limits.storeEntriesPerSecond)
        // the issue's goals are for the full 10M store; smaller steps show the cost per entry
        const atTen = n >= 10_000_000
        const us = (s: number): string => `${(s * 1e6 / n).toFixed(2)} µs/entry`
        costs.push({ n, label, rss: rss * 2 ** 20 / n, load: status.loaded.ms / n, loadCpu: (status.loaded.cpuMs ?? NaN) / n, sync: syncS / n })
        figures.push(
          { scenario: SCENARIO, name: `${label}: node RSS after start`, value: rss, unit: 'MiB', ...(atTen ? { goal: 2048, better: 'lower' as const } : {}), beside: `${(rss * 2 ** 20 / n).toFixed(0)} B/entry (goal 2 GiB at 10M)` },
          { scenario: SCENARIO, name: `${label}: index load at start`, value: status.loaded.ms / 1000, unit: 's', ...(atTen ? { goal: 15, better: 'lower' as const } : {}), beside: `${us(status.loaded.ms / 1000)}; ${status.loaded.cpuMs === undefined ? '' : `CPU ${(status.loaded.cpuMs / 1000).toFixed(1)} s (${us(status.loaded.cpuMs / 1000)}); `}${status.loaded.entries.toLocaleString('en-US')} loaded (goal 15 s at 10M)` },
          { scenario: SCENARIO, name: `${label}: PDQ near-match over HTTP, p50 (${written.pdq.length.toLocaleString('en-US')} PDQ)`, value: near.p50, unit: 'ms', goal: 5, better: 'lower', beside: `${PDQ_QUERIES} queries, half near a stored hash; ${near.sampled} equal a linear scan` },
          { scenario: SCENARIO, name: `${label}: exact check over HTTP, batch of 1`, value: rate, unit: 'req/s', ...(i > 0 ? { goal: 0.9 * firstRate, better: 'higher' as const } : {}), beside: i > 0 ? `${(rate / firstRate).toFixed(2)}x the ${(steps[0] / 1e6).toLocaleString('en-US')}M step; goal within 10%` : '32 connections, 10% known' },
          { scenario: SCENARIO, name: `${label}: initial sync to a fresh node`, value: syncS, unit: 's', beside: `${us(syncS)}; receiver CPU ${syncCpuS.toFixed(1)} s (${us(syncCpuS)})` },
          { scenario: SCENARIO, name: `${label}: initial sync, ratio to min(channel, LevelDB)`, value: n / syncS / limit, unit: '', goal: 0.5, better: 'higher', beside: `channel ${Math.round(limits.channelBytesPerSecond / perEntry).toLocaleString('en-US')}/s at ${perEntry.toFixed(1)} B/entry, LevelDB ${Math.round(limits.storeEntriesPerSecond).toLocaleString('en-US')}/s` }
        )
      } finally {
        await fresh?.stop()
        await node.stop()
      }
      const v = verifySeconds(list.dir)
      if (v === null) console.log(`(scale: ${label}: \`hashfed verify\` is not in this CLI; its time is not measured)`)
      else figures.push({ scenario: SCENARIO, name: `${label}: hashfed verify`, value: v, unit: 's', beside: `${(v * 1e6 / n).toFixed(2)} µs/entry` })
      costs[costs.length - 1].verify = v === null ? NaN : v / n
      await rm(members[i + 1].dir, { recursive: true, force: true }) // the fresh copy is no longer needed
    }
    figures.push(...flatness(costs))
    return figures
  } finally {
    await rm(root, { recursive: true, force: true })
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = benchArgs({ full: { type: 'boolean', default: false }, seconds: { type: 'string', default: '10' } })
  report(args, await scale(args, { full: args.values.full === true, seconds: Math.max(1, Number(args.values.seconds)) }))
}
