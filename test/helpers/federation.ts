import { after } from 'node:test'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { setTimeout as sleep } from 'node:timers/promises'
import { initNode, type InitNodeResult } from '../../src/node/init-node.js'
import { loadFederation, saveFederation, withMember } from '../../src/config/federation.js'
import { nodeDir } from '../../src/config/node-dir.js'
import { HashfedNode } from '../../src/node/hashfed-node.js'
import { createLogger, type Logger } from '../../src/util/logger.js'
import { freePort } from './ports.js'

export interface TestMember extends InitNodeResult {
  name: string
  countries: string[]
  port: number
  apiPort: number
}

/** Creates node folders under `root` on free loopback ports (not yet members of each other). */
export async function createMembers (root: string, specs: Array<{ name: string, countries: string[] }>): Promise<TestMember[]> {
  const out: TestMember[] = []
  for (const spec of specs) {
    const port = await freePort()
    const apiPort = await freePort()
    const res = await initNode({
      dir: join(root, spec.name), name: spec.name, countries: spec.countries,
      listen: [`/ip4/127.0.0.1/tcp/${port}`], apiPort, checkPort: await freePort()
    })
    out.push({ ...res, ...spec, port, apiPort })
  }
  return out
}

/** Writes `members` into `node`'s federation file (its own entry stays). */
export async function addToFederation (node: TestMember, members: TestMember[]): Promise<void> {
  const path = nodeDir(node.dir).federation
  let fed = await loadFederation(path)
  for (const m of members) {
    if (m.peerId === node.peerId) continue
    fed = withMember(fed, { name: m.name, peerId: m.peerId, countries: m.countries, addresses: m.announce })
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

export async function startMember (m: TestMember, log = new CapturedLog({ node: m.name })): Promise<{ node: HashfedNode, log: CapturedLog }> {
  return { node: await HashfedNode.start({ dir: m.dir, logger: log.logger }), log }
}

/** Polls `check` until it holds or `timeoutMs` passes; returns whether it held. */
export async function waitFor (check: () => boolean | Promise<boolean>, timeoutMs = 10_000, intervalMs = 25): Promise<boolean> {
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
