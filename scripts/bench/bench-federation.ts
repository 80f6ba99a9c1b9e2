// Node folders and processes for benchmarks: like the tests' helpers, without node:test.
import { spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { join, resolve } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { nodeDir } from '../../src/config/node-dir.js'
import { readLiveRuntime } from '../../src/context/runtime-file.js'
import { addToFederation, createMembers, keepAddressless, publishRuntime, type TestMember } from '../../test/helpers/federation.js'
import { Store } from '../../src/store/store.js'
import { openHashLog } from '../../src/log/hash-log.js'
import type { HashRecord } from '../../src/log/entry.js'
import { loadKeyFile } from '../../src/identity/key-file.js'
import { ContentIdIndex } from '../../src/check-api/hma/content-id-index.js'
import { createLogger } from '../../src/util/logger.js'

export type BenchMember = TestMember

/**
 * `n` node folders that all list each other (or only `links`, when given: [from, to] pairs they
 * dial). Every server binds port 0: startProcess (or publishAddresses for an in-process node)
 * tells the others the real addresses once a node runs.
 */
export async function benchFederation (root: string, names: string[], links?: Array<[number, number]>): Promise<BenchMember[]> {
  const countries = ['NL', 'DE', 'GB', 'FR', 'BE', 'AT', 'IT', 'ES', 'PL', 'SE', 'DK', 'FI', 'IE', 'PT', 'CZ']
  const members = await createMembers(root, names.map((name, i) => ({ name, countries: [countries[i % countries.length]] })))
  for (const [i, m] of members.entries()) {
    await addToFederation(m, members)
    for (const [j, o] of members.entries()) {
      const dial = links === undefined || links.some(([a, b]) => a === i && b === j)
      if (o !== m && !dial) keepAddressless(m, o)
    }
  }
  return members
}

const bareSha256 = (_i: number, value: Uint8Array): HashRecord => ({ algorithm: 'sha256', value, classification: 'baseline' })

/**
 * Appends `n` random entries to a stopped node's own log, in batches of 10,000 (`make` turns
 * the i-th random 32 bytes into a record: by default a bare SHA-256); returns the signed
 * batches' bytes.
 */
export async function populate (m: BenchMember, n: number, make: (i: number, value: Uint8Array) => HashRecord = bareSha256): Promise<number> {
  const dir = nodeDir(m.dir)
  const identity = await loadKeyFile(dir.key)
  const store = await Store.open(dir.store)
  const log = await openHashLog({ store })
  for (let done = 0; done < n; done += 10_000) {
    const k = Math.min(10_000, n - done)
    const bytes = randomBytes(32 * k)
    await log.append(identity, Array.from({ length: k }, (_, i) => ({ op: 'add' as const, record: make(done + i, bytes.subarray(i * 32, i * 32 + 32)) })))
  }
  let bytes = 0
  for await (const b of log.readRange(identity.peerId.toString(), 1)) bytes += b.length
  await log.close()
  await store.close()
  return bytes
}

/**
 * Writes the HMA bank_content_id rows of a stopped node's store, as its first start would in
 * the background (ContentIdIndex): a node in its steady state, not one still writing a
 * million rows (and compacting them) behind whatever is measured. Returns seconds.
 */
export async function writeContentIds (m: BenchMember): Promise<number> {
  const store = await Store.open(nodeDir(m.dir).store)
  const log = await openHashLog({ store })
  const start = performance.now()
  const ids = new ContentIdIndex(store, log, createLogger({ component: 'bench' }))
  ids.start()
  await ids.settled()
  await ids.close()
  await log.close()
  await store.close()
  return (performance.now() - start) / 1000
}

export interface NodeProcess { child: ChildProcess, api: string, stop: () => Promise<void> }

/** `hashfed start` as a child process; resolves once its admin API answers and the others know its address. */
export async function startProcess (m: BenchMember): Promise<NodeProcess> {
  // HASHFED_BENCH_CPU_PROF=<dir>: each node writes a V8 CPU profile there when it stops
  const prof = process.env.HASHFED_BENCH_CPU_PROF
  const flags = prof !== undefined ? ['--cpu-prof', '--cpu-prof-dir', prof] : []
  const child = spawn(process.execPath, [...flags, resolve('dist/src/cli/main.js'), 'start', '--dir', m.dir], { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, HASHFED_LOG_LEVEL: 'warn' } })
  let api = ''
  for (let i = 0; i < 1200 && api === ''; i++) {
    if (child.exitCode !== null) throw new Error(`${m.name} exited with ${child.exitCode}`)
    const rt = await readLiveRuntime(nodeDir(m.dir))
    if (rt !== null && rt.pid === child.pid && await fetch(`${rt.adminUrl}/v1/hashes/origins`).then(r => r.ok, () => false)) {
      api = rt.adminUrl
      await publishRuntime(m.dir, rt)
    } else await sleep(50)
  }
  if (api === '') throw new Error(`${m.name} did not come up`)
  const exited = new Promise<void>((res) => child.once('exit', () => res()))
  return { child, api, stop: async () => { if (child.exitCode === null) child.kill('SIGTERM'); await exited } }
}

export async function originEntries (api: string, origin: string): Promise<number> {
  const res = await fetch(`${api}/v1/hashes/origins`).then(async r => await r.json() as { origins: Array<{ origin: string, entries: number }> }, () => ({ origins: [] }))
  return res.origins.find(o => o.origin === origin)?.entries ?? 0
}
