// Scenario `reports`: a national year at one node (EOKM: 300,000 inbound reports from 3
// foreign members over 365 days, ~2,000 hosters with a Zipf share, status timelines with
// corrections), set beside a same-run yardstick: a LevelDB iterator scan of the reports.
//
//   node dist/scripts/bench/reports-scale.js [--scale 0.01]
//
// - the report protocol between two `hashfed start` processes (DE -> EOKM): submit-to-receipt
//   rate, and the outbox drain after the receiver was offline for a day's volume;
// - the year is written straight into EOKM's store through ReportStore.write, the write path
//   the inbox and status updates use (not 300,000 protocol round trips; unsigned, as the
//   index reads no signature), first a tenth of it, then the rest: list/filter p50/p99 and
//   stats p50 at both sizes, with the cost per report held;
// - the status call (report counts) while 10 reports/s arrive; a restart in a fresh process
//   (index load time, RSS with the year loaded); retention of the year's closed reports.
import '../../src/polyfill.js'
import { spawnSync } from 'node:child_process'
import { mkdtemp, readFile, readdir, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { setTimeout as sleep } from 'node:timers/promises'
import { pino } from 'pino'
import { benchArgs, median, percentile, report, type BenchArgs, type Figure } from './bench-kit.js'
import { benchFederation, startProcess } from './bench-federation.js'
import { createFederation } from '../../test/helpers/federation.js'
import { setReportsConfig } from '../../test/helpers/reports.js'
import { generateYear, hosterTable } from '../../test/helpers/report-year.js'
import { openNodeContext } from '../../src/context/node-context.js'
import { nodeDir } from '../../src/config/node-dir.js'
import { loadKeyFile } from '../../src/identity/key-file.js'
import { createReportService, type ReportService } from '../../src/reports/report-service.js'
import { Store } from '../../src/store/store.js'
import { ReportStore } from '../../src/reports/report-store.js'

const S = 'reports'
const BIG_QUOTA = { burst: 1_000_000, perMinute: 1_000_000 }
const fmt = (n: number): string => n.toLocaleString('en-US')

/** Each figure as it is measured (stderr), so a long run shows its progress. */
function shown (f: Figure): Figure {
  process.stderr.write(`# ${f.name}: ${f.value.toPrecision(4)} ${f.unit}${f.beside !== undefined ? ` (${f.beside})` : ''}\n`)
  return f
}

async function timed (runs: number, fn: () => Promise<unknown>): Promise<number[]> {
  const ms: number[] = []
  for (let i = 0; i < runs; i++) { const t = performance.now(); await fn(); ms.push(performance.now() - t) }
  return ms
}

async function dirBytes (dir: string): Promise<number> {
  let n = 0
  for (const e of await readdir(dir, { withFileTypes: true })) n += e.isDirectory() ? await dirBytes(join(dir, e.name)) : (await stat(join(dir, e.name))).size
  return n
}

/** CPU seconds a child process has used (Linux /proc; 0 elsewhere): the same-run cost beside a contended wall clock. */
async function cpuSeconds (pid: number | undefined): Promise<number> {
  try {
    const fields = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1].split(' ')
    return (Number(fields[11]) + Number(fields[12])) / 100
  } catch { return 0 }
}

async function outboxDepth (api: string): Promise<number> {
  return (await (await fetch(`${api}/v1/reports/outbox?limit=0`)).json() as { depth: number }).depth
}

async function submitAll (api: string, n: number, tag: string): Promise<void> {
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < n) {
      const i = next++
      const res = await fetch(`${api}/v1/reports`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ url: `https://bench.example.nl/${tag}/${i}`, country: 'NL', hoster: `hoster-${i % 50}` }) })
      if (res.status !== 201) throw new Error(`submit: HTTP ${res.status} ${await res.text()}`)
    }
  }
  await Promise.all(Array.from({ length: 32 }, worker))
}

/** The same reports through the batch route: `size` a request, `concurrency` requests at a time. */
async function submitBatches (api: string, n: number, tag: string, size = 100, concurrency = 4): Promise<void> {
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < n) {
      const from = next
      next = Math.min(n, next + size)
      const reports = Array.from({ length: next - from }, (_, k) => ({ url: `https://bench.example.nl/${tag}/${from + k}`, country: 'NL', hoster: `hoster-${(from + k) % 50}` }))
      const res = await fetch(`${api}/v1/reports/batch`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ reports }) })
      const body = await res.json() as { submitted: number }
      if (res.status !== 200 || body.submitted !== reports.length) throw new Error(`batch submit: HTTP ${res.status} ${JSON.stringify(body).slice(0, 300)}`)
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker))
}

async function drained (api: string, limitMs: number): Promise<void> {
  const t = performance.now()
  while (await outboxDepth(api) > 0) {
    if (performance.now() - t > limitMs) throw new Error('the outbox did not drain')
    await sleep(10)
  }
}

/** Two processes: submit-to-receipt rate, and the drain of a day's backlog after the receiver returns. */
async function protocol (args: BenchArgs, root: string): Promise<Figure[]> {
  const n = Math.max(300, Math.round(5000 * args.scale))
  const day = Math.max(100, Math.round(1000 * args.scale))
  const [nlM, deM] = await benchFederation(root, ['EOKM', 'DE'])
  await setReportsConfig(nlM, { inboundQuota: BIG_QUOTA })
  let nl = await startProcess(nlM)
  const de = await startProcess(deM)
  try {
    await submitAll(de.api, 20, 'warm')
    await drained(de.api, 60_000)
    // submit to receipt: first one report a request, then the same number through the batch route
    const rates: Array<{ rate: number, submit: number, deCpu: number, nlCpu: number }> = []
    for (const [tag, submit] of [['rate', submitAll], ['batch', submitBatches]] as const) {
      const cpu0 = await Promise.all([de.child.pid, nl.child.pid].map(cpuSeconds))
      const t0 = performance.now()
      await submit(de.api, n, tag)
      const submitMs = performance.now() - t0
      await drained(de.api, 600_000)
      const [deCpu, nlCpu] = (await Promise.all([de.child.pid, nl.child.pid].map(cpuSeconds))).map((c, i) => (c - cpu0[i]) * 1000 / n)
      rates.push({ rate: n / ((performance.now() - t0) / 1000), submit: n / (submitMs / 1000), deCpu, nlCpu })
    }
    const [single, batch] = rates
    let t: number
    await nl.stop()
    await submitAll(de.api, day, 'offline')
    t = performance.now()
    nl = await startProcess(nlM)
    const upMs = performance.now() - t
    t = performance.now()
    await drained(de.api, 600_000)
    const drainMs = performance.now() - t
    return [
      { scenario: S, name: `report protocol, submit to receipt, one report a request (${fmt(n)} reports, DE -> EOKM processes)`, value: single.rate, unit: 'reports/s', beside: `submit alone (HTTP, sign, store, queue): ${Math.round(single.submit)}/s; CPU per report: DE ${single.deCpu.toFixed(2)} ms (submit, send, receipt), EOKM ${single.nlCpu.toFixed(2)} ms (verify, store, sign receipt)` },
      { scenario: S, name: `report protocol, submit to receipt, batch route (${fmt(n)} reports, 100 a request, DE -> EOKM processes)`, value: batch.rate, unit: 'reports/s', goal: 1000, better: 'higher', beside: `submit alone: ${Math.round(batch.submit)}/s; CPU per report: DE ${batch.deCpu.toFixed(2)} ms, EOKM ${batch.nlCpu.toFixed(2)} ms` },
      { scenario: S, name: `outbox drain of ${fmt(day)} reports after the receiver returns`, value: drainMs / 1000, unit: 's', goal: 5 * day / 1000, better: 'lower', beside: `from its admin API up; its start took ${(upMs / 1000).toFixed(1)} s more` }
    ]
  } finally {
    await Promise.all([nl.stop(), de.stop()])
  }
}

/** The yardstick: every report's bytes through a LevelDB iterator. */
async function scanReports (svc: ReportService): Promise<number> {
  const t = performance.now()
  let n = 0
  for await (const [, value] of svc.reports.store.sub.reports.iterator()) n += value.length > 0 ? 1 : 0
  if (n === 0) throw new Error('empty scan')
  return performance.now() - t
}

async function queries (svc: ReportService, held: number, runs: number): Promise<Figure[]> {
  const { hosters } = hosterTable(2000)
  const label = `at ${fmt(held)}`
  const scanMs = await scanReports(svc)
  const beside = `scan of the reports ${scanMs.toFixed(0)} ms`
  const figures: Figure[] = [shown({ scenario: S, name: `yardstick: LevelDB scan of the reports sublevel ${label}`, value: scanMs, unit: 'ms' })]
  const lists: Array<[string, Parameters<ReportService['list']>[0]]> = [
    ['first page (50)', { limit: 50 }],
    ['by hoster (largest), 50', { hoster: hosters[0].name, limit: 50 }],
    ['by hoster (rank 500), 50', { hoster: hosters[499].name, limit: 50 }],
    ['by status notice-sent, 50', { status: 'notice-sent', limit: 50 }]
  ]
  for (const [name, filter] of lists) {
    const ms = await timed(runs, async () => await svc.list(filter))
    figures.push(shown({ scenario: S, name: `list ${name} p50 ${label}`, value: median(ms), unit: 'ms', goal: 20, better: 'lower', beside: `p99 ${percentile(ms, 99).toFixed(1)} ms; ${beside}` }))
  }
  for (const since of ['30d', '365d']) {
    for (const by of ['hoster', 'asn', 'country']) {
      const ms = await timed(Math.max(3, Math.round(runs / 4)), async () => await svc.stats({ by, since }))
      const p50 = median(ms)
      figures.push(shown({ scenario: S, name: `stats --by ${by} --since ${since} p50 ${label}`, value: p50, unit: 'ms', goal: 50, better: 'lower', beside: `${(p50 * 1e6 / held).toFixed(0)} ns per report held; ${beside}` }))
    }
  }
  return figures
}

/** The dashboard's report counts while 10 reports/s arrive through the same write path. */
async function statusUnderLoad (svc: ReportService, self: Uint8Array, origins: Uint8Array[], seconds: number): Promise<Figure> {
  let stop = false
  let arrived = 0
  const arrivals = (async () => {
    while (!stop) {
      await generateYear({ reports: svc.reports, self, origins, count: 1, hosters: 2000, endMs: Date.now(), days: 1, seed: arrived + 99, chunk: 1 })
      arrived++
      await sleep(100)
    }
  })()
  const ms: number[] = []
  const end = performance.now() + seconds * 1000
  while (performance.now() < end) {
    const t = performance.now()
    await svc.reportCounts()
    ms.push(performance.now() - t)
    await sleep(20)
  }
  stop = true
  await arrivals
  return { scenario: S, name: 'status call (report counts) p50 while 10 reports/s arrive', value: median(ms), unit: 'ms', goal: 20, better: 'lower', beside: `p99 ${percentile(ms, 99).toFixed(2)} ms over ${ms.length} calls, ${arrived} reports arrived` }
}

/** A restart in a fresh process: the index load, and RSS with the year loaded. */
function restart (storePath: string): { loadMs: number, cpuMs: number, buckets: number, rssMiB: number } {
  const res = spawnSync(process.execPath, ['--expose-gc', fileURLToPath(import.meta.url), '--load-child', storePath], { encoding: 'utf8' })
  if (res.status !== 0) throw new Error(`restart child failed: ${res.stderr}`)
  return JSON.parse(res.stdout.trim().split('\n').pop() ?? '{}') as { loadMs: number, cpuMs: number, buckets: number, rssMiB: number }
}

async function loadChild (storePath: string): Promise<void> {
  const t = performance.now()
  const cpu = process.cpuUsage()
  const store = await Store.open(storePath)
  const reports = new ReportStore(store)
  await reports.ready()
  const loadMs = performance.now() - t
  const { user, system } = process.cpuUsage(cpu)
  const cpuMs = (user + system) / 1000
  let open = 0
  for (const e of reports.aggregates.buckets()) open += e.bucket.openCreatedMs.length
  globalThis.gc?.()
  process.stdout.write(JSON.stringify({ loadMs, cpuMs, buckets: reports.aggregates.size, rssMiB: process.memoryUsage().rss / 2 ** 20, open }) + '\n')
  await store.close()
}

export async function reportsScale (args: BenchArgs): Promise<Figure[]> {
  const full = Math.max(3000, Math.round(300_000 * args.scale))
  const small = Math.round(full / 10)
  const runs = args.scale < 0.1 ? 20 : 60
  const root = await mkdtemp(join(tmpdir(), 'hashfed-bench-reports-'))
  try {
    const figures = (await protocol(args, join(root, 'protocol'))).map(shown)
    const [nl, ...foreign] = await createFederation(join(root, 'year'), [
      { name: 'EOKM', countries: ['NL', 'BQ', 'CW', 'AW'] }, { name: 'DE', countries: ['DE'] }, { name: 'GB', countries: ['GB'] }, { name: 'BE', countries: ['BE'] }
    ])
    await setReportsConfig(nl, { retentionDays: 30 })
    const origins = await Promise.all(foreign.map(async m => (await loadKeyFile(nodeDir(m.dir).key)).peerIdBytes))
    let ctx = await openNodeContext(nl.dir)
    let svc = createReportService({ ctx, logger: pino({ level: 'silent' }) })
    const self = ctx.identity.peerIdBytes
    const endMs = Date.now()
    let t = performance.now()
    await generateYear({ reports: svc.reports, self, origins, count: small, hosters: 2000, endMs, seed: 1, lastOnly: true, chunk: 1000 })
    figures.push(...await queries(svc, small, runs))
    await generateYear({ reports: svc.reports, self, origins, count: full - small, hosters: 2000, endMs, seed: 2, lastOnly: true, chunk: 1000 })
    const genS = (performance.now() - t) / 1000
    figures.push(shown({ scenario: S, name: `year written through the report write path (${fmt(full)} reports, each its arrival and then its last status)`, value: full / genS, unit: 'reports/s', beside: `${genS.toFixed(0)} s` }))
    figures.push(...await queries(svc, full, runs))
    figures.push(shown(await statusUnderLoad(svc, self, origins, args.scale < 0.1 ? 3 : 10)))
    const storePath = nodeDir(nl.dir).store
    await ctx.store.close()
    const sizeMiB = await dirBytes(storePath) / 2 ** 20
    figures.push(shown({ scenario: S, name: `store size on disk (${fmt(full)} reports with index)`, value: sizeMiB, unit: 'MiB', beside: `${(sizeMiB * 2 ** 20 / full).toFixed(0)} B per report` }))
    const r = restart(storePath)
    figures.push(shown({ scenario: S, name: 'restart: report index load (fresh process)', value: r.loadMs / 1000, unit: 's', goal: 5, better: 'lower', beside: `${(r.cpuMs / 1000).toFixed(2)} CPU-s for ${fmt(r.buckets)} day buckets` }))
    figures.push(shown({ scenario: S, name: 'node RSS with the year loaded (fresh process, store + index)', value: r.rssMiB, unit: 'MiB', goal: 400, better: 'lower' }))

    ctx = await openNodeContext(nl.dir)
    svc = createReportService({ ctx, logger: pino({ level: 'silent' }) })
    const before = await svc.stats({ by: 'hoster' })
    t = performance.now()
    const deleted = await svc.runRetention()
    const retentionS = (performance.now() - t) / 1000
    const after = await svc.stats({ by: 'hoster' })
    const survive = after.total === before.total && after.archived === before.archived + deleted && JSON.stringify(after.removal) === JSON.stringify(before.removal) && JSON.stringify(after.groups) === JSON.stringify(before.groups)
    await ctx.store.close()
    if (!survive) throw new Error('retention changed the statistics')
    figures.push(shown({ scenario: S, name: `retention of the year's closed reports (${fmt(deleted)} deleted, counts survive: ${survive ? 'yes' : 'NO'})`, value: retentionS, unit: 's', beside: `${(retentionS * 1e6 / Math.max(1, deleted)).toFixed(0)} µs per report` }))
    return figures
  } finally {
    await rm(root, { recursive: true, force: true })
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = benchArgs({ 'load-child': { type: 'string' }, 'protocol-only': { type: 'boolean' } })
  const child = args.values['load-child']
  if (typeof child === 'string') await loadChild(child)
  else if (args.values['protocol-only'] === true) {
    // the two-process part alone (profiling: HASHFED_BENCH_CPU_PROF=<dir>)
    const root = await mkdtemp(join(tmpdir(), 'hashfed-bench-reports-'))
    try { report(args, (await protocol(args, join(root, 'protocol'))).map(shown)) } finally { await rm(root, { recursive: true, force: true }) }
  } else report(args, await reportsScale(args))
}
