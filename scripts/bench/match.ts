// Match index benchmark (issue 9, scenarios 5-7 in process): exact lookups/s at 1M SHA-256
// entries beside a JS Map alternative, PDQ near-match per query at 1M hashes beside a linear
// scan in the same run, recall, build rates and memory.
//
//   node dist/scripts/bench/match.js [--scale 0.01] [--queries 100] [--rounds 5] [--json results.jsonl]
//
// Each part runs in its own child process so its memory figures are its own.
import { spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { appendFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { createMatchIndex } from '../../src/match/match-index.js'
import { popcount32 } from '../../src/hashing/hamming.js'

const FULL = 1_000_000
const MB = 1024 * 1024

interface Figures { [name: string]: number | string | boolean }

const { values: args } = parseArgs({
  options: {
    scale: { type: 'string', default: '1' },
    queries: { type: 'string', default: '100' },
    rounds: { type: 'string', default: '5' },
    json: { type: 'string' },
    part: { type: 'string' }
  }
})
const scale = Number(args.scale)
if (!(scale > 0 && scale <= 1)) throw new Error('--scale must be in (0, 1]')
const entries = Math.max(1000, Math.round(FULL * scale))
const queries = Math.max(10, Number(args.queries))
const rounds = Math.max(1, Number(args.rounds))

function gc (): void {
  const collect = (globalThis as { gc?: () => void }).gc
  if (collect !== undefined) { collect(); collect() }
}

function memory (): { rss: number, heap: number, external: number } {
  gc()
  const m = process.memoryUsage()
  // `external` includes array buffers: typed arrays live there, outside the JS heap
  return { rss: m.rss / MB, heap: m.heapUsed / MB, external: m.external / MB }
}

/** Times `fn` over `count` operations; returns operations per second. */
function rate (count: number, fn: () => void): { perSecond: number, ms: number } {
  const start = performance.now()
  fn()
  const ms = performance.now() - start
  return { perSecond: count / (ms / 1000), ms }
}

function median (xs: number[]): number {
  const sorted = [...xs].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]
}

function origins (n: number): string[] {
  return Array.from({ length: n }, (_, i) => `12D3KooWOrigin${String(i).padStart(38, 'x')}`)
}

/** Exact index at `entries` SHA-256 values from 10 origins (5% vouched by two). */
function partExact (): Figures {
  const names = origins(10)
  const input = randomBytes(entries * 32)
  const value = (i: number): Uint8Array => input.subarray(i * 32, i * 32 + 32)
  const before = memory()
  const index = createMatchIndex()
  const build = rate(entries, () => {
    for (let i = 0; i < entries; i++) {
      index.add(names[i % 10], 'sha256', value(i), 1 + (i >> 10))
      if (i % 20 === 0) index.add(names[(i + 1) % 10], 'sha256', value(i), 1)
    }
  })
  const after = memory()
  // query values made before timing, each its own copy as a parsed request would be (views
  // into the input would add a cache miss per query that belongs to the bench, not the index)
  const missBytes = randomBytes(FULL * 32)
  const hitQueries = Array.from({ length: FULL }, () => Uint8Array.from(value(Math.floor(Math.random() * entries))))
  const missQueries = Array.from({ length: FULL }, (_, i) => missBytes.subarray(i * 32, i * 32 + 32))
  let found = 0
  for (let i = 0; i < 50_000; i++) found += index.lookup('sha256', hitQueries[i]).length // warm-up
  const hits = rate(FULL, () => { for (let i = 0; i < FULL; i++) found += index.lookup('sha256', hitQueries[i]).length })
  const missRate = rate(FULL, () => { for (let i = 0; i < FULL; i++) found += index.lookup('sha256', missQueries[i]).length })
  if (found < FULL) throw new Error('lookups did not find the stored values')
  return {
    entries,
    buildPerSecond: build.perSecond,
    hitLookupsPerSecond: hits.perSecond,
    missLookupsPerSecond: missRate.perSecond,
    indexMB: after.rss - before.rss,
    indexHeapMB: after.heap - before.heap,
    indexExternalMB: after.external - before.external,
    rssMB: after.rss
  }
}

/** The alternative: a JS Map keyed by the value as a binary string, an object per reference. */
function partExactMap (): Figures {
  const names = origins(10)
  const input = randomBytes(entries * 32)
  const value = (i: number): Buffer => input.subarray(i * 32, i * 32 + 32)
  const before = memory()
  const map = new Map<string, Array<{ origin: string, seq: number }>>()
  const build = rate(entries, () => {
    for (let i = 0; i < entries; i++) {
      const key = value(i).toString('latin1')
      const refs = map.get(key)
      if (refs === undefined) map.set(key, [{ origin: names[i % 10], seq: 1 + (i >> 10) }])
      else refs.push({ origin: names[i % 10], seq: 1 })
      if (i % 20 === 0) map.get(key)?.push({ origin: names[(i + 1) % 10], seq: 1 })
    }
  })
  const after = memory()
  const hitQueries = Array.from({ length: FULL }, () => Buffer.from(value(Math.floor(Math.random() * entries))))
  let found = 0
  for (let i = 0; i < 50_000; i++) found += map.get(hitQueries[i].toString('latin1'))?.length ?? 0
  const hits = rate(FULL, () => {
    for (let i = 0; i < FULL; i++) found += (map.get(hitQueries[i].toString('latin1')) ?? []).map(r => ({ origin: r.origin, seq: r.seq })).length
  })
  if (found < FULL) throw new Error('lookups did not find the stored values')
  return {
    entries,
    buildPerSecond: build.perSecond,
    hitLookupsPerSecond: hits.perSecond,
    indexMB: after.rss - before.rss,
    indexHeapMB: after.heap - before.heap,
    rssMB: after.rss
  }
}

function flipDistinct (v: Uint8Array, bits: number): Uint8Array {
  const out = Uint8Array.from(v)
  const positions = Array.from({ length: 256 }, (_, i) => i)
  for (let i = 0; i < bits; i++) {
    const j = i + Math.floor(Math.random() * (256 - i))
    const b = positions[j]; positions[j] = positions[i]; positions[i] = b
    out[b >> 3] ^= 1 << (b & 7)
  }
  return out
}

/** A fair baseline: all hashes packed in one typed array, scanned with an early-exit popcount. */
function linearScan (packed: Uint32Array, count: number, query: Uint8Array, max: number): Array<[number, number]> {
  const q = new Uint32Array(Uint8Array.from(query).buffer)
  const out: Array<[number, number]> = []
  for (let i = 0; i < count; i++) {
    const o = i * 8
    let d = 0
    for (let w = 0; w < 8 && d <= max; w++) d += popcount32(q[w] ^ packed[o + w])
    if (d <= max) out.push([i, d])
  }
  return out
}

/** PDQ near-match at `entries` random hashes with 3 planted near duplicates per query. */
function partNear (): Figures {
  const names = origins(4)
  const values: Uint8Array[] = Array.from({ length: entries }, () => randomBytes(32))
  const bases = Array.from({ length: queries }, () => randomBytes(32))
  const planted = new Map<string, number>() // hex -> query
  const slots = new Set<number>()
  bases.forEach((base, q) => {
    // one exactly at the threshold, two anywhere below it
    for (const d of [31, 1 + Math.floor(Math.random() * 30), Math.floor(Math.random() * 31)]) {
      let slot: number
      do slot = Math.floor(Math.random() * entries); while (slots.has(slot))
      slots.add(slot)
      values[slot] = flipDistinct(base, d)
      planted.set(Buffer.from(values[slot]).toString('hex'), q)
    }
  })
  const packed = new Uint32Array(entries * 8)
  values.forEach((v, i) => packed.set(new Uint32Array(Uint8Array.from(v).buffer), i * 8))

  const before = memory()
  const index = createMatchIndex()
  const add = rate(entries, () => { values.forEach((v, i) => index.add(names[i % 4], 'pdq', v, 1)) })
  const optimize = rate(entries, () => index.optimize())
  const after = memory()

  const results: Figures = {
    entries,
    queries,
    rounds,
    addPerSecond: add.perSecond,
    optimizeMs: optimize.ms,
    indexMB: after.rss - before.rss,
    indexHeapMB: after.heap - before.heap,
    indexExternalMB: after.external - before.external,
    rssMB: after.rss
  }
  const warmUp = Array.from({ length: 20 }, () => randomBytes(32))
  for (const threshold of [31, 40]) {
    // untimed first queries: JIT compilation and first touch of the tables
    for (const b of warmUp) { index.near('pdq', b, threshold); linearScan(packed, entries, b, threshold) }
    // several rounds, median per method: a shared machine's bursts hit one round, not all
    let indexHits: string[][] = []
    let linearHits: string[][] = []
    const indexMs: number[] = []
    const linearMs: number[] = []
    for (let round = 0; round < rounds; round++) {
      indexMs.push(rate(queries, () => { indexHits = bases.map(b => index.near('pdq', b, threshold).map(m => `${Buffer.from(m.value).toString('hex')}@${m.distance}`)) }).ms)
      linearMs.push(rate(queries, () => {
        linearHits = bases.map(b => linearScan(packed, entries, b, threshold).map(([i, d]) => `${Buffer.from(values[i]).toString('hex')}@${d}`))
      }).ms)
    }
    const timed = { ms: median(indexMs) }
    const linear = { ms: median(linearMs) }
    let equal = true
    let linearTotal = 0
    let agreed = 0
    indexHits.forEach((hits, q) => {
      const expected = new Set(linearHits[q])
      const got = new Set(hits)
      linearTotal += expected.size
      for (const h of expected) if (got.has(h)) agreed++
      if (got.size !== expected.size || hits.length !== got.size) equal = false
    })
    let plantedFound = 0
    indexHits.forEach((hits, q) => { for (const h of hits) if (planted.get(h.split('@')[0]) === q) plantedFound++ })
    if (threshold === 31) results.plantedRecall = plantedFound / (queries * 3)
    results[`r${threshold}IndexMsPerQuery`] = timed.ms / queries
    results[`r${threshold}LinearMsPerQuery`] = linear.ms / queries
    results[`r${threshold}Speedup`] = linear.ms / timed.ms
    results[`r${threshold}RecallVsLinear`] = linearTotal === 0 ? 1 : agreed / linearTotal
    results[`r${threshold}EqualsLinear`] = equal && agreed === linearTotal
  }
  return results
}

function runPart (part: string): Figures {
  const self = fileURLToPath(import.meta.url)
  const child = spawnSync(process.execPath, ['--expose-gc', '--max-old-space-size=4096', self, '--part', part, '--scale', String(scale), '--queries', String(queries), '--rounds', String(rounds)], {
    encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 16 * MB
  })
  if (child.status !== 0) throw new Error(`part ${part} failed with status ${String(child.status)}`)
  return JSON.parse(child.stdout.trim().split('\n').pop() as string)
}

const fmt = (n: number | string | boolean, digits = 1): string => typeof n === 'number' ? n.toLocaleString('en-US', { maximumFractionDigits: digits }) : String(n)

function main (): void {
  if (args.part !== undefined) {
    const parts: Record<string, () => Figures> = { exact: partExact, 'exact-map': partExactMap, near: partNear }
    process.stdout.write(JSON.stringify(parts[args.part]()) + '\n')
    return
  }
  console.error(`match index benchmark: ${entries.toLocaleString('en-US')} entries, ${queries} near queries x ${rounds} rounds (scale ${scale})`)
  const exact = runPart('exact')
  const map = runPart('exact-map')
  const near = runPart('near')
  const n = fmt(entries, 0)
  const rows: Array<[string, string, string, string]> = [
    [`exact lookups/s at ${n} SHA-256 (hits)`, '>= 500,000', fmt(exact.hitLookupsPerSecond, 0), fmt(Number(exact.hitLookupsPerSecond) / 500_000, 2) + 'x'],
    ['exact lookups/s (misses)', '', fmt(exact.missLookupsPerSecond, 0), ''],
    ['  alternative: JS Map lookups/s (hits)', '', fmt(map.hitLookupsPerSecond, 0), ''],
    ['exact build entries/s', '', fmt(exact.buildPerSecond, 0), ''],
    ['  alternative: JS Map build entries/s', '', fmt(map.buildPerSecond, 0), ''],
    ['exact index memory MB (RSS delta)', '', fmt(exact.indexMB), ''],
    ['  of which JS heap / typed arrays MB', '', `${fmt(exact.indexHeapMB)} / ${fmt(exact.indexExternalMB)}`, ''],
    ['  alternative: JS Map memory MB (RSS delta)', '', fmt(map.indexMB), ''],
    ['  of which JS heap MB', '', fmt(map.indexHeapMB), ''],
    [`process RSS MB with ${n} SHA-256 + index`, '<= 400', fmt(exact.rssMB), fmt(Number(exact.rssMB) / 400, 2) + ' of goal'],
    [`PDQ near r=31 index ms/query at ${n}`, '', fmt(near.r31IndexMsPerQuery, 3), ''],
    ['PDQ near r=31 linear scan ms/query', '', fmt(near.r31LinearMsPerQuery, 3), ''],
    ['PDQ near r=31 speed-up vs linear', '>= 20x', fmt(near.r31Speedup) + 'x', fmt(Number(near.r31Speedup) / 20, 2) + 'x'],
    ['PDQ planted near-duplicate recall (r=31)', '1.0', fmt(near.plantedRecall, 4), ''],
    ['PDQ results equal linear scan (r=31)', 'yes', near.r31EqualsLinear === true ? 'yes' : 'NO', ''],
    ['PDQ near r=40 index / linear ms/query', '', `${fmt(near.r40IndexMsPerQuery, 3)} / ${fmt(near.r40LinearMsPerQuery, 3)}`, fmt(near.r40Speedup) + 'x'],
    ['PDQ results equal linear scan (r=40)', 'yes', near.r40EqualsLinear === true ? 'yes' : 'NO', ''],
    ['PDQ add entries/s', '', fmt(near.addPerSecond, 0), ''],
    ['PDQ multi-index build ms', '', fmt(near.optimizeMs, 0), ''],
    [`PDQ index memory MB (RSS delta) at ${n}`, '', fmt(near.indexMB), ''],
    ['  of which JS heap / typed arrays MB', '', `${fmt(near.indexHeapMB)} / ${fmt(near.indexExternalMB)}`, '']
  ]
  const widths = [0, 1, 2, 3].map(c => Math.max(...rows.map(r => r[c].length), ['metric', 'goal', 'measured', 'ratio'][c].length))
  const line = (r: string[]): string => r.map((cell, c) => c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c])).join('  ')
  console.log(line(['metric', 'goal', 'measured', 'ratio']))
  console.log(widths.map(w => '-'.repeat(w)).join('  '))
  for (const r of rows) console.log(line(r))
  const record = { scenario: 'match', date: new Date().toISOString(), ...(process.env.HASHFED_BENCH_RUN !== undefined ? { run: process.env.HASHFED_BENCH_RUN } : {}), scale, entries, queries, node: process.version, exact, exactMap: map, near }
  console.log(JSON.stringify(record))
  if (args.json !== undefined) appendFileSync(args.json, JSON.stringify(record) + '\n')
}

main()
