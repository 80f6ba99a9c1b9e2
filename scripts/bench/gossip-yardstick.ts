// The convergence yardstick: gossipsub (default parameters) on `nodes` processes (gossip-peer.ts)
// linked as the hashfed topology, one message of `bytes` per batch published at node 0; per
// message, ms from the publish command until every other process reported its delivery.
// Times are taken here, on receipt of the children's lines, as hashfed's are on receipt of
// its nodes' HTTP answers.
import { spawn, type ChildProcess } from 'node:child_process'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { setTimeout as sleep } from 'node:timers/promises'
import { processCpuMs } from './bench-kit.js'

interface Peer {
  child: ChildProcess
  addr: string
  /** answers to commands, in order */
  answers: Array<(msg: Record<string, unknown>) => void>
  /** message id → when this process reported it delivered */
  delivered: Map<number, number>
  onDelivered: (() => void) | null
}

async function startPeer (): Promise<Peer> {
  const child = spawn(process.execPath, [fileURLToPath(new URL('./gossip-peer.js', import.meta.url))], { stdio: ['pipe', 'pipe', 'inherit'] })
  const peer: Peer = { child, addr: '', answers: [], delivered: new Map(), onDelivered: null }
  const ready = new Promise<void>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`gossip peer exited with ${code}`)))
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const at = performance.now()
      const msg = JSON.parse(line) as Record<string, unknown>
      if (typeof msg.delivered === 'number') {
        peer.delivered.set(msg.delivered, at)
        peer.onDelivered?.()
      } else if (typeof msg.addr === 'string') {
        peer.addr = msg.addr
        resolve()
      } else peer.answers.shift()?.(msg)
    })
  })
  await ready
  return peer
}

async function ask (p: Peer, cmd: object): Promise<Record<string, unknown>> {
  const answer = new Promise<Record<string, unknown>>((resolve) => p.answers.push(resolve))
  p.child.stdin!.write(JSON.stringify(cmd) + '\n')
  const msg = await answer
  if (typeof msg.error === 'string') throw new Error(`gossip peer: ${msg.error}`)
  return msg
}

/** Per message, ms until every process delivered it; `cpuMs`: CPU the processes used over all the messages. */
export async function gossipsubConvergence (links: Array<[number, number]>, nodes: number, batches: number, bytes: number): Promise<{ times: number[], cpuMs: number }> {
  const peers: Peer[] = []
  try {
    for (let i = 0; i < nodes; i++) peers.push(await startPeer())
    for (const [a, b] of links) if (a < b) await ask(peers[a], { op: 'dial', addr: peers[b].addr })
    // meshes form at the heartbeat (1 s): wait until each node meshes with all its neighbours
    const degree = (k: number): number => links.filter(([a]) => a === k).length
    for (let i = 0; ; i++) {
      const mesh = await Promise.all(peers.map(async p => Number((await ask(p, { op: 'mesh' })).mesh)))
      if (mesh.every((m, k) => m >= degree(k))) break
      if (i > 300) throw new Error(`gossipsub meshes did not form: ${mesh.join(' ')}`)
      await sleep(100)
    }
    const times: number[] = []
    const cpu0 = peers.reduce((sum, p) => sum + processCpuMs(p.child.pid), 0)
    for (let id = 1; id <= batches; id++) {
      const all = new Promise<void>((resolve) => {
        const check = (): void => { if (peers.slice(1).every(p => p.delivered.has(id))) resolve() }
        for (const p of peers.slice(1)) p.onDelivered = check
      })
      const t0 = performance.now()
      await ask(peers[0], { op: 'publish', bytes, id })
      const timeout = sleep(60_000).then(() => { throw new Error(`gossipsub message ${id} did not reach every node`) })
      await Promise.race([all, timeout])
      times.push(Math.max(...peers.slice(1).map(p => p.delivered.get(id) ?? Infinity)) - t0)
      await sleep(20) // as between hashfed's batches
    }
    return { times, cpuMs: peers.reduce((sum, p) => sum + processCpuMs(p.child.pid), 0) - cpu0 }
  } finally {
    await Promise.all(peers.map(async p => {
      if (p.child.exitCode !== null) return
      const exited = new Promise<void>((resolve) => p.child.once('exit', () => resolve()))
      p.child.stdin!.end()
      await Promise.race([exited, sleep(5000).then(() => { p.child.kill() })])
    }))
  }
}
