// The initial sync of the scale scenario, alone: one list of `--n` entries with the scale
// scenario's metadata, synced to a fresh `hashfed start` process `--trials` times (with each
// CLI of `--cli`, e.g. a copy of an older build beside this one: `--cli old/dist/src/cli/main.js,dist/src/cli/main.js`).
// Prints wall time from the fresh process's spawn and its CPU by thread (all of it, start-up
// included: ~1.4 s main, ~0.8 s others; each thread also with its start time: LevelDB's compaction
// thread is the one started seconds in, V8's and libuv's pools start with the process), its peak
// RSS and bytes written (/proc), the store's size and its LevelDB LOG's flushes and compactions
// (PROBE_LOG=<path prefix> keeps a copy of each LOG), the sender's CPU, and with PROBE_DIGEST=1 a digest of
// the synced store's rows and `hashfed verify`'s verdict (two builds must agree). For profiles
// (`--prof <dir>`, V8 CPU profile of the fresh node) and GC traces (`--flags=--trace-gc-nvp`,
// PROBE_STDOUT=1). CPU, not wall time, is what compares on a shared machine.
//
//   node dist/scripts/bench/sync-cpu.js [--n 300000] [--trials 2] [--cli a,b] [--prof dir] [--flags=...]
import '../../src/polyfill.js'
import { spawn, spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { cp, mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, relative, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { setTimeout as sleep } from 'node:timers/promises'
import { benchFederation, originEntries, populate, startProcess, writeContentIds } from './bench-federation.js'
import { nodeDir } from '../../src/config/node-dir.js'
import { readLiveRuntime } from '../../src/context/runtime-file.js'
import { Store } from '../../src/store/store.js'
import { record, threadCpu } from './scale.js'

const { values } = parseArgs({ options: { n: { type: 'string', default: '300000' }, trials: { type: 'string', default: '2' }, cli: { type: 'string', default: 'dist/src/cli/main.js' }, prof: { type: 'string' }, flags: { type: 'string', default: '' } } })
const n = Number(values.n)
const clis = String(values.cli).split(',').map(c => resolve(c))
const root = await mkdtemp(join(tmpdir(), 'hashfed-probe-'))
try {
  const [list, fresh] = await benchFederation(root, ['LIST', 'FRESH'], [[1, 0]])
  const t0 = performance.now()
  await populate(list, n, record)
  await writeContentIds(list)
  console.log(`grown ${n} in ${((performance.now() - t0) / 1000).toFixed(1)} s`)
  const freshStore = nodeDir(fresh.dir).store
  await cp(freshStore, freshStore + '.pristine', { recursive: true })
  const node = await startProcess(list)
  try {
    for (let t = 0; t < Number(values.trials); t++) {
      for (const cli of clis) {
        await rm(freshStore, { recursive: true, force: true })
        await cp(freshStore + '.pristine', freshStore, { recursive: true })
        const flags = [...(values.prof !== undefined ? ['--cpu-prof', '--cpu-prof-dir', values.prof] : []), ...String(values.flags).split(' ').filter(f => f !== '')]
        const l0 = await threadCpu(node.child.pid as number)
        const s0 = performance.now()
        const child = spawn(process.execPath, [...flags, cli, 'start', '--dir', fresh.dir], { stdio: ['ignore', process.env.PROBE_STDOUT === '1' ? 'inherit' : 'ignore', 'inherit'], env: { ...process.env, HASHFED_LOG_LEVEL: 'warn' } })
        const exited = new Promise<void>((res) => child.once('exit', () => res()))
        let api = ''
        while (api === '') {
          const rt = await readLiveRuntime(nodeDir(fresh.dir))
          if (rt !== null && rt.pid === child.pid && await fetch(`${rt.adminUrl}/v1/hashes/origins`).then(r => r.ok, () => false)) api = rt.adminUrl
          else await sleep(20)
        }
        const up = performance.now() - s0
        while (await originEntries(api, list.peerId) < n) await sleep(20)
        const wall = (performance.now() - s0) / 1000
        const th = await threadCpu(child.pid as number)
        const tids = await threadsByStart(child.pid as number)
        const io = await readFile(`/proc/${child.pid as number}/io`, 'utf8').catch(() => '')
        const hwm = Number(/VmHWM:\s+(\d+)/.exec(await readFile(`/proc/${child.pid as number}/status`, 'utf8').catch(() => ''))?.[1] ?? 0) / 1024
        const writtenMiB = Number(/write_bytes: (\d+)/.exec(io)?.[1] ?? 0) / 2 ** 20
        const total = [...th.values()].reduce((a, b) => a + b, 0)
        const l1 = await threadCpu(node.child.pid as number)
        const sender = [...l1].map(([k, v]) => `${k} ${v - (l0.get(k) ?? 0)}`).join(', ')
        child.kill('SIGTERM'); await exited
        const disk = await storeStats(freshStore)
        if (process.env.PROBE_DIGEST === '1') {
          const st = await Store.open(freshStore)
          const digests: string[] = []
          for (const sub of ['hashes', 'sources', 'batches', 'heads', 'keys', 'contentIds'] as const) {
            const h = createHash('sha256'); let rows = 0
            for await (const [k, v] of st.sub[sub].iterator()) { h.update(k); h.update('\0'); h.update(v); h.update('\0'); rows++ }
            digests.push(`${sub} ${rows} ${h.digest('hex').slice(0, 16)}`)
          }
          await st.close()
          const v = spawnSync(process.execPath, [cli, 'verify', '--dir', fresh.dir], { encoding: 'utf8' })
          console.log(`  store: ${digests.join('; ')}; verify exit ${v.status}: ${(v.stdout + v.stderr).trim().split('\n').slice(-2).join(' | ')}`)
        }
        const desc = [...th].filter(([, v]) => v > 0).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v}`).join(', ')
        console.log(`${relative(process.cwd(), cli)} n=${n} wall ${wall.toFixed(2)} s (${(wall * 1e6 / n).toFixed(2)} µs/entry, api up ${up.toFixed(0)} ms) CPU total ${total} ms (${(total * 1000 / n).toFixed(2)} µs/entry; main ${((th.get('main') ?? 0) * 1000 / n).toFixed(2)}): ${desc}; sender CPU: ${sender}; peak RSS ${hwm.toFixed(0)} MiB; written ${writtenMiB.toFixed(0)} MiB, ${disk}; threads (name@start s: CPU ms): ${tids}`)
      }
    }
  } finally { await node.stop() }
} finally { await rm(root, { recursive: true, force: true }) }

/** The store's size on disk, table files by LevelDB level count, and its LOG's compactions (bytes LevelDB wrote). */
async function storeStats (dir: string): Promise<string> {
  let bytes = 0
  for (const f of await readdir(dir)) bytes += (await stat(join(dir, f))).size
  const log = await readFile(join(dir, 'LOG'), 'utf8').catch(() => '')
  let flushes = 0; let flushed = 0; let compactions = 0; let compacted = 0
  for (const m of log.matchAll(/Level-0 table #\d+: (\d+) bytes OK/g)) { flushes++; flushed += Number(m[1]) }
  for (const m of log.matchAll(/Compacted .* => (\d+) bytes/g)) { compactions++; compacted += Number(m[1]) }
  if (process.env.PROBE_LOG !== undefined) await cp(join(dir, 'LOG'), `${process.env.PROBE_LOG}.${Date.now()}.LOG`)
  return `store ${(bytes / 2 ** 20).toFixed(0)} MiB; LOG: ${flushes} flushes ${(flushed / 2 ** 20).toFixed(0)} MiB, ${compactions} compactions wrote ${(compacted / 2 ** 20).toFixed(0)} MiB`
}

/** Each thread's CPU with its start time after the process's (V8's workers start with it; LevelDB's compaction thread at its first compaction). */
async function threadsByStart (pid: number): Promise<string> {
  const fieldsOf = (stat: string): string[] => stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  const start0 = Number(fieldsOf(await readFile(`/proc/${pid}/stat`, 'utf8'))[19])
  const out: string[] = []
  for (const tid of await readdir(`/proc/${pid}/task`).catch(() => [] as string[])) {
    const stat = await readFile(`/proc/${pid}/task/${tid}/stat`, 'utf8').catch(() => '')
    if (stat === '') continue
    const f = fieldsOf(stat)
    const cpu = (Number(f[11]) + Number(f[12])) * 10
    if (cpu > 0) out.push(`${stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'))}@${((Number(f[19]) - start0) / 100).toFixed(1)}: ${cpu}`)
  }
  return out.join(', ')
}
