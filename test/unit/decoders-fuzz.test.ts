import { test, after } from 'node:test'
import { keyTargets } from '../helpers/key-fuzz-targets.js'
import { codecTargets, deepTargets, diskTargets, fuzzSeed, fuzzWorld, runTarget, storedTargets } from '../helpers/fuzz-targets.js'

// Every decoder of bytes from peers or from disk, a few hundred inputs each (seconds in
// total); `npm run test:fuzz` runs the same targets with a million inputs and the parsers.
// Import parsers are fuzzed in formats-fuzz.test.ts.

/** inputs per cheap target; the slow ones run a tenth */
const BASE = Number(process.env.HASHFED_FUZZ_RUNS ?? 300)
const SEED = fuzzSeed()
let total = 0

after(async () => {
  process.stdout.write(`# decoders fuzz: ${total} inputs, seed ${SEED} (HASHFED_FUZZ_SEED=${SEED} repeats it)\n`)
  await (await fuzzWorld()).cleanup()
})

for (const target of [...codecTargets(), ...storedTargets(), ...diskTargets(), ...deepTargets(), ...keyTargets()]) {
  test(`fuzz ${target.name}: decodes or fails with a HashfedError`, { timeout: 120_000 }, async () => {
    const r = await runTarget(target, Math.max(20, Math.round(BASE * target.weight)), SEED)
    total += r.runs
  })
}
