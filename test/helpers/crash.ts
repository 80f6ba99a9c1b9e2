import { createHash, randomBytes } from 'node:crypto'
import { spawn, type ChildProcess } from 'node:child_process'
import { rm, writeFile } from 'node:fs/promises'
import { setTimeout as sleep } from 'node:timers/promises'
import { pino } from 'pino'
import { nodeDir } from '../../src/config/node-dir.js'
import { Store } from '../../src/store/store.js'
import { openHashLog } from '../../src/log/hash-log.js'
import { readLiveRuntime } from '../../src/context/runtime-file.js'
import { pb } from '../../src/proto/index.js'
import { CLI, startCliNode } from './cli.js'
import { publishRuntime, waitFor } from './federation.js'

// Kill -9 at seeded random points, then look at what the store holds. The PRNG is seeded so
// that a failing run can be repeated exactly: HASHFED_FAULT_SEED=<printed seed>.

/** mulberry32: a tiny seeded PRNG, plenty for picking kill points. */
export function prng (seed: number): { next: () => number, int: (min: number, max: number) => number } {
  let a = seed >>> 0
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  return { next, int: (min, max) => min + Math.floor(next() * (max - min + 1)) }
}

export function faultSeed (): number {
  const env = process.env.HASHFED_FAULT_SEED
  return env !== undefined ? Number(env) : Math.floor(Math.random() * 2 ** 31)
}

/** A `hashfed start` child process. */
export interface NodeProcess {
  child: ChildProcess
  output: () => string
  adminUrl: string
  /** kill -9: no shutdown code runs */
  kill9: () => Promise<void>
  /** SIGTERM, and the exit code */
  stop: () => Promise<number | null>
}

/** Starts `hashfed start --dir` and waits until its admin API answers. */
export async function startNode (dir: string): Promise<NodeProcess> {
  const p = startCliNode(dir)
  const exited = new Promise<void>(resolve => p.child.once('exit', () => resolve()))
  let adminUrl = ''
  const up = await waitFor(async () => {
    if (p.child.exitCode !== null) return true
    const rt = await readLiveRuntime(nodeDir(dir))
    if (rt === null || rt.pid !== p.child.pid) return false
    adminUrl = rt.adminUrl
    if (!await fetch(`${adminUrl}/v1/hashes/origins`).then(r => r.ok, () => false)) return false
    // its servers bound port 0: the other members learn where it listens now
    await publishRuntime(dir, rt)
    return true
  }, 60_000, 50)
  if (!up || p.child.exitCode !== null) {
    await p.stop()
    throw new Error(`hashfed start did not come up in ${dir}:\n${p.output()}`)
  }
  return {
    child: p.child,
    output: p.output,
    adminUrl,
    kill9: async () => {
      if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL')
      await exited
    },
    stop: p.stop
  }
}

/** Per-origin head seq of a running node, from its admin API (empty on failure). */
export async function headSeqs (adminUrl: string): Promise<Map<string, number>> {
  try {
    const res = await fetch(`${adminUrl}/v1/hashes/origins`, { signal: AbortSignal.timeout(5000) })
    const body = await res.json() as { origins: Array<{ origin: string, headSeq: number }> }
    return new Map(body.origins.map(o => [o.origin, o.headSeq]))
  } catch {
    return new Map()
  }
}

/** A child process that can be killed -9 (the CLI itself, e.g. an offline import). */
export function spawnCli (args: string[]): { child: ChildProcess, done: Promise<{ code: number | null, signal: NodeJS.Signals | null, stdout: string, stderr: string }> } {
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout?.on('data', (d: Buffer) => { stdout += d.toString() })
  child.stderr?.on('data', (d: Buffer) => { stderr += d.toString() })
  const done = new Promise<{ code: number | null, signal: NodeJS.Signals | null, stdout: string, stderr: string }>(resolve => child.once('close', (code, signal) => resolve({ code, signal, stdout, stderr })))
  return { child, done }
}

/** A file of `n` random SHA-256 values, one per line; returns the values. */
export async function writeHashFile (path: string, n: number): Promise<string[]> {
  const values = Array.from({ length: n }, () => randomBytes(32).toString('hex'))
  await writeFile(path, values.join('\n') + '\n')
  return values
}

export interface StoreAudit {
  /** per origin: `seq:headHash` */
  heads: Record<string, string>
  /** per origin: SHA-256 over its current set (sorted `alg:value` refs with their metadata) */
  digests: Record<string, string>
  /** per origin: hashes in the current set */
  current: Record<string, number>
  /** batches re-verified plus index rows checked */
  records: number
  /** per origin: the hash of each batch, seq 1 first */
  batchHashes: Record<string, string[]>
}

/**
 * Opens a (stopped or killed) node's store and checks that it holds only verified data: it
 * opens at all; every origin's chain verifies (signature, seq, prev-hash, head row); the
 * current-set index agrees with the head's count. Throws with the first problem.
 */
export async function auditStore (dir: string): Promise<StoreAudit> {
  const store = await Store.open(nodeDir(dir).store)
  try {
    const log = await openHashLog({ store, logger: pino({ level: 'silent' }) })
    const out: StoreAudit = { heads: {}, digests: {}, current: {}, records: 0, batchHashes: {} }
    for (const h of log.heads()) {
      const v = await log.verifyOrigin(h.origin)
      if (!v.ok) throw new Error(`${dir}: origin ${h.origin} does not verify at batch ${v.seq}: ${v.problem}: ${v.message}`)
      out.records += v.batches
      out.heads[h.origin] = `${h.seq}:${Buffer.from(h.hash).toString('hex')}`
      const hashes: string[] = []
      for await (const signed of log.readRange(h.origin, 1)) hashes.push(createHash('sha256').update(pb.Signed.decode(signed).body).digest('hex'))
      out.batchHashes[h.origin] = hashes
    }
    const rows = new Map<string, string[]>()
    for await (const [key, value] of store.sub.hashes.iterator()) {
      out.records++
      const p = pb.Provenance.decode(value)
      if (p.retracted === true) continue
      const origin = key.slice(key.lastIndexOf(':') + 1)
      const list = rows.get(origin) ?? []
      list.push(`${key.slice(0, key.lastIndexOf(':'))} ${Buffer.from(pb.HashEntry.encode(p.entry ?? {}).finish()).toString('hex')}`)
      rows.set(origin, list)
    }
    for (const h of log.heads()) {
      const list = (rows.get(h.origin) ?? []).sort()
      if (list.length !== h.current) throw new Error(`${dir}: origin ${h.origin}: the head counts ${h.current} current hashes, the index holds ${list.length}`)
      out.current[h.origin] = list.length
      out.digests[h.origin] = createHash('sha256').update(list.join('\n')).digest('hex')
    }
    await log.close()
    return out
  } finally {
    await store.close()
  }
}

/** Removes a node's store: the node starts fresh and pulls everything again. */
export async function wipeStore (dir: string): Promise<void> {
  await rm(nodeDir(dir).store, { recursive: true, force: true })
  await (await Store.open(nodeDir(dir).store, { create: true })).close()
}

/** Waits until `check` holds, polling every `ms`. */
export async function until (check: () => Promise<boolean>, timeoutMs: number, ms = 15): Promise<boolean> {
  const end = Date.now() + timeoutMs
  while (Date.now() < end) {
    if (await check()) return true
    await sleep(ms)
  }
  return false
}
