import { test } from 'node:test'
import assert from 'node:assert/strict'
import { faultSeed } from '../helpers/crash.js'
import { runCrashScenarios } from '../helpers/crash-scenarios.js'

// `npm run test:faults`: kill -9 at HASHFED_FAULT_POINTS (default 24) seeded random points,
// spread over a node during `hashes import`, an offline import in the CLI process, and a fresh
// node pulling a large log. Repeat a run with HASHFED_FAULT_SEED=<printed seed>.

const POINTS = Number(process.env.HASHFED_FAULT_POINTS ?? 24)

test(`kill -9 at ${POINTS} points during import and sync: every store verifies, work resumes, all converge, nothing lost`, { timeout: 60 * 60_000 }, async () => {
  const seed = faultSeed()
  process.stdout.write(`# crash seed ${seed} (HASHFED_FAULT_SEED=${seed} repeats it)\n`)
  const importKills = Math.max(1, Math.round(POINTS * 0.4))
  const offlineKills = Math.max(1, Math.round(POINTS * 0.25))
  const syncKills = Math.max(1, POINTS - importKills - offlineKills)
  const t0 = Date.now()
  const f = await runCrashScenarios({
    seed, importKills, offlineKills, syncKills,
    importLines: 20_000,
    logBatches: 30,
    entriesPerBatch: 2000,
    say: (line) => process.stdout.write(`# ${line}\n`)
  })
  assert.equal(f.faults, importKills + offlineKills + syncKills)
  process.stdout.write(`# FAULTS crash: faults injected ${f.faults} (${f.midway} mid-operation), records checked ${f.records}, lost ${f.lost}, ${Date.now() - t0} ms\n`)
})
