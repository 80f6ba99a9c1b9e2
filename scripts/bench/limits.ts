// Scenario 1: the limits every other figure is set beside, measured in the same run:
// bulk throughput of one noise+yamux libp2p stream between two processes on loopback, and
// LevelDB atomic batch writes of our record shape (a signed batch + its index rows + head).
//
//   node dist/scripts/bench/limits.js [--scale 0.1]
import '../../src/polyfill.js'
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { multiaddr } from '@multiformats/multiaddr'
import { createNodeLibp2p } from '../../src/net/create-libp2p.js'
import { Store, type BatchOp } from '../../src/store/store.js'
import { openHashLog } from '../../src/log/hash-log.js'
import { generateIdentityKey, identityFromKeyBytes } from '../../src/identity/identity.js'
import { buildBatch } from '../../src/log/batch.js'
import { entryToProto } from '../../src/log/entry-codec.js'
import { benchArgs, report, type BenchArgs, type Figure } from './bench-kit.js'

export const SINK_PROTOCOL = '/hashfed-bench/sink/1.0.0'

export interface Limits {
  /** bytes/s over one libp2p stream */
  channelBytesPerSecond: number
  /** SHA-256 entries/s LevelDB takes in our record shape */
  storeEntriesPerSecond: number
  /** entries/s a node applies from already-received signed batches (decode, verify, write) */
  applyEntriesPerSecond: number
}

/** Throughput of one stream in 64 KiB messages, sender and sink in separate processes. */
export async function channelLimit (totalBytes: number): Promise<number> {
  const child = spawn(process.execPath, [fileURLToPath(new URL('./channel-peer.js', import.meta.url))], { stdio: ['pipe', 'pipe', 'inherit'] })
  const first = await new Promise<string>((resolve) => createInterface({ input: child.stdout }).once('line', resolve))
  const { addr } = JSON.parse(first) as { addr: string }
  const node = await createNodeLibp2p({ privateKey: await generateKeyPair('Ed25519'), listen: ['/ip4/127.0.0.1/tcp/0'], gater: {} })
  try {
    const chunk = new Uint8Array(randomBytes(64 * 1024))
    // warm-up: connection, handshake, yamux window growth
    for (const bytes of [4 * 1024 * 1024, totalBytes]) {
      const stream = await node.dialProtocol(multiaddr(addr), SINK_PROTOCOL)
      const start = performance.now()
      for (let sent = 0; sent < bytes; sent += chunk.length) {
        if (!stream.send(chunk)) await stream.onDrain()
      }
      await stream.close()
      let answer = ''
      for await (const part of stream) answer += new TextDecoder().decode(part.subarray())
      const seconds = (performance.now() - start) / 1000
      if (bytes === totalBytes) {
        if (Number(answer) < bytes) throw new Error(`sink received ${answer} of ${bytes} bytes`)
        return bytes / seconds
      }
    }
    throw new Error('unreachable')
  } finally {
    await node.stop()
    child.stdin.end()
  }
}

function sha256Adds (n: number): ReturnType<typeof entryToProto>[] {
  const all = randomBytes(32 * n)
  return Array.from({ length: n }, (_, i) => entryToProto({ op: 'add', record: { algorithm: 'sha256', value: all.subarray(i * 32, i * 32 + 32), classification: 'baseline' } }))
}

/**
 * LevelDB limit and apply rate for `entries` SHA-256 entries in batches of 10,000: signed
 * batches are prepared first (not timed), then applied to a fresh store through the real
 * write path, and separately written as raw rows of the same shape.
 */
export async function storeLimits (entries: number): Promise<{ store: number, apply: number }> {
  const dir = await mkdtemp(join(tmpdir(), 'hashfed-bench-store-'))
  try {
    const identity = identityFromKeyBytes(await generateIdentityKey())
    const origin = identity.peerId.toString()
    const batches: Array<{ signed: Uint8Array, hash: Uint8Array }> = []
    let prev: Uint8Array = new Uint8Array()
    for (let seq = 1; seq * 10_000 <= entries; seq++) {
      const b = buildBatch({ identity, seq, prevHash: prev, entries: sha256Adds(10_000) })
      batches.push(b)
      prev = b.hash
    }
    const n = batches.length * 10_000

    const storeA = await Store.open(join(dir, 'apply'), { create: true })
    const log = await openHashLog({ store: storeA })
    let start = performance.now()
    for (const b of batches) {
      const res = await log.applyRemote(b.signed, { isMember: () => true })
      if (res.status !== 'stored') throw new Error(`apply: ${JSON.stringify(res)}`)
    }
    const apply = n / ((performance.now() - start) / 1000)
    await log.close()
    await storeA.close()

    // raw rows of the same shape: the batch blob, 10k index rows, the head, one atomic write each
    const storeB = await Store.open(join(dir, 'raw'), { create: true })
    const row = new Uint8Array(24)
    start = performance.now()
    for (const [i, b] of batches.entries()) {
      const ops: BatchOp[] = [{ type: 'put', sublevel: storeB.sub.batches, key: `${origin}!${i.toString(16).padStart(16, '0')}`, value: b.signed } as BatchOp]
      const values = randomBytes(32 * 10_000)
      for (let k = 0; k < 10_000; k++) ops.push({ type: 'put', sublevel: storeB.sub.hashes, key: `sha256:${values.subarray(k * 32, k * 32 + 32).toString('hex')}:${origin}`, value: row })
      ops.push({ type: 'put', sublevel: storeB.sub.heads, key: origin, value: row })
      await storeB.write(ops)
    }
    const store = n / ((performance.now() - start) / 1000)
    await storeB.close()
    return { store, apply }
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

export async function measureLimits (args: BenchArgs): Promise<Limits> {
  const channelBytesPerSecond = await channelLimit(Math.max(16, Math.round(512 * args.scale)) * 1024 * 1024)
  const { store, apply } = await storeLimits(Math.max(20_000, Math.round(1_000_000 * args.scale)))
  return { channelBytesPerSecond, storeEntriesPerSecond: store, applyEntriesPerSecond: apply }
}

export function limitFigures (l: Limits): Figure[] {
  return [
    { scenario: 'limits', name: 'libp2p stream (noise+yamux, 64 KiB messages)', value: l.channelBytesPerSecond / 2 ** 20, unit: 'MiB/s' },
    { scenario: 'limits', name: 'LevelDB atomic batch writes, our record shape', value: l.storeEntriesPerSecond, unit: 'entries/s' },
    { scenario: 'limits', name: 'apply signed batches (decode, verify, write)', value: l.applyEntriesPerSecond, unit: 'entries/s', beside: 'LevelDB limit' }
  ]
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = benchArgs()
  report(args, limitFigures(await measureLimits(args)))
}
