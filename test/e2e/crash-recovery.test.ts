import { test } from 'node:test'
import { faultSeed } from '../helpers/crash.js'
import { runCrashScenarios } from '../helpers/crash-scenarios.js'

// kill -9 at three seeded random points: a node during `hashes import`, an offline import in
// the CLI process, and a fresh node during its initial sync. After each the store opens and
// verifies, the work resumes, and all three nodes end with the same heads and current sets.
// The long version (20+ kill points) is test/faults/crash.test.ts (`npm run test:faults`).

test('kill -9 during import (node and offline) and during sync: verified store, resumed, converged, nothing lost', { timeout: 300_000 }, async () => {
  const seed = faultSeed()
  process.stdout.write(`# crash seed ${seed} (HASHFED_FAULT_SEED=${seed} repeats it)\n`)
  const f = await runCrashScenarios({
    seed,
    importKills: 1,
    offlineKills: 1,
    syncKills: 1,
    importLines: 20_000,
    logBatches: 16,
    entriesPerBatch: 2000,
    say: (line) => process.stdout.write(`# ${line}\n`)
  })
  process.stdout.write(`# crash: faults injected ${f.faults} (${f.midway} mid-operation), records checked ${f.records}, lost ${f.lost}\n`)
})
