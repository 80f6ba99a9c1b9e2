import { fork, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { Writable } from 'node:stream'
import { setTimeout as sleep } from 'node:timers/promises'
import { HashfedNode, type StartNodeInit } from '../../src/daemon/hashfed-node.js'
import { createLogger } from '../../src/util/logger.js'
import { randomAdds } from './hashes.js'
import { publishRuntime } from './federation.js'

// A HashfedNode in a child process of its own, so that a test can measure that node's memory
// alone (RSS of the test process would include the attackers and the other nodes). It is the
// real node with test options (penalties, sync timing) that `hashfed start` does not take.
// It can also publish batches of its own (an honest origin kept apart from the attackers'
// CPU in the test process). Its servers bind port 0 like every test node: once it runs, its
// real addresses are published to the other members (publishRuntime), as startMember does.
// Run as a script: node node-child.js <dir> <StartNodeInit as JSON>.

/** Messages the child sends. */
export type ChildEvent =
  | { type: 'ready', adminUrl: string, pid: number, listen: string[] }
  | { type: 'batch', origin: string, seq: number, at: number }
  | { type: 'memory', rss: number, peakRss: number, heapUsed: number }
  /** a `publish` loop ended */
  | { type: 'published' }
  | { type: 'error', message: string }

/** Messages the child takes. */
type ChildCommand =
  /** collect garbage (the child runs with --expose-gc), then answer `memory` with the peak restarted */
  | { type: 'gc' }
  /** answer `memory`: RSS now and the highest RSS sampled since the last `gc` */
  | { type: 'memory' }
  /** append a batch of `entries` random hashes every `everyMs`, `count` times or until `stop-publishing` */
  | { type: 'publish', everyMs: number, entries: number, count?: number }
  | { type: 'stop-publishing' }
  | { type: 'stop' }

/** How often the child samples its RSS for the peak. */
const SAMPLE_MS = 50

export interface NodeChild {
  child: ChildProcess
  adminUrl: string
  pid: number
  /** the libp2p addresses it listens on (bound to port 0: known once it runs) */
  listen: string[]
  /** batches the node stored, its own included, as they were stored (its clock is the test's clock: same machine) */
  readonly batches: Array<{ origin: string, seq: number, at: number }>
  /** publishes batches of its own; resolves when the loop ends (`count` reached or `stopPublishing`) */
  publish: (opts: { everyMs: number, entries: number, count?: number }) => Promise<void>
  stopPublishing: () => void
  /** garbage-collects in the child; its RSS then, the peak restarts from here */
  gc: () => Promise<{ rss: number, peakRss: number, heapUsed: number }>
  memory: () => Promise<{ rss: number, peakRss: number, heapUsed: number }>
  stop: () => Promise<void>
}

/**
 * Starts the node of `dir` in a child process, waits until its admin API listens, and publishes
 * its real addresses to the other members of the test's federation.
 */
export async function startNodeChild (dir: string, options: Omit<StartNodeInit, 'dir' | 'logger'> = {}): Promise<NodeChild> {
  const child = fork(fileURLToPath(import.meta.url), [dir, JSON.stringify(options)], { execArgv: ['--expose-gc'], stdio: ['ignore', 'ignore', 'pipe', 'ipc'] })
  let stderr = ''
  child.stderr?.on('data', (d: Buffer) => { stderr += d.toString() })
  const batches: NodeChild['batches'] = []
  let answer: ((m: Extract<ChildEvent, { type: 'memory' }>) => void) | null = null
  let published: (() => void) | null = null
  const ready = new Promise<{ adminUrl: string, pid: number, listen: string[] }>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`node child exited (${String(code)}) before it was ready: ${stderr}`)))
    child.on('message', (m: ChildEvent) => {
      if (m.type === 'ready') resolve(m)
      else if (m.type === 'error') reject(new Error(m.message))
      else if (m.type === 'batch') batches.push({ origin: m.origin, seq: m.seq, at: m.at })
      else if (m.type === 'memory') answer?.(m)
      else if (m.type === 'published') published?.()
    })
  })
  const { adminUrl, pid, listen } = await ready
  await publishRuntime(dir, { pid, listen, adminUrl })
  const ask = async (cmd: ChildCommand): Promise<{ rss: number, peakRss: number, heapUsed: number }> => await new Promise(resolve => {
    answer = (m) => { answer = null; resolve({ rss: m.rss, peakRss: m.peakRss, heapUsed: m.heapUsed }) }
    child.send(cmd)
  })
  const exited = new Promise<void>(resolve => { if (child.exitCode !== null) resolve(); else child.once('exit', () => resolve()) })
  return {
    child,
    adminUrl,
    pid,
    listen,
    batches,
    gc: async () => await ask({ type: 'gc' }),
    memory: async () => await ask({ type: 'memory' }),
    publish: async (opts) => await new Promise<void>(resolve => {
      published = () => { published = null; resolve() }
      child.send({ type: 'publish', ...opts } satisfies ChildCommand)
    }),
    stopPublishing: () => { child.send({ type: 'stop-publishing' } satisfies ChildCommand) },
    stop: async () => {
      if (child.exitCode === null && child.connected) child.send({ type: 'stop' } satisfies ChildCommand)
      const killed = setTimeout(() => child.kill('SIGKILL'), 20_000)
      await exited
      clearTimeout(killed)
    }
  }
}

async function runChild (dir: string, options: Omit<StartNodeInit, 'dir' | 'logger'>): Promise<void> {
  const send = (m: ChildEvent): void => { process.send?.(m) }
  // logs are dropped: a flood of warnings is not what is measured here
  const logger = createLogger({ node: 'child' }, new Writable({ write (_c, _e, cb) { cb() } }))
  const node = await HashfedNode.start({ dir, logger, ...options })
  node.hashLog.on('batch', (e) => send({ type: 'batch', origin: e.origin, seq: e.seq, at: Date.now() }))
  let peak = process.memoryUsage.rss()
  const sampler = setInterval(() => { peak = Math.max(peak, process.memoryUsage.rss()) }, SAMPLE_MS)
  const memory = (): ChildEvent => ({ type: 'memory', rss: process.memoryUsage.rss(), peakRss: Math.max(peak, process.memoryUsage.rss()), heapUsed: process.memoryUsage().heapUsed })
  let publishing = false
  const publish = async (everyMs: number, entries: number, count: number): Promise<void> => {
    publishing = true
    for (let i = 0; i < count && publishing; i++) {
      if (i > 0) await sleep(everyMs)
      await node.hashLog.append(node.ctx.identity, randomAdds(entries))
    }
    publishing = false
    send({ type: 'published' })
  }
  process.on('message', (cmd: ChildCommand) => {
    if (cmd.type === 'publish') {
      void publish(cmd.everyMs, cmd.entries, cmd.count ?? Infinity)
    } else if (cmd.type === 'stop-publishing') {
      publishing = false
    } else if (cmd.type === 'gc') {
      (globalThis as { gc?: () => void }).gc?.()
      peak = process.memoryUsage.rss()
      send(memory())
    } else if (cmd.type === 'memory') {
      send(memory())
    } else if (cmd.type === 'stop') {
      clearInterval(sampler)
      void node.stop().finally(() => process.exit(0))
    }
  })
  process.on('disconnect', () => { clearInterval(sampler); void node.stop().finally(() => process.exit(0)) })
  send({ type: 'ready', adminUrl: node.adminUrl, pid: process.pid, listen: node.listenAddresses() })
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  runChild(process.argv[2], JSON.parse(process.argv[3] ?? '{}') as Omit<StartNodeInit, 'dir' | 'logger'>).catch((err: Error) => {
    process.send?.({ type: 'error', message: err.stack ?? err.message } satisfies ChildEvent)
    process.exit(1)
  })
}
