import { randomBytes } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { multiaddr } from '@multiformats/multiaddr'
import { lpStream, type LengthPrefixedStream } from '@libp2p/utils'
import type { Stream } from '@libp2p/interface'
import { loadNodeFiles } from '../../src/context/node-context.js'
import { createNodeLibp2p, type HashfedLibp2p } from '../../src/net/create-libp2p.js'
import { MAX_FRAME_BYTES, SYNC_PROTOCOL } from '../../src/sync/constants.js'
import { decodeSync, encodeSync } from '../../src/sync/sync-codec.js'
import { headsToWire } from '../../src/sync/heads-codec.js'
import { buildBatch, decodeBatch } from '../../src/log/batch.js'
import { entryToProto } from '../../src/log/entry-codec.js'
import { parsePeerId, peerIdFromBytes, peerIdToBytes, type Identity } from '../../src/identity/identity.js'
import { pb } from '../../src/proto/index.js'
import type { OriginHead } from '../../src/sync/sync-log.js'
import type { TestMember } from './federation.js'
import { randomAdds } from './hashes.js'

/** A range a node asked the hostile peer for. */
export interface RangeAsked {
  origin: string
  from: number
  /** inclusive; resolved against the heads it claims when the request said 0 */
  to: number
}

/**
 * Misbehaviour that is not a matter of which batches to send:
 * - `stall-after-heads`: answers the heads, then never says anything again;
 * - `stall-after-requests`: reads the node's requests, then never sends a frame;
 * - `oversized-frame`: answers a request with a length prefix above MAX_FRAME_BYTES;
 * - `garbage`: answers a request with a well-framed message that is not a SyncMessage.
 */
export type RawMisbehaviour = 'stall-after-heads' | 'stall-after-requests' | 'oversized-frame' | 'garbage'

export interface HostileInit {
  /** a member folder whose valid key the hostile peer uses */
  member: TestMember
  /** Signed batch bytes it serves, per origin, in seq order (tampered or not) */
  batches: Map<string, Uint8Array[]>
  /** abort the stream after serving this many batches in a session */
  cutAfter?: number
  /** heads it claims (default: from the batches it holds) */
  heads?: OriginHead[]
  /**
   * The frames (each a list of Signed batch bytes) it answers a range request with. Default:
   * its batches of the origin inside the range, one per frame. Replays, gaps, extra batches
   * and empty frames are all a matter of returning something else.
   */
  frames?: (asked: RangeAsked) => Uint8Array[][]
  /** wait this long before each frame (a trickle) @default 0 */
  frameDelayMs?: number
  misbehave?: RawMisbehaviour
}

/** What the node did with a session the hostile peer opened or answered. */
export type SessionEnd = 'completed' | 'stalled' | 'failed'

/** What became of one heads-bloat session. */
export type BloatEnd = 'answered' | 'refused'

/** A claim-hostage session: the node requested a range from it, and it holds the stream silent. */
export interface HeldClaim {
  /** the ranges the node asked for (empty when it asked for nothing) */
  asked: RangeAsked[]
  /** true while the stream is still open: the hostile peer holds the claim */
  holding: () => boolean
  /** resets the stream (not a clean close), as a peer that stalls and then walks away */
  reset: () => Promise<void>
}

/** A raw `/hashfed/sync/1.0.0` stream to a node: write anything, read what comes back. */
export interface RawSession {
  stream: Stream
  lp: LengthPrefixedStream<Stream>
  /** writes bytes exactly as given: no length prefix added */
  writeBytes: (bytes: Uint8Array) => Promise<void>
  /** true once the node closed or reset the stream */
  ended: () => boolean
}

/**
 * A federation member with a valid key that speaks the real sync protocol and misbehaves on
 * purpose. As a responder (the node dials it) and as an initiator (`session`: it opens the
 * session, claims heads and lets the node pull), it serves whatever it is given: forged or
 * re-signed batches, forks, replays, cut transfers, garbage, oversized or empty frames, or
 * nothing at all. `openRaw` and `flood` open streams that it then abuses byte by byte;
 * `bloatHeads` announces heads of thousands of non-member origins, and `holdClaim` claims a
 * head it does not have and holds the node's request hostage. It never verifies anything.
 */
export class HostilePeer {
  served = 0
  /** sessions nodes opened to it whose heads it answered */
  answered = 0
  /** ranges nodes asked it for, in order */
  readonly asked: RangeAsked[] = []
  private readonly raws: RawSession[] = []
  private constructor (readonly libp2p: HashfedLibp2p, private init: HostileInit, readonly identity: Identity) {}

  static async start (init: HostileInit): Promise<HostilePeer> {
    const files = await loadNodeFiles(init.member.dir)
    const libp2p = await createNodeLibp2p({ privateKey: files.identity.privateKey, listen: [`/ip4/127.0.0.1/tcp/${init.member.port}`], gater: {} })
    const peer = new HostilePeer(libp2p, init, files.identity)
    await libp2p.handle(SYNC_PROTOCOL, (stream) => {
      peer.respond(stream).catch((err: Error) => stream.abort(err))
    }, { maxInboundStreams: 64 })
    return peer
  }

  /** Changes what it serves and how, from the next session on (a session keeps what it started with). */
  set (changes: Partial<Omit<HostileInit, 'member'>>): void {
    this.init = { ...this.init, ...changes }
  }

  private heads (cfg: HostileInit = this.init): OriginHead[] {
    return cfg.heads ?? [...cfg.batches].filter(([, list]) => list.length > 0).map(([origin, list]) => {
      const last = decodeBatch(list[list.length - 1])
      return { origin, seq: last.seq, hash: last.hash, entries: 0 }
    })
  }

  /** The responder role: the node opened the session. */
  private async respond (stream: Stream): Promise<void> {
    const cfg = this.init
    const s = lpStream(stream, { maxDataLength: MAX_FRAME_BYTES })
    decodeSync(await s.read())
    await s.write(encodeSync({ heads: headsToWire(this.heads(cfg)) }))
    this.answered++
    await s.write(encodeSync({ end: {} })) // it requests nothing back
    await this.answerRequests(stream, s, cfg)
  }

  /**
   * Reads the node's requests up to its end{}, answers them as configured, and closes.
   * Returns false when it stalled or cut the stream.
   */
  private async answerRequests (stream: Stream, s: LengthPrefixedStream<Stream>, cfg: HostileInit): Promise<boolean> {
    if (cfg.misbehave === 'stall-after-heads') return await this.stall(stream)
    const requests: RangeAsked[] = []
    for (;;) {
      const msg = decodeSync(await s.read())
      if (msg.kind === 'end') break
      if (msg.request == null) continue
      const origin = peerIdFromBytes(msg.request.origin ?? new Uint8Array()).toString()
      const claimed = this.heads(cfg).find(h => h.origin === origin)?.seq ?? 0
      const to = Number(msg.request.toSeq ?? 0) === 0 ? claimed : Number(msg.request.toSeq)
      requests.push({ origin, from: Number(msg.request.fromSeq ?? 1), to })
    }
    this.asked.push(...requests)
    switch (cfg.misbehave) {
      case 'stall-after-requests': return await this.stall(stream)
      case 'oversized-frame': {
        // a length prefix just over the limit, then some of the promised bytes
        const len = varintOf(MAX_FRAME_BYTES + 1)
        await writeRaw(stream, new Uint8Array([...len, ...randomBytes(1024)]))
        return await this.stall(stream)
      }
      case 'garbage':
        await s.write(garbageFrame())
        return await this.stall(stream)
    }
    let sent = 0
    for (const r of requests) {
      for (const frame of this.framesFor(r, cfg)) {
        if (cfg.cutAfter !== undefined && sent >= cfg.cutAfter) {
          stream.abort(new Error('hostile peer cuts the transfer'))
          return false
        }
        if ((cfg.frameDelayMs ?? 0) > 0) await sleep(cfg.frameDelayMs)
        await s.write(encodeSync({ frame: { batches: frame } }))
        sent += frame.length
        this.served += frame.length
      }
      await s.write(encodeSync({ end: { origin: peerIdToBytes(parsePeerId(r.origin)) } }))
    }
    await stream.close()
    return true
  }

  private framesFor (r: RangeAsked, cfg: HostileInit): Uint8Array[][] {
    if (cfg.frames !== undefined) return cfg.frames(r)
    return (cfg.batches.get(r.origin) ?? []).filter(b => {
      const seq = decodeBatch(b).seq
      return seq >= r.from && seq <= r.to
    }).map(b => [b])
  }

  /** Holds the stream open and silent until the node gives up on it (or 60 s pass). */
  private async stall (stream: Stream): Promise<false> {
    const end = Date.now() + 60_000
    while (Date.now() < end && stream.status === 'open' && stream.readStatus === 'readable') await sleep(50)
    return false
  }

  private async dial (target: TestMember): Promise<Stream> {
    const addr = multiaddr(`${target.announce[0]}/p2p/${target.peerId}`)
    return await this.libp2p.dialProtocol(addr, SYNC_PROTOCOL, { signal: AbortSignal.timeout(10_000) })
  }

  /**
   * The initiator role: opens a session to `target`, claims its heads (or `heads`), requests
   * nothing, then answers the node's pull as configured. This is how a hostile member pushes
   * its wares at a time of its choosing: a node pulls whatever a peer's heads show it lacks.
   */
  async session (target: TestMember, opts: { heads?: OriginHead[] } = {}): Promise<SessionEnd> {
    const cfg = this.init
    let stream: Stream | undefined
    try {
      stream = await this.dial(target)
      const s = lpStream(stream, { maxDataLength: MAX_FRAME_BYTES })
      await s.write(encodeSync({ heads: headsToWire(opts.heads ?? this.heads(cfg)) }))
      decodeSync(await s.read())
      await s.write(encodeSync({ end: {} }))
      // the node's requests came right after its heads
      return await this.answerRequests(stream, s, cfg) ? 'completed' : 'stalled'
    } catch {
      stream?.abort(new Error('hostile session failed'))
      return 'failed'
    }
  }

  /**
   * Heads bloat: one session whose heads name `count` random origins that are no federation
   * members (well-formed Ed25519 peer IDs, one per head), besides `heads` (default: none).
   * It reads the node's answer up to its end{} and closes, as a peer that only announces.
   * 'refused' when the node reset the stream instead of answering.
   */
  async bloatHeads (target: TestMember, count: number, heads: OriginHead[] = []): Promise<BloatEnd> {
    // built as bytes: thousands of peer IDs through their string form would cost this process more than the target
    const wire = headsToWire(heads)
    const random = randomBytes(64 * count)
    for (let i = 0; i < count; i++) {
      const origin = new Uint8Array(38)
      origin.set(ED25519_ID_PREFIX)
      origin.set(random.subarray(64 * i, 64 * i + 32), ED25519_ID_PREFIX.length)
      wire.heads?.push({ origin, seq: 1 + (random.readUInt32LE(64 * i + 32) % 1e6), hash: random.subarray(64 * i + 32, 64 * i + 64), entries: 10_000 })
    }
    let stream: Stream | undefined
    try {
      stream = await this.dial(target)
      const s = lpStream(stream, { maxDataLength: MAX_FRAME_BYTES })
      await s.write(encodeSync({ heads: wire }))
      decodeSync(await s.read())
      await s.write(encodeSync({ end: {} }))
      for (;;) if (decodeSync(await s.read()).kind === 'end') break
      await stream.close()
      return 'answered'
    } catch {
      stream?.abort(new Error('hostile bloat session ends'))
      return 'refused'
    }
  }

  /**
   * Claim hostage: opens a session claiming `head` (say, another origin's head one ahead, or
   * at 2^53), lets the node request the range, then sends nothing and holds the stream open
   * until `reset()`, which resets it mid-claim. Resolves once the node's requests are read.
   */
  async holdClaim (target: TestMember, head: OriginHead): Promise<HeldClaim> {
    const stream = await this.dial(target)
    const s = lpStream(stream, { maxDataLength: MAX_FRAME_BYTES })
    await s.write(encodeSync({ heads: headsToWire([head]) }))
    decodeSync(await s.read())
    await s.write(encodeSync({ end: {} }))
    const asked: RangeAsked[] = []
    for (;;) {
      const msg = decodeSync(await s.read())
      if (msg.kind === 'end') break
      if (msg.request == null) continue
      asked.push({ origin: peerIdFromBytes(msg.request.origin ?? new Uint8Array()).toString(), from: Number(msg.request.fromSeq ?? 1), to: Number(msg.request.toSeq ?? 0) })
    }
    this.asked.push(...asked)
    // the node's own requests of us are never answered either
    const raw: RawSession = { stream, lp: s, writeBytes: async (bytes) => { await writeRaw(stream, bytes) }, ended: () => stream.status !== 'open' || stream.readStatus !== 'readable' }
    this.raws.push(raw)
    return {
      asked,
      holding: () => !raw.ended(),
      reset: async () => { stream.abort(new Error('hostile peer resets the held stream')) }
    }
  }

  /** A raw sync stream to `target` (nothing written yet). */
  async openRaw (target: TestMember): Promise<RawSession> {
    const stream = await this.dial(target)
    const raw: RawSession = {
      stream,
      lp: lpStream(stream, { maxDataLength: MAX_FRAME_BYTES }),
      writeBytes: async (bytes) => { await writeRaw(stream, bytes) },
      ended: () => stream.status !== 'open' || stream.readStatus !== 'readable'
    }
    this.raws.push(raw)
    return raw
  }

  /** Opens `n` sessions at once, each sending heads and then nothing (a flood of sessions). */
  async flood (target: TestMember, n: number): Promise<RawSession[]> {
    const sessions = await Promise.all(Array.from({ length: n }, async () => await this.openRaw(target).catch(() => null)))
    const open = sessions.filter((s): s is RawSession => s !== null)
    await Promise.all(open.map(async (s) => await s.lp.write(encodeSync({ heads: headsToWire(this.heads()) })).catch(() => {})))
    return open
  }

  /** Whether it has an open connection to `peerId`. */
  connectedTo (peerId: string): boolean {
    return this.libp2p.getConnections().some(c => c.remotePeer.toString() === peerId && c.status === 'open')
  }

  async stop (): Promise<void> {
    for (const r of this.raws) r.stream.abort(new Error('hostile peer stops'))
    await this.libp2p.stop()
  }
}

async function writeRaw (stream: Stream, bytes: Uint8Array): Promise<void> {
  if (!stream.send(bytes)) await new Promise(resolve => stream.addEventListener('drain', resolve, { once: true }))
}

/** Identity multihash (0x00, 36 bytes) of a protobuf Ed25519 public key (type 1, 32 bytes): a peer ID's bytes before the key. */
const ED25519_ID_PREFIX = [0x00, 0x24, 0x08, 0x01, 0x12, 0x20]

/** Unsigned LEB128, as libp2p's length prefix. */
function varintOf (n: number): number[] {
  const out: number[] = []
  while (n >= 0x80) { out.push((n & 0x7f) | 0x80); n = Math.floor(n / 128) }
  out.push(n)
  return out
}

/** A well-framed message that is not a SyncMessage (field 1 with the invalid wire type 7). */
export function garbageFrame (): Uint8Array {
  return new Uint8Array([0x0f, ...randomBytes(64)])
}

// ---------------------------------------------------------------- forged batches

/** The batch with one signature byte flipped: a forged signature over a genuine body. */
export function forgeSignature (signed: Uint8Array): Uint8Array {
  const s = pb.Signed.decode(signed)
  const signature = new Uint8Array(s.signature)
  signature[0] ^= 0x01
  return pb.Signed.encode({ body: s.body, signature }).finish()
}

/** The batch with one body byte flipped under the original signature (tampered entries). */
export function tamperBody (signed: Uint8Array): Uint8Array {
  const s = pb.Signed.decode(signed)
  const body = new Uint8Array(s.body)
  body[body.length - 5] ^= 0x01
  return pb.Signed.encode({ body, signature: s.signature }).finish()
}

/**
 * A batch that claims `originBytes` as its origin but is signed with `signer`'s own key:
 * what a member would send to put words in another member's mouth.
 */
export function claimingOrigin (signer: Identity, originBytes: Uint8Array, seq: number, prevHash: Uint8Array, n = 5): Uint8Array {
  const body = pb.BatchBody.encode({ version: 1, origin: originBytes, seq, prevHash, createdMs: Date.now(), entries: randomEntries(n) }).finish()
  return pb.Signed.encode({ body, signature: signer.sign(body) }).finish()
}

/** A validly signed batch `seq` of `identity` whose prev_hash names a batch that never was. */
export function brokenChain (identity: Identity, seq: number, n = 5): Uint8Array {
  return buildBatch({ identity, seq, prevHash: new Uint8Array(randomBytes(32)), entries: randomEntries(n) }).signed
}

/** Another valid batch `seq` of `identity` after `prevHash`: with a first one, proof of equivocation. */
export function equivocate (identity: Identity, seq: number, prevHash: Uint8Array, n = 5): Uint8Array {
  return buildBatch({ identity, seq, prevHash, entries: randomEntries(n) }).signed
}

/** A chain of `count` genuine batches of `identity` (seq 1..count). */
export function chainOf (identity: Identity, count: number, n = 5): Uint8Array[] {
  const out: Uint8Array[] = []
  let prevHash: Uint8Array = new Uint8Array(0)
  for (let seq = 1; seq <= count; seq++) {
    const b = buildBatch({ identity, seq, prevHash, entries: randomEntries(n) })
    out.push(b.signed)
    prevHash = b.hash
  }
  return out
}

/** A signed batch over MAX_SIGNED_BATCH_BYTES but inside a sync frame. */
export function oversizedBatch (identity: Identity, seq: number, prevHash: Uint8Array, bytes = 5 * 1024 * 1024): Uint8Array {
  const body = pb.BatchBody.encode({ version: 1, origin: identity.peerIdBytes, seq, prevHash, createdMs: Date.now(), entries: [{ op: pb.HashEntry.Op.ADD, algorithm: pb.Algorithm.SHA256, value: new Uint8Array(32), source: 'x'.repeat(bytes) }] }).finish()
  return pb.Signed.encode({ body, signature: identity.sign(body) }).finish()
}

function randomEntries (n: number): ReturnType<typeof entryToProto>[] {
  return randomAdds(n).map(e => entryToProto(e as never))
}
