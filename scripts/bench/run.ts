// `npm run bench`: every scenario of the benchmark suite in sequence, each in its own process
// so memory figures and warm caches are its own. Tables go to stdout; every figure is appended
// to the results file (bench-results/results.jsonl by default).
//
//   npm run bench [-- --scale 0.01] [-- --only limits,convergence] (`--only cli`: CLI start-up beside `node -e 0`; `--only reports`: a national year of reports)
//   npm run bench -- --report   also writes bench-results/report.html (report.ts; `--html` elsewhere)
//   npm run bench -- --only scale   the full-size scale scenario, outside the default run
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { writeReport } from './report.js'

const { values } = parseArgs({ options: { scale: { type: 'string', default: '1' }, out: { type: 'string', default: 'bench-results/results.jsonl' }, only: { type: 'string' }, report: { type: 'boolean', default: false }, html: { type: 'string', default: 'bench-results/report.html' } } })
const scale = String(values.scale)
const out = String(values.out)
const common = ['--scale', scale, '--out', out]

/** name → script and its arguments (match.ts keeps its own flag names) */
const SCENARIOS: Array<[string, string, string[]]> = [
  ['limits', 'limits.js', common],
  ['initial-sync', 'sync-initial.js', common],
  ['incremental-sync', 'sync-incremental.js', common],
  ['convergence', 'convergence.js', [...common, ...(Number(scale) < 0.1 ? ['--nodes', '4', '--batches', '5'] : [])]],
  ['match', 'match.js', ['--scale', scale, '--json', out]],
  ['check-http', 'check-http.js', [...common, ...(Number(scale) < 0.1 ? ['--seconds', '2'] : [])]],
  ['import-memory', 'import-memory.js', common],
  ['cli', 'cli.js', common],
  ['video', 'video.js', common],
  // in the default run up to 2M entries; `--only scale` alone takes it to 10M
  ['scale', 'scale.js', [...common, ...(values.only?.split(',').includes('scale') === true ? ['--full'] : []), ...(Number(scale) < 0.1 ? ['--seconds', '1'] : [])]],
  ['wan', 'wan.js', [...common, ...(Number(scale) < 0.1 ? ['--runs', '5', '--nodes', '4', '--batches', '3'] : [])]],
  ['reports', 'reports-scale.js', common]
]

const only = values.only?.split(',')
const started = Date.now()
let failed = 0
// every figure of this run carries its id, so the report tells this run from the history
process.env.HASHFED_BENCH_RUN = new Date(started).toISOString()
for (const [name, script, args] of SCENARIOS) {
  if (only !== undefined && !only.includes(name)) continue
  const t0 = Date.now()
  const res = spawnSync(process.execPath, ['--expose-gc', fileURLToPath(new URL(`./${script}`, import.meta.url)), ...args], { stdio: 'inherit' })
  console.log(`(${name}: ${((Date.now() - t0) / 1000).toFixed(1)} s${res.status !== 0 ? `, FAILED with ${res.status}` : ''})`)
  if (res.status !== 0) failed++
}
if (values.report === true) {
  writeReport(out, String(values.html))
  console.log(`report written to ${String(values.html)} (open it in a browser)`)
}
console.log(`\nbenchmarks done in ${((Date.now() - started) / 1000).toFixed(0)} s; figures appended to ${out}`)
process.exit(failed > 0 ? 1 : 0)
