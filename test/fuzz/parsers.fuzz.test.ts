import { test, after } from 'node:test'
import { fuzzSeed, fuzzWorld, parserTargets, runTarget, type FuzzRun } from '../helpers/fuzz-targets.js'

// `npm run test:fuzz`, part 2: every import parser on random, damaged and cut input in
// random chunks, HASHFED_FUZZ_RUNS / 2 inputs each; only HF_INVALID_FORMAT may be thrown and
// no parse may hang.

const BASE = Number(process.env.HASHFED_FUZZ_RUNS ?? 70_000)
const SEED = fuzzSeed()
const runs: FuzzRun[] = []

after(async () => {
  for (const r of runs) process.stdout.write(`# ${String(r.runs).padStart(8)} inputs ${String(r.ms).padStart(7)} ms  ${r.name}\n`)
  process.stdout.write(`# FUZZ parsers: ${runs.reduce((n, r) => n + r.runs, 0)} inputs in ${runs.length} targets, seed ${SEED} (HASHFED_FUZZ_SEED=${SEED} repeats it)\n`)
  await (await fuzzWorld()).cleanup()
})

for (const target of parserTargets()) {
  test(`fuzz ${target.name}`, { timeout: 30 * 60_000 }, async () => {
    runs.push(await runTarget(target, Math.max(20, Math.round(BASE * target.weight)), SEED))
  })
}
