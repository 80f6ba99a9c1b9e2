// CLI start-up: the wall time of `hashfed --help`, `hashfed status` and `hashfed hashes
// list-origins` (both against a running node) beside `node -e 0`, measured interleaved in the
// same run so machine load hits all alike. Goal: each within 3x of bare Node.
//
//   node dist/scripts/bench/cli.js [--runs 15]
import '../../src/polyfill.js'
import { spawnSync } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { benchArgs, median, report, type BenchArgs, type Figure } from './bench-kit.js'
import { benchFederation, startProcess } from './bench-federation.js'

/** start-up may take this many times `node -e 0` */
const GOAL_RATIO = 3

function wallMs (args: string[]): number {
  const t0 = performance.now()
  const res = spawnSync(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' })
  const ms = performance.now() - t0
  if (res.status !== 0) throw new Error(`node ${args.join(' ')} exited ${res.status}: ${res.stderr}`)
  return ms
}

export async function cliStartup (args: BenchArgs & { runs: number }): Promise<Figure[]> {
  const root = await mkdtemp(join(tmpdir(), 'hashfed-bench-cli-'))
  const cli = resolve('dist/src/cli/main.js')
  try {
    const [m] = await benchFederation(root, ['EOKM'])
    const node = await startProcess(m)
    try {
      const commands: Array<[string, string[]]> = [
        ['node -e 0', ['-e', '0']],
        ['hashfed --help', [cli, '--help']],
        ['hashfed status (node running)', [cli, 'status', '--dir', m.dir]],
        ['hashfed hashes list-origins (node running)', [cli, 'hashes', 'list-origins', '--dir', m.dir]]
      ]
      const times = new Map<string, number[]>(commands.map(([name]) => [name, []]))
      for (const [, a] of commands) wallMs(a) // warm the file cache
      for (let i = 0; i < args.runs; i++) for (const [name, a] of commands) times.get(name)?.push(wallMs(a))
      const base = median(times.get('node -e 0') ?? [])
      return [
        { scenario: 'cli start-up', name: `node -e 0 (median of ${args.runs})`, value: base, unit: 'ms' },
        ...commands.slice(1).map(([name]): Figure => {
          const ms = median(times.get(name) ?? [])
          return { scenario: 'cli start-up', name: `${name}: ratio to node -e 0`, value: ms / base, unit: 'x', goal: GOAL_RATIO, better: 'lower', beside: `${ms.toFixed(0)} ms` }
        })
      ]
    } finally {
      await node.stop()
    }
  } finally {
    await rm(root, { recursive: true, force: true })
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = benchArgs({ runs: { type: 'string', default: '15' } })
  report(args, await cliStartup({ ...args, runs: Math.max(3, Math.round(Number(args.values.runs))) }))
}
