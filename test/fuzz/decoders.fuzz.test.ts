import { test, after } from 'node:test'
import { keyTargets } from '../helpers/key-fuzz-targets.js'
import { codecTargets, deepTargets, diskTargets, fuzzSeed, fuzzWorld, runTarget, storedTargets, type FuzzRun } from '../helpers/fuzz-targets.js'

// `npm run test:fuzz`, part 1: every decoder of bytes from peers or from disk, through our own
// functions, HASHFED_FUZZ_RUNS inputs per target (the LevelDB-backed ones a tenth of it).

/** inputs per cheap target; with the parsers' share, the default passes a million in total */
const BASE = Number(process.env.HASHFED_FUZZ_RUNS ?? 70_000)
const SEED = fuzzSeed()
const runs: FuzzRun[] = []

after(async () => {
  for (const r of runs) process.stdout.write(`# ${String(r.runs).padStart(8)} inputs ${String(r.ms).padStart(7)} ms  ${r.name}\n`)
  process.stdout.write(`# FUZZ decoders: ${runs.reduce((n, r) => n + r.runs, 0)} inputs in ${runs.length} targets, seed ${SEED} (HASHFED_FUZZ_SEED=${SEED} repeats it)\n`)
  await (await fuzzWorld()).cleanup()
})

for (const target of [...codecTargets(), ...storedTargets(), ...diskTargets(), ...deepTargets(), ...keyTargets()]) {
  test(`fuzz ${target.name}`, { timeout: 30 * 60_000 }, async () => {
    runs.push(await runTarget(target, Math.max(20, Math.round(BASE * target.weight)), SEED))
  })
}
