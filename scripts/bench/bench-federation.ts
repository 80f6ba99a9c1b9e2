// Node folders and processes for benchmarks: like the tests' helpers, without node:test.
import { spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { join, resolve } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { initNode, type InitNodeResult } from '../../src/node/init-node.js'
import { loadFederation, saveFederation, withMember } from '../../src/config/federation.js'
import { nodeDir } from '../../src/config/node-dir.js'
import { Store } from '../../src/store/store.js'
import { openHashLog } from '../../src/log/hash-log.js'
import { loadKeyFile } from '../../src/identity/key-file.js'

export interface BenchMember extends InitNodeResult { name: string, apiPort: number, port: number }

import { freePort } from '../../src/net/free-port.js'
export { freePort }

/** `n` node folders that all list each other (or only `links`, when given: [from, to] pairs they dial). */
export async function benchFederation (root: string, names: string[], links?: Array<[number, number]>): Promise<BenchMember[]> {
  const countries = ['NL', 'DE', 'GB', 'FR', 'BE', 'AT', 'IT', 'ES', 'PL', 'SE', 'DK', 'FI', 'IE', 'PT', 'CZ']
  const members: BenchMember[] = []
  for (const [i, name] of names.entries()) {
    const port = await freePort()
    const apiPort = await freePort()
    const r = await initNode({ dir: join(root, name), name, countries: [countries[i % countries.length]], listen: [`/ip4/127.0.0.1/tcp/${port}`], apiPort, checkPort: await freePort() })
    members.push({ ...r, name, apiPort, port })
  }
  for (const [i, m] of members.entries()) {
    const path = nodeDir(m.dir).federation
    let fed = await loadFederation(path)
    for (const [j, o] of members.entries()) {
      if (o === m) continue
      const dial = links === undefined || links.some(([a, b]) => a === i && b === j)
      fed = withMember(fed, { name: o.name, peerId: o.peerId, countries: [countries[j % countries.length]], addresses: dial ? o.announce : [] })
    }
    await saveFederation(path, fed)
  }
  return members
}

/** Appends `n` random SHA-256 entries to a stopped node's own log, in batches of 10,000; returns the signed batches' bytes. */
export async function populate (m: BenchMember, n: number): Promise<number> {
  const dir = nodeDir(m.dir)
  const identity = await loadKeyFile(dir.key)
  const store = await Store.open(dir.store)
  const log = await openHashLog({ store })
  for (let done = 0; done < n; done += 10_000) {
    const k = Math.min(10_000, n - done)
    const bytes = randomBytes(32 * k)
    await log.append(identity, Array.from({ length: k }, (_, i) => ({ op: 'add' as const, record: { algorithm: 'sha256' as const, value: bytes.subarray(i * 32, i * 32 + 32), classification: 'baseline' as const } })))
  }
  let bytes = 0
  for await (const b of log.readRange(identity.peerId.toString(), 1)) bytes += b.length
  await log.close()
  await store.close()
  return bytes
}

export interface NodeProcess { child: ChildProcess, api: string, stop: () => Promise<void> }

/** `hashfed start` as a child process; resolves once its admin API answers. */
export async function startProcess (m: BenchMember): Promise<NodeProcess> {
  const child = spawn(process.execPath, [resolve('dist/src/cli/main.js'), 'start', '--dir', m.dir], { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, HASHFED_LOG_LEVEL: 'warn' } })
  const api = `http://127.0.0.1:${m.apiPort}`
  for (let i = 0; i < 600; i++) {
    if (child.exitCode !== null) throw new Error(`${m.name} exited with ${child.exitCode}`)
    if (await fetch(`${api}/v1/hashes/origins`).then(r => r.ok, () => false)) break
    await sleep(50)
  }
  const exited = new Promise<void>((res) => child.once('exit', () => res()))
  return { child, api, stop: async () => { if (child.exitCode === null) child.kill('SIGTERM'); await exited } }
}

export async function originEntries (api: string, origin: string): Promise<number> {
  const res = await fetch(`${api}/v1/hashes/origins`).then(async r => await r.json() as { origins: Array<{ origin: string, entries: number }> }, () => ({ origins: [] }))
  return res.origins.find(o => o.origin === origin)?.entries ?? 0
}
