// Scenarios 7 and 8 with the real CLI: import of a 1M-line SHA-256 file (`hashfed hashes
// import`, offline) with its rate and peak RSS, then the RSS of `hashfed start` holding those
// 1M entries with its match index.
//
//   node dist/scripts/bench/import-memory.js [--scale 0.1]
import '../../src/polyfill.js'
import { spawn } from 'node:child_process'
import { createWriteStream } from 'node:fs'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { once } from 'node:events'
import { randomBytes } from 'node:crypto'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { setTimeout as sleep } from 'node:timers/promises'
import { benchArgs, report, type BenchArgs, type Figure } from './bench-kit.js'
import { benchFederation, startProcess } from './bench-federation.js'
import { storeLimits } from './limits.js'

const MiB = 2 ** 20

async function rssOf (pid: number): Promise<{ rss: number, hwm: number }> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '')
  const kb = (name: string): number => Number(new RegExp(`${name}:\\s+(\\d+)`).exec(status)?.[1] ?? 0) * 1024
  return { rss: kb('VmRSS'), hwm: kb('VmHWM') }
}

/** User + system CPU seconds of a running process (sampled every 100 ms: the last sample is up to that much short). */
async function cpuSeconds (pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8')
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return (Number(fields[11]) + Number(fields[12])) / 100 // utime, stime in clock ticks (100 Hz)
}

async function writeList (file: string, n: number): Promise<void> {
  const out = createWriteStream(file)
  for (let done = 0; done < n; done += 10_000) {
    const k = Math.min(10_000, n - done)
    const bytes = randomBytes(32 * k)
    const lines: string[] = []
    for (let i = 0; i < k; i++) lines.push(bytes.subarray(i * 32, i * 32 + 32).toString('hex'))
    if (!out.write(lines.join('\n') + '\n')) await once(out, 'drain')
  }
  out.end()
  await once(out, 'close')
}

export async function importAndMemory (args: BenchArgs): Promise<Figure[]> {
  const n = Math.max(10_000, Math.round(1_000_000 * args.scale))
  const root = await mkdtemp(join(tmpdir(), 'hashfed-bench-import-'))
  try {
    const [m] = await benchFederation(root, ['EOKM'])
    const file = join(root, 'list.txt')
    await writeList(file, n)

    // the yardstick, in this run: LevelDB atomic batch writes of our record shape (limits.ts)
    const { store: limit } = await storeLimits(n)
    const start = performance.now()
    const child = spawn(process.execPath, [resolve('dist/src/cli/main.js'), 'hashes', 'import', file, '--format', 'lines', '--dir', m.dir, '--json'], { stdio: ['ignore', 'pipe', 'inherit'] })
    let out = ''
    child.stdout.on('data', (d: Buffer) => { out += d.toString() })
    let peak = 0
    const exited = once(child, 'exit')
    let cpu = NaN
    while (child.exitCode === null) {
      peak = Math.max(peak, (await rssOf(child.pid!)).rss)
      cpu = await cpuSeconds(child.pid!).catch(() => cpu)
      await Promise.race([sleep(100), exited])
    }
    const seconds = (performance.now() - start) / 1000
    const summary = JSON.parse(out) as { added: number }
    if (summary.added !== n) throw new Error(`imported ${summary.added} of ${n}`)

    const node = await startProcess(m)
    // the index is rebuilt from LevelDB at start; give it time, then read the settled RSS
    let rss = 0
    for (let i = 0; i < 20; i++) {
      await sleep(500)
      const now = (await rssOf(node.child.pid!)).rss
      if (Math.abs(now - rss) < 2 * MiB) break
      rss = now
    }
    rss = (await rssOf(node.child.pid!)).rss
    await node.stop()
    return [
      { scenario: 'import', name: `import ${n.toLocaleString('en-US')} SHA-256 lines (CLI, whole process)`, value: n / seconds, unit: 'entries/s', goal: 200_000, better: 'higher', beside: Number.isFinite(cpu) ? `CPU ${cpu.toFixed(1)} s (${(cpu * 1e6 / n).toFixed(1)} µs/entry)` : undefined },
      { scenario: 'import', name: 'import, ratio to the LevelDB batch-write limit', value: n / seconds / limit, unit: '', goal: 0.6, better: 'higher', beside: `LevelDB ${Math.round(limit).toLocaleString('en-US')} entries/s in this run` },
      { scenario: 'import', name: 'import peak RSS', value: peak / MiB, unit: 'MiB', goal: 400, better: 'lower' },
      { scenario: 'memory', name: `RSS of a running node holding ${n.toLocaleString('en-US')} entries with its index`, value: rss / MiB, unit: 'MiB', goal: 400, better: 'lower' }
    ]
  } finally {
    await rm(root, { recursive: true, force: true })
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = benchArgs()
  report(args, await importAndMemory(args))
}
