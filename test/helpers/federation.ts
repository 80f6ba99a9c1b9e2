import { after } from 'node:test'
import { access } from 'node:fs/promises'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { setTimeout as sleep } from 'node:timers/promises'
import { initNode, type InitNodeResult } from '../../src/node/init-node.js'
import { loadFederation, saveFederation, withMember } from '../../src/config/federation.js'
import { nodeDir } from '../../src/config/node-dir.js'
import { HashfedNode, type StartNodeInit } from '../../src/daemon/hashfed-node.js'
import { createLogger, type Logger } from '../../src/util/logger.js'

export interface TestMember extends InitNodeResult {
  name: string
  countries: string[]
  /** libp2p port of the running node (0 until startMember started it; a restart changes it) */
  port: number
  /** admin API port of the running node (0 until started) */
  apiPort: number
}

/**
 * Creates node folders under `root` (not yet members of each other). Every server binds port 0:
 * the real addresses are known once startMember has started a node, and startMember then writes
 * them into the other members' federation files (running ones apply it at once).
 */
export async function createMembers (root: string, specs: Array<{ name: string, countries: string[] }>): Promise<TestMember[]> {
  const out: TestMember[] = []
  for (const spec of specs) {
    const res = await initNode({
      dir: join(root, spec.name), name: spec.name, countries: spec.countries,
      listen: ['/ip4/127.0.0.1/tcp/0'], apiPort: 0, checkPort: 0
    })
    const m: TestMember = { ...res, ...spec, port: 0, apiPort: 0 }
    known.push(m)
    out.push(m)
  }
  return out
}

/** A member's running node: in this process, or a `hashfed start` child reached through its admin API. */
type Running = { kind: 'node', node: HashfedNode } | { kind: 'process', pid: number, adminUrl: string }

/** Every member this test file created, and what runs for it (if anything). */
const known: TestMember[] = []
const live = new Map<string, Running>()
/** serialises address publishing, so two members starting together both learn each other's address */
let publishing: Promise<void> = Promise.resolve()

function running (peerId: string): Running | undefined {
  const r = live.get(peerId)
  if (r === undefined) return undefined
  if (r.kind === 'node') return r.node.libp2p.status === 'started' ? r : undefined
  try {
    process.kill(r.pid, 0)
    return r
  } catch {
    return undefined
  }
}

/** "holder peerId> m peerId" pairs whose entry stays without addresses (m dials holder, not back) */
const addressless = new Set<string>()

/** `holder`'s federation file keeps no address for `m` (a topology where only m dials): startMember leaves it. */
export function keepAddressless (holder: TestMember, m: TestMember): void {
  addressless.add(`${holder.peerId}>${m.peerId}`)
}

/** Sets `m`'s addresses in `holder`'s federation file, if it lists m (a running holder applies it now). */
async function updateAddress (holder: TestMember, m: TestMember): Promise<void> {
  if (addressless.has(`${holder.peerId}>${m.peerId}`)) return
  const path = nodeDir(holder.dir).federation
  // a member of an earlier run whose folder is gone lists no one
  if (!await access(path).then(() => true, () => false)) return
  const fed = await loadFederation(path)
  const entry = fed.members.find(e => e.peerId === m.peerId)
  if (entry === undefined) return
  const member = { ...entry, addresses: m.announce }
  // a running holder may have read its file before it was last written: always apply
  const r = running(holder.peerId)
  if (r?.kind === 'node') {
    await r.node.addMember(member)
    return
  }
  if (r?.kind === 'process') {
    const res = await fetch(`${r.adminUrl}/v1/federation/members`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(member) }).catch(() => null)
    if (res?.ok === true) return
    // it went away meanwhile (a crash test's kill): its file is what it reads when it comes back
  }
  if (entry.addresses.join(' ') !== m.announce.join(' ')) await saveFederation(path, withMember(fed, member))
}

/**
 * Records the real addresses of `m`'s running node in `m` and in every member's federation file
 * that lists it, and gives `node` the addresses of the members already running.
 */
export async function publishAddresses (m: TestMember, node: HashfedNode): Promise<void> {
  await publish(m, node.listenAddresses(), { kind: 'node', node }, node.adminUrl)
}

/** The same for a peer that is not a HashfedNode (e.g. a HostilePeer started for member `m`). */
export async function publishPeer (m: TestMember, peer: { libp2p: { getMultiaddrs: () => Array<{ toString: () => string }> } }): Promise<void> {
  await publish(m, peer.libp2p.getMultiaddrs().map(a => a.toString()))
}

/** The same for a `hashfed start` process in a member's folder, from its runtime.json (no-op for other folders). */
export async function publishRuntime (dir: string, runtime: { pid: number, listen: string[], adminUrl: string }): Promise<void> {
  const m = known.find(k => k.dir === dir)
  if (m !== undefined) await publish(m, runtime.listen, { kind: 'process', pid: runtime.pid, adminUrl: runtime.adminUrl }, runtime.adminUrl)
}

async function publish (m: TestMember, addresses: string[], runner?: Running, adminUrl?: string): Promise<void> {
  const step = publishing.then(async () => {
    const listen = addresses.filter(a => a.includes('/tcp/')).map(a => a.replace(/\/p2p\/.*$/, ''))
    m.announce = listen
    m.port = Number(/\/tcp\/(\d+)/.exec(listen[0] ?? '')?.[1] ?? 0)
    if (adminUrl !== undefined) m.apiPort = Number(new URL(adminUrl).port)
    if (runner !== undefined) live.set(m.peerId, runner)
    for (const other of known) {
      if (other === m || other.peerId === m.peerId) continue
      await updateAddress(other, m)
      if (runner !== undefined && running(other.peerId) !== undefined) await updateAddress(m, other)
    }
  })
  publishing = step.catch(() => {})
  await step
}

/** Writes `members` into `node`'s federation file (its own entry stays). */
export async function addToFederation (node: TestMember, members: TestMember[]): Promise<void> {
  const path = nodeDir(node.dir).federation
  let fed = await loadFederation(path)
  for (const m of members) {
    if (m.peerId === node.peerId) continue
    fed = withMember(fed, { name: m.name, peerId: m.peerId, countries: m.countries, addresses: m.announce, ...(m.recoveryKey !== undefined ? { recoveryKey: m.recoveryKey } : {}) })
  }
  await saveFederation(path, fed)
}

/** A federation where every node lists every other one. */
export async function createFederation (root: string, specs: Array<{ name: string, countries: string[] }>): Promise<TestMember[]> {
  const members = await createMembers(root, specs)
  for (const m of members) await addToFederation(m, members)
  return members
}

/** Log lines a node wrote, parsed, so tests can assert on what was logged. */
export class CapturedLog {
  readonly lines: Array<Record<string, unknown>> = []
  readonly logger: Logger

  constructor (bindings: Record<string, unknown> = {}) {
    const lines = this.lines
    this.logger = createLogger(bindings, new Writable({
      write (chunk: Buffer, _enc, cb) {
        for (const l of chunk.toString().split('\n')) if (l.trim() !== '') lines.push(JSON.parse(l) as Record<string, unknown>)
        cb()
      }
    }))
  }

  find (pred: (l: Record<string, unknown>) => boolean): Record<string, unknown> | undefined {
    return this.lines.find(pred)
  }
}

/** Starts `m`'s node in this process (with any StartNodeInit extras) and publishes its real addresses. */
export async function startMember (m: TestMember, log = new CapturedLog({ node: m.name }), extra: Omit<StartNodeInit, 'dir' | 'logger'> = {}): Promise<{ node: HashfedNode, log: CapturedLog }> {
  const node = await HashfedNode.start({ dir: m.dir, logger: log.logger, ...extra })
  await publishAddresses(m, node)
  return { node, log }
}

/** Polls `check` until it holds or `timeoutMs` passes; returns whether it held (generous by default: a loaded 2-core machine is slow, a passing check returns at once). */
export async function waitFor (check: () => boolean | Promise<boolean>, timeoutMs = 30_000, intervalMs = 25): Promise<boolean> {
  const end = Date.now() + timeoutMs
  while (Date.now() < end) {
    if (await check()) return true
    await sleep(intervalMs)
  }
  return await check()
}

/** Nodes a test file starts; whatever still runs is stopped when the file ends. */
export function nodePool (): { start: (m: TestMember) => Promise<HashfedNode>, stop: (node: HashfedNode) => Promise<void> } {
  const running = new Set<HashfedNode>()
  after(async () => { await Promise.all([...running].map(async n => await n.stop())) })
  return {
    start: async (m) => {
      const { node } = await startMember(m)
      running.add(node)
      return node
    },
    stop: async (node) => {
      await node.stop()
      running.delete(node)
    }
  }
}
