// Scenario: latency between countries (issue 20, goal 6). Every link goes through the
// user-space delay proxy (delay-proxy.ts), each direction held for RTT/2:
//   1. initial sync of 100k entries to a fresh node, loopback (proxy at 0 ms) beside the RTT;
//   2. publish-to-stored of 1,000 new entries, 20 runs through the proxy at 0 ms (the transfer
//      and processing time) and then at the RTT: p50/p99 in ms and in round trips, and the max
//      (a stall shows there);
//   3. convergence on the 10-process degree-3 topology of `convergence`, every link delayed
//      `--link-ms` each way, in round trips of one link.
//
//   node dist/scripts/bench/wan.js [--scale 0.01] [--rtt 100] [--runs 20] [--link-ms 50] [--trace]
//
// --trace prints, for the first delayed run, every chunk the proxy passed (time in round trips,
// direction, bytes): which messages cost the round trips.
import '../../src/polyfill.js'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import { setTimeout as sleep } from 'node:timers/promises'
import { HashfedNode } from '../../src/daemon/hashfed-node.js'
import { createLogger } from '../../src/util/logger.js'
import { nodeDir } from '../../src/config/node-dir.js'
import { loadFederation, saveFederation, withMember } from '../../src/config/federation.js'
import { benchArgs, median, percentile, report, type BenchArgs, type Figure } from './bench-kit.js'
import { benchFederation, populate, startProcess, type BenchMember, type NodeProcess } from './bench-federation.js'
import { proxyProcess, type ProxyProcess, type TraceEvent } from './delay-proxy.js'
import { degree3Topology, publishBatches, waitForLinks } from './convergence.js'

const SCENARIO = 'wan'
const NEW_ENTRIES = 1000
/** a run not stored by then is a stall, counted at this value */
const STALL_MS = 60_000

/** Writes `target`'s address into `holder`'s federation file as the proxy port (holder not running). */
async function listVia (holder: BenchMember, target: BenchMember, port: number): Promise<void> {
  const path = nodeDir(holder.dir).federation
  const fed = await loadFederation(path)
  const entry = fed.members.find(e => e.peerId === target.peerId)
  if (entry === undefined) throw new Error(`${holder.name} does not list ${target.name}`)
  await saveFederation(path, withMember(fed, { ...entry, addresses: [`/ip4/127.0.0.1/tcp/${port}`] }))
}

function port (node: HashfedNode): string {
  const p = /\/tcp\/(\d+)/.exec(node.listenAddresses().find(a => a.includes('/tcp/')) ?? '')?.[1]
  if (p === undefined) throw new Error('node has no TCP address')
  return `127.0.0.1:${p}`
}

async function waitSynced (b: HashfedNode, origin: string, seq: number): Promise<void> {
  const start = performance.now()
  while ((b.hashLog.head(origin)?.seq ?? 0) < seq) {
    if (performance.now() - start > 600_000) throw new Error(`sync stalled at ${b.hashLog.head(origin)?.seq ?? 0} of ${seq}`)
    await sleep(10)
  }
}

/** Publishes 1,000 entries at `a` `runs` times; ms from append to stored at `b`, each run. */
async function publishRuns (a: HashfedNode, b: HashfedNode, runs: number, onFirst?: () => Promise<void>): Promise<number[]> {
  const origin = a.ctx.identity.peerId.toString()
  const times: number[] = []
  for (let run = 0; run < runs; run++) {
    const seq = (b.hashLog.head(origin)?.seq ?? 0) + 1
    let off = (): void => {}
    const stored = new Promise<number>((resolve) => {
      const on = (e: { origin: string, seq: number }): void => { if (e.origin === origin && e.seq === seq) resolve(performance.now()) }
      b.hashLog.on('batch', on)
      off = () => b.hashLog.off('batch', on)
    })
    const values = randomBytes(32 * NEW_ENTRIES)
    const items = Array.from({ length: NEW_ENTRIES }, (_, i) => ({ op: 'add' as const, record: { algorithm: 'sha256' as const, value: values.subarray(i * 32, i * 32 + 32), classification: 'baseline' as const } }))
    const t0 = performance.now()
    await a.hashLog.append(a.ctx.identity, items)
    const ms = await Promise.race([stored.then(t => t - t0), sleep(STALL_MS).then(() => STALL_MS)])
    off()
    times.push(ms)
    if (run === 0) await onFirst?.()
    // the sessions this run opened finish before the next one starts, as in incremental sync
    await b.replicator.idle()
    await a.replicator.idle()
    await sleep(50)
  }
  return times
}

/** The proxy's record of one run, one line per chunk, in round trips from the append. */
function printTrace (trace: TraceEvent[], rttMs: number, aPort: number): void {
  console.log(`\nproxy trace of the first delayed run (t in round trips of ${rttMs} ms, when the chunk entered the proxy; B dials A):`)
  for (const e of trace) {
    const who = e.dir === 'up' ? 'B → A' : 'A → B'
    console.log(`  t=${(e.t / rttMs).toFixed(2)} RT  ${who}  ${e.bytes} B${e.port !== aPort ? ` (port ${e.port})` : ''}`)
  }
}

async function twoNodes (args: BenchArgs, rttMs: number, runs: number, trace: boolean): Promise<Figure[]> {
  const root = await mkdtemp(join(tmpdir(), 'hashfed-bench-wan-'))
  const quiet = createLogger({}, { write: () => {} } as never)
  const entries = Math.max(10_000, Math.round(100_000 * args.scale))
  let proxy: ProxyProcess | undefined
  const nodes: HashfedNode[] = []
  try {
    // A publishes; B (loopback) and C (through the delay) dial A, A dials no one
    const [ma, mb, mc] = await benchFederation(root, ['A', 'B', 'C'], [[1, 0], [2, 0]])
    await populate(ma, entries)
    const a = await HashfedNode.start({ dir: ma.dir, logger: quiet })
    nodes.push(a)
    const origin = ma.peerId
    const head = a.hashLog.head(origin)?.seq ?? 0
    proxy = await proxyProcess(0)
    const proxyPort = await proxy.listen(port(a))

    const initial = async (m: BenchMember): Promise<{ node: HashfedNode, seconds: number }> => {
      await listVia(m, ma, proxyPort)
      const t0 = performance.now()
      const node = await HashfedNode.start({ dir: m.dir, logger: quiet })
      nodes.push(node)
      await waitSynced(node, origin, head)
      return { node, seconds: (performance.now() - t0) / 1000 }
    }
    const loop = await initial(mb)
    await loop.node.stop()
    nodes.splice(nodes.indexOf(loop.node), 1)
    await proxy.setDelay(rttMs / 2)
    const far = await initial(mc)
    const c = far.node
    await sleep(300) // the opening sessions and identify settle

    await proxy.setDelay(0)
    const near = await publishRuns(a, c, runs)
    await proxy.setDelay(rttMs / 2)
    await sleep(rttMs)
    let traced: TraceEvent[] = []
    if (trace) await proxy.startTrace()
    const delayed = await publishRuns(a, c, runs, async () => { if (trace) traced = await proxy!.takeTrace() })
    if (trace) printTrace(traced, rttMs, proxyPort)

    const n = entries.toLocaleString('en-US')
    const rt = (ms: number): string => `${(ms / rttMs).toFixed(2)} round trips`
    const transfer = median(near)
    return [
      { scenario: SCENARIO, name: `initial sync of ${n} entries, loopback through the proxy`, value: loop.seconds, unit: 's' },
      { scenario: SCENARIO, name: `initial sync of ${n} entries, RTT ${rttMs} ms`, value: far.seconds, unit: 's', beside: `${(far.seconds / loop.seconds).toFixed(2)}x loopback` },
      { scenario: SCENARIO, name: `1,000 new entries, loopback through the proxy: publish to stored, p50 (${runs} runs)`, value: transfer, unit: 'ms', beside: 'transfer and processing time' },
      { scenario: SCENARIO, name: `1,000 new entries, RTT ${rttMs} ms: publish to stored, p50 (${runs} runs)`, value: median(delayed), unit: 'ms', goal: 2 * rttMs + transfer, better: 'lower', beside: `${rt(median(delayed))}; goal 2 RT + loopback p50` },
      { scenario: SCENARIO, name: `1,000 new entries, RTT ${rttMs} ms: publish to stored, p99`, value: percentile(delayed, 99), unit: 'ms', goal: 3 * rttMs, better: 'lower', beside: rt(percentile(delayed, 99)) },
      { scenario: SCENARIO, name: `1,000 new entries, RTT ${rttMs} ms: publish to stored, max (stall detection)`, value: Math.max(...delayed), unit: 'ms', goal: 3 * rttMs, better: 'lower', beside: `${rt(Math.max(...delayed))}; runs: ${delayed.map(t => Math.round(t)).join(' ')}` }
    ]
  } finally {
    await Promise.all(nodes.map(async n => await n.stop()))
    await proxy?.close()
    await rm(root, { recursive: true, force: true })
  }
}

/** `convergence` with every link through the proxy, `linkMs` each way; figures in link round trips. */
async function wanConvergence (nodes: number, batches: number, linkMs: number): Promise<Figure[]> {
  const root = await mkdtemp(join(tmpdir(), 'hashfed-bench-wanconv-'))
  const procs: NodeProcess[] = []
  let proxy: ProxyProcess | undefined
  try {
    const links = degree3Topology(nodes)
    // nobody learns a real address: every dial goes through the proxy, lower index dials higher
    const members = await benchFederation(root, Array.from({ length: nodes }, (_, i) => `N${i}`), [])
    for (const m of members) procs.push(await startProcess(m))
    proxy = await proxyProcess(linkMs)
    const ports: number[] = []
    // startProcess recorded each node's real libp2p port
    for (const m of members) ports.push(await proxy.listen(`127.0.0.1:${m.port}`))
    for (const [a, b] of links) {
      if (a > b) continue
      const m = members[b]
      const res = await fetch(`${procs[a].api}/v1/federation/members`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-hashfed-request': '1' }, body: JSON.stringify({ name: m.name, peerId: m.peerId, countries: m.countries, addresses: [`/ip4/127.0.0.1/tcp/${ports[b]}`] }) })
      if (!res.ok) throw new Error(`setting ${m.name}'s proxy address at N${a}: ${await res.text()}`)
    }
    await waitForLinks(procs, links)
    const times = await publishBatches(procs, members[0].peerId, batches)
    const rtt = 2 * linkMs
    return [
      { scenario: SCENARIO, name: `convergence, ${nodes} processes, degree 3, ${linkMs} ms each way per link: p50`, value: median(times) / rtt, unit: 'link RTs', beside: `${Math.round(median(times))} ms` },
      { scenario: SCENARIO, name: `convergence, ${nodes} processes, degree 3, ${linkMs} ms each way per link: p99 (${batches} batches)`, value: percentile(times, 99) / rtt, unit: 'link RTs', beside: `${Math.round(percentile(times, 99))} ms` }
    ]
  } finally {
    await Promise.all(procs.map(async p => await p.stop()))
    await proxy?.close()
    await rm(root, { recursive: true, force: true })
  }
}

export async function wan (args: BenchArgs, opts: { rttMs: number, runs: number, linkMs: number, nodes: number, batches: number, trace: boolean }): Promise<Figure[]> {
  return [
    ...await twoNodes(args, opts.rttMs, opts.runs, opts.trace),
    ...await wanConvergence(opts.nodes, opts.batches, opts.linkMs)
  ]
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = benchArgs({ rtt: { type: 'string', default: '100' }, runs: { type: 'string', default: '20' }, 'link-ms': { type: 'string', default: '50' }, nodes: { type: 'string', default: '10' }, batches: { type: 'string', default: '20' }, trace: { type: 'boolean', default: false } })
  const v = args.values
  report(args, await wan(args, { rttMs: Number(v.rtt), runs: Number(v.runs), linkMs: Number(v['link-ms']), nodes: Number(v.nodes), batches: Number(v.batches), trace: v.trace === true }))
}
