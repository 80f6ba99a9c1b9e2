import assert from 'node:assert/strict'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { pino } from 'pino'
import { nodeDir } from '../../src/config/node-dir.js'
import { Store } from '../../src/store/store.js'
import { openHashLog } from '../../src/log/hash-log.js'
import { loadNodeFiles } from '../../src/context/node-context.js'
import { tempDir } from './temp-dir.js'
import { createFederation, type TestMember } from './federation.js'
import { runCli } from './cli.js'
import { randomAdds } from './hashes.js'
import { auditStore, headSeqs, prng, spawnCli, startNode, until, wipeStore, writeHashFile, type NodeProcess, type StoreAudit } from './crash.js'

// Jepsen-style crash scenarios over real `hashfed start` processes: kill -9 at seeded random
// points during an import (through the running node, and offline in the CLI process) and
// during a fresh node's initial sync; after every kill the store must open and hold only
// verified data, the work must resume, and at the end every node must hold the same heads
// and the same current set, with no hash lost.

export interface CrashInit {
  seed: number
  /** kill points per scenario */
  importKills: number
  offlineKills: number
  syncKills: number
  /** lines per imported file (10k per batch) */
  importLines: number
  /** EOKM's pre-built log for the sync scenario: batches of `entriesPerBatch` */
  logBatches: number
  entriesPerBatch: number
  /** progress lines go here */
  say: (line: string) => void
}

export interface CrashFigures {
  faults: number
  /** batches re-verified and index rows checked after the kills and at the end */
  records: number
  /** hashes imported (acknowledged by a completed import) that a node does not hold */
  lost: number
  /** kill points that landed while work was in flight (not after it finished) */
  midway: number
}

/** Runs the three scenarios on a fresh federation EOKM, DE, GB; asserts as it goes. */
export async function runCrashScenarios (init: CrashInit): Promise<CrashFigures> {
  const rng = prng(init.seed)
  const root = await tempDir('hashfed-crash-')
  const [eokm, de, gb] = await createFederation(root, [{ name: 'EOKM', countries: ['NL'] }, { name: 'DE', countries: ['DE'] }, { name: 'GB', countries: ['GB'] }])
  const origin = eokm.peerId
  const figures: CrashFigures = { faults: 0, records: 0, lost: 0, midway: 0 }
  const audit = async (m: TestMember): Promise<StoreAudit> => {
    const a = await auditStore(m.dir)
    figures.records += a.records
    return a
  }

  // EOKM's log to sync from, built offline: `logBatches` signed batches
  await prebuildLog(eokm, init.logBatches, init.entriesPerBatch)
  let expected = init.logBatches * init.entriesPerBatch
  const procs = new Map<string, NodeProcess>()
  const start = async (m: TestMember): Promise<NodeProcess> => {
    const p = await startNode(m.dir)
    procs.set(m.name, p)
    return p
  }
  try {
    await start(eokm)
    await start(de)

    const importFile = async (name: string): Promise<string> => {
      const file = join(root, name)
      await writeHashFile(file, init.importLines)
      return file
    }
    const importArgs = (file: string): string[] => ['hashes', 'import', file, '--format', 'lines', '--classification', 'baseline', '--dir', eokm.dir, '--json']
    const completeImport = async (file: string): Promise<void> => {
      const again = await runCli(importArgs(file))
      assert.equal(again.code, 0, again.stderr)
      const summary = JSON.parse(again.stdout) as { added: number, alreadyPresent: number }
      assert.equal(summary.added + summary.alreadyPresent, init.importLines, 'the re-run covers the whole file')
      expected += init.importLines
    }

    // ---- 1. kill -9 the node while `hashes import` runs through its admin API, at a seeded
    // moment within the time one import takes (measured first)
    let t = Date.now()
    await completeImport(await importFile('calibrate-node.txt'))
    const importMs = Date.now() - t
    for (let k = 0; k < init.importKills; k++) {
      const file = await importFile(`import-${k}.txt`)
      const node = procs.get('EOKM')!
      const delay = rng.int(0, importMs)
      const cli = spawnCli(importArgs(file))
      const done = await Promise.race([cli.done, sleep(delay).then(() => null)])
      if (done === null) figures.midway++
      await node.kill9()
      figures.faults++
      const res = await cli.done
      t = Date.now()
      const a = await audit(eokm)
      const held = a.current[origin] ?? 0
      assert.ok(held >= expected, `import kill ${k}: EOKM holds ${held} hashes, ${expected} were imported before`)
      assert.ok(held <= expected + init.importLines)
      const auditMs = Date.now() - t
      t = Date.now()
      const restarted = await start(eokm)
      const startMs = Date.now() - t
      await completeImport(file)
      const entries = await currentAt(restarted.adminUrl, origin)
      assert.equal(entries, expected, `import ${k} resumed: every line held once`)
      init.say(`import kill ${k + 1}/${init.importKills}: ${delay}/${importMs} ms into an import (${done === null ? 'cut' : 'had finished'}, CLI exit ${res.code ?? res.signal}); store verified in ${auditMs} ms: ${a.heads[origin]?.split(':')[0] ?? 0} batches, ${held} hashes (${held - (expected - init.importLines)} of the cut file); restarted in ${startMs} ms; resumed`)
    }

    // ---- 2. kill -9 an offline `hashes import` (the CLI process owns the store)
    await procs.get('EOKM')!.stop()
    t = Date.now()
    await completeImport(await importFile('calibrate-offline.txt'))
    const offlineMs = Date.now() - t
    for (let k = 0; k < init.offlineKills; k++) {
      const file = await importFile(`offline-${k}.txt`)
      const delay = rng.int(0, offlineMs)
      const cli = spawnCli(importArgs(file))
      const done = await Promise.race([cli.done, sleep(delay).then(() => null)])
      if (done === null) {
        figures.midway++
        cli.child.kill('SIGKILL')
      }
      const res = await cli.done
      figures.faults++
      const a = await audit(eokm)
      const held = a.current[origin] ?? 0
      assert.ok(held >= expected && held <= expected + init.importLines, `offline kill ${k}: EOKM holds ${held} hashes, ${expected} were imported before`)
      await completeImport(file)
      init.say(`offline import kill ${k + 1}/${init.offlineKills}: ${delay}/${offlineMs} ms in (${res.signal ?? `exit ${res.code}`}); store verified: ${held} hashes (${held - (expected - init.importLines)} of the cut file); resumed`)
    }
    const eokmAudit = await audit(eokm)
    assert.equal(eokmAudit.current[origin], expected)
    const eokmBatches = eokmAudit.batchHashes[origin]
    await start(eokm)

    // ---- 3. kill -9 a fresh node while it pulls EOKM's log, at a seeded moment within the
    // time a whole pull takes (measured first); a node killed part-way resumes at the next point
    await wipeStore(gb.dir)
    let node = await start(gb)
    t = Date.now()
    assert.ok(await until(async () => ((await headSeqs(node.adminUrl)).get(origin) ?? 0) >= eokmBatches.length, 120_000, 20))
    const syncMs = Date.now() - t
    await node.stop()
    for (let k = 0; k < init.syncKills; k++) {
      const before = await audit(gb)
      let have = Number(before.heads[origin]?.split(':')[0] ?? 0)
      // little left to pull: start over as a fresh node (else resume what the last kill left)
      if (have >= eokmBatches.length * 0.75) {
        await wipeStore(gb.dir)
        have = 0
      }
      node = await start(gb)
      const delay = rng.int(0, Math.round(syncMs * (eokmBatches.length - have) / eokmBatches.length))
      await sleep(delay)
      await node.kill9()
      figures.faults++
      const a = await audit(gb)
      const got = a.batchHashes[origin] ?? []
      if (got.length < eokmBatches.length) figures.midway++
      assert.ok(got.length >= have, `sync kill ${k}: GB went back from ${have} to ${got.length} batches`)
      assert.deepEqual(got, eokmBatches.slice(0, got.length), `sync kill ${k}: GB holds a prefix of EOKM's log`)
      init.say(`sync kill ${k + 1}/${init.syncKills}: ${delay}/${syncMs} ms into a pull from batch ${have + 1}; GB verified ${got.length}/${eokmBatches.length} batches`)
    }

    // ---- everyone up again: all converge on the same heads and the same current sets
    await start(gb)
    const nodes = [eokm, de, gb]
    const converged = await until(async () => {
      const heads = await Promise.all(nodes.map(async m => (await headSeqs(procs.get(m.name)!.adminUrl)).get(origin) ?? 0))
      return heads.every(h => h === eokmBatches.length)
    }, 120_000, 200)
    assert.ok(converged, 'every node reached EOKM\'s head')
    for (const m of nodes) assert.equal(await procs.get(m.name)!.stop(), 0, `${m.name} stops cleanly`)
    const audits = await Promise.all(nodes.map(audit))
    for (const [i, a] of audits.entries()) {
      assert.deepEqual(a.heads, audits[0].heads, `${nodes[i].name}: same per-origin heads`)
      assert.deepEqual(a.digests, audits[0].digests, `${nodes[i].name}: same current-set digests`)
      figures.lost += Math.max(0, expected - (a.current[origin] ?? 0))
    }
    assert.equal(figures.lost, 0)
    return figures
  } finally {
    for (const p of procs.values()) await p.kill9().catch(() => {})
  }
}

async function currentAt (adminUrl: string, origin: string): Promise<number> {
  const res = await fetch(`${adminUrl}/v1/hashes/origins`)
  const body = await res.json() as { origins: Array<{ origin: string, entries: number }> }
  return body.origins.find(o => o.origin === origin)?.entries ?? 0
}

/** Appends `batches` batches of random SHA-256 adds to a stopped node's own log. */
async function prebuildLog (m: TestMember, batches: number, perBatch: number): Promise<void> {
  const files = await loadNodeFiles(m.dir)
  const store = await Store.open(nodeDir(m.dir).store)
  try {
    const log = await openHashLog({ store, logger: pino({ level: 'silent' }), batchEntries: perBatch })
    for (let i = 0; i < batches; i++) await log.append(files.identity, randomAdds(perBatch))
    await log.close()
  } finally {
    await store.close()
  }
}
