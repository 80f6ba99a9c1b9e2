// Scenario 4: 10 nodes as separate `hashfed start` processes in a connected random topology
// of degree 3 (a ring plus random chords); time from publishing a batch at one node until
// every node holds it (verified and stored), p50/p99 over 20 batches; beside it the yardstick,
// gossipsub with its default parameters on the same topology and message size (gossip-yardstick.ts).
//
//   node dist/scripts/bench/convergence.js [--scale 0.5] [--nodes 10] [--batches 20]
import '../../src/polyfill.js'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import { setTimeout as sleep } from 'node:timers/promises'
import { benchArgs, median, percentile, processCpuMs, report, type BenchArgs, type Figure } from './bench-kit.js'
import { benchFederation, startProcess, type NodeProcess } from './bench-federation.js'
import { gossipsubConvergence } from './gossip-yardstick.js'
import { generateIdentityKey, identityFromKeyBytes } from '../../src/identity/identity.js'
import { buildBatch } from '../../src/log/batch.js'
import { entryToProto } from '../../src/log/entry-codec.js'

/** entries per published batch (the yardstick's messages have the signed batch's size) */
const BATCH_ENTRIES = 100

/** Ring plus a random perfect matching of chords: connected, every node of degree 3 (n even). */
export function degree3Topology (n: number, seed = Date.now()): Array<[number, number]> {
  let x = seed >>> 0
  const rand = (): number => { x = (x * 1664525 + 1013904223) >>> 0; return x / 2 ** 32 }
  const edges = new Set<string>()
  for (let i = 0; i < n; i++) edges.add([i, (i + 1) % n].sort((a, b) => a - b).join('-'))
  for (let attempt = 0; attempt < 1000; attempt++) {
    const order = Array.from({ length: n }, (_, i) => i).sort(() => rand() - 0.5)
    const chords: string[] = []
    for (let i = 0; i + 1 < n; i += 2) chords.push([order[i], order[i + 1]].sort((a, b) => a - b).join('-'))
    if (chords.every(c => !edges.has(c)) && new Set(chords).size === chords.length) {
      chords.forEach(c => edges.add(c))
      break
    }
  }
  return [...edges].flatMap(e => { const [a, b] = e.split('-').map(Number); return [[a, b], [b, a]] as Array<[number, number]> })
}

const began = performance.now()
function debug (what: string): void {
  if (process.env.HASHFED_BENCH_DEBUG !== undefined) console.log(`(${((performance.now() - began) / 1000).toFixed(1)} s: ${what})`)
}

/** Waits until every process is connected to all its neighbours in `links`. */
export async function waitForLinks (procs: NodeProcess[], links: Array<[number, number]>): Promise<void> {
  for (let i = 0; i < 600; i++) {
    const peers = await Promise.all(procs.map(async p => await fetch(`${p.api}/v1/status`).then(async r => await r.json() as { members: Array<{ connected: boolean }> })))
    if (peers.every((s, k) => s.members.filter(m => m.connected).length >= links.filter(([a]) => a === k).length)) return
    await sleep(100)
  }
  throw new Error('the topology did not connect')
}

/** Imports `batches` batches of 100 entries at procs[0]; per batch, ms until every other process held it. */
export async function publishBatches (procs: NodeProcess[], origin: string, batches: number): Promise<number[]> {
  const times: number[] = []
  for (let k = 1; k <= batches; k++) {
    const list = Array.from({ length: BATCH_ENTRIES }, () => randomBytes(32).toString('hex')).join('\n') + '\n'
    const waits = procs.slice(1).map(async p => {
      const r = await fetch(`${p.api}/v1/sync/wait?origin=${origin}&seq=${k}&timeoutMs=60000`).then(async res => await res.json() as { reached: boolean })
      if (!r.reached) throw new Error(`a node did not receive batch ${k}`)
      return performance.now()
    })
    await sleep(20) // the waits are registered
    const t0 = performance.now()
    // the admin API takes the list's bytes (never a path), as the CLI sends them
    const res = await fetch(`${procs[0].api}/v1/hashes/import?format=lines`, { method: 'POST', headers: { 'content-type': 'application/octet-stream', 'x-hashfed-request': '1' }, body: list })
    if (!res.ok) throw new Error(`import of batch ${k} failed: ${await res.text()}`)
    await res.text()
    const tImport = performance.now()
    const done = await Promise.all(waits)
    times.push(Math.max(...done) - t0)
    if (process.env.HASHFED_BENCH_DEBUG !== undefined) console.log(`import ${Math.round(tImport - t0)} ms; arrivals ${done.map(t => Math.round(t - t0)).sort((a, b) => a - b).join(' ')}`)
  }
  return times
}

/** Bytes of one signed batch of BATCH_ENTRIES SHA-256 entries: the size the yardstick publishes. */
async function batchBytes (): Promise<number> {
  const identity = identityFromKeyBytes(await generateIdentityKey())
  const values = randomBytes(32 * BATCH_ENTRIES)
  const entries = Array.from({ length: BATCH_ENTRIES }, (_, i) => entryToProto({ op: 'add', record: { algorithm: 'sha256', value: values.subarray(i * 32, i * 32 + 32), classification: 'baseline' } }))
  return buildBatch({ identity, seq: 1, prevHash: new Uint8Array(), entries }).signed.length
}

export async function convergence (args: BenchArgs, nodes = 10, batches = 20): Promise<Figure[]> {
  const root = await mkdtemp(join(tmpdir(), 'hashfed-bench-conv-'))
  const procs: NodeProcess[] = []
  const links = degree3Topology(nodes)
  let times: number[]
  let cpuMs = 0
  try {
    const members = await benchFederation(root, Array.from({ length: nodes }, (_, i) => `N${i}`), links)
    for (const m of members) procs.push(await startProcess(m))
    debug('hashfed processes started')
    await waitForLinks(procs, links)
    debug('hashfed topology connected')
    const cpu0 = procs.reduce((sum, p) => sum + processCpuMs(p.child.pid), 0)
    debug(`publishing from monotonic ${process.hrtime.bigint() / 1000n} µs`)
    times = await publishBatches(procs, members[0].peerId, batches)
    debug(`published until monotonic ${process.hrtime.bigint() / 1000n} µs`)
    cpuMs = procs.reduce((sum, p) => sum + processCpuMs(p.child.pid), 0) - cpu0
  } finally {
    await Promise.all(procs.map(async p => await p.stop()))
    debug('hashfed processes stopped')
    await rm(root, { recursive: true, force: true })
  }
  // the yardstick after hashfed's processes are gone: the same topology and message size
  const size = await batchBytes()
  const { times: gossip, cpuMs: gossipCpuMs } = await gossipsubConvergence(links, nodes, batches, size)
  debug('gossipsub yardstick done')
  const g99 = percentile(gossip, 99)
  const name = `${nodes} processes, degree 3`
  return [
    { scenario: 'convergence', name: `${name}: publish to verified and stored by all, p50`, value: median(times), unit: 'ms', beside: `gossipsub p50 ${median(gossip).toFixed(0)} ms` },
    { scenario: 'convergence', name: `${name}: publish to verified and stored by all, p99 (${batches} batches)`, value: percentile(times, 99), unit: 'ms', goal: 300, better: 'lower', beside: `gossipsub p99 ${g99.toFixed(0)} ms` },
    { scenario: 'convergence', name: `${name}: p99 ratio to gossipsub p99 (yardstick)`, value: percentile(times, 99) / g99, unit: 'x', goal: 1, better: 'lower' },
    { scenario: 'convergence', name: `gossipsub (default parameters, ${size} B messages): publish to delivered at all, p50`, value: median(gossip), unit: 'ms', beside: 'yardstick, same topology' },
    { scenario: 'convergence', name: `gossipsub (default parameters, ${size} B messages): publish to delivered at all, p99`, value: g99, unit: 'ms', beside: 'yardstick, same topology' },
    // wall times on a shared machine follow its load; the CPU all processes spent per batch does not
    { scenario: 'convergence', name: `${name}: CPU of all ${nodes} processes per batch (publish, relay, verify, store, the benchmark's HTTP calls)`, value: cpuMs / batches, unit: 'ms', beside: `gossipsub ${(gossipCpuMs / batches).toFixed(0)} ms per message` },
    { scenario: 'convergence', name: `gossipsub: CPU of all ${nodes} processes per message`, value: gossipCpuMs / batches, unit: 'ms', beside: 'yardstick, same topology' }
  ]
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = benchArgs({ nodes: { type: 'string', default: '10' }, batches: { type: 'string', default: '20' } })
  report(args, await convergence(args, Number(args.values.nodes), Number(args.values.batches)))
}
