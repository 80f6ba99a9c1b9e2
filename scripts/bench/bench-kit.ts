import { readFileSync } from 'node:fs'
// Shared by every benchmark scenario: arguments, figures beside their goals, the results file.
import { appendFileSync, mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import { parseArgs } from 'node:util'
import { cpus, totalmem } from 'node:os'

export interface BenchArgs {
  /** fraction of the full sizes (1 = the sizes) */
  scale: number
  /** JSON-lines results file */
  out: string
}

export function benchArgs (extra: Record<string, { type: 'string' | 'boolean', default?: string | boolean }> = {}): BenchArgs & { values: Record<string, string | boolean | undefined> } {
  const { values } = parseArgs({
    options: { scale: { type: 'string', default: '1' }, out: { type: 'string', default: 'bench-results/results.jsonl' }, ...extra },
    allowPositionals: true
  })
  const scale = Number(values.scale)
  if (!(scale > 0 && scale <= 1)) throw new Error('--scale must be in (0, 1]')
  return { scale, out: String(values.out), values: values as Record<string, string | boolean | undefined> }
}

/** A measured figure; `goal` with `better` says which side of it passes. */
export interface Figure {
  scenario: string
  name: string
  value: number
  unit: string
  goal?: number
  better?: 'higher' | 'lower'
  /** what the figure is set beside (a limit or an alternative measured in the same run) */
  beside?: string
}

export function meets (f: Figure): boolean | null {
  if (f.goal === undefined || f.better === undefined) return null
  return f.better === 'higher' ? f.value >= f.goal : f.value <= f.goal
}

const fmt = (n: number): string => Math.abs(n) >= 100 ? Math.round(n).toLocaleString('en-US') : Number(n.toPrecision(3)).toString()

/** Prints the figures as a table and appends them, with the machine and scale, to the results file. */
export function report (args: BenchArgs, figures: Figure[]): void {
  const rows = figures.map(f => {
    const ok = meets(f)
    const ratio = f.goal !== undefined ? (f.better === 'lower' ? f.goal / f.value : f.value / f.goal) : undefined
    return [
      f.name,
      `${fmt(f.value)} ${f.unit}`,
      f.goal !== undefined ? `${f.better === 'lower' ? '<=' : '>='} ${fmt(f.goal)} ${f.unit}` : '',
      ratio !== undefined ? `${ratio.toFixed(2)}x` : '',
      ok === null ? '' : ok ? 'met' : 'MISSED',
      f.beside ?? ''
    ]
  })
  const head = ['figure', 'measured', 'goal', 'ratio to goal', '', 'beside']
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map(r => r[i].length)))
  const line = (r: string[]): string => r.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd()
  console.log(`\n== ${figures[0]?.scenario ?? ''} (scale ${args.scale})`)
  console.log(line(head))
  for (const r of rows) console.log(line(r))
  mkdirSync(dirname(args.out), { recursive: true })
  const machine = { cpus: cpus().length, cpu: cpus()[0]?.model, memGiB: Math.round(totalmem() / 2 ** 30), node: process.version }
  // run.ts names the run, so the report can tell this run's figures from the history
  const run = process.env.HASHFED_BENCH_RUN
  for (const f of figures) appendFileSync(args.out, JSON.stringify({ at: new Date().toISOString(), ...(run !== undefined ? { run } : {}), scale: args.scale, machine, ...f, met: meets(f) }) + '\n')
}

export function median (xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)]
}

export function percentile (xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.ceil(p / 100 * s.length) - 1)]
}

/** CPU time (user + system) a process has used so far, in ms, from /proc; 0 where there is no /proc. */
export function processCpuMs (pid: number | undefined): number {
  if (pid === undefined) return 0
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // fields after the command name (which may hold spaces): utime and stime are 14 and 15, in clock ticks (100/s)
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return (Number(rest[11]) + Number(rest[12])) * 10
  } catch {
    return 0
  }
}
