import { lpStream, type LengthPrefixedStream } from '@libp2p/utils'
import type { Stream } from '@libp2p/interface'
import { hfError, ErrorCodes, isHashfedError } from '../errors.js'
import { parsePeerId, peerIdToBytes, peerIdFromBytes } from '../identity/identity.js'
import { FRAME_TARGET_BYTES, MAX_FRAME_BYTES, MAX_HEADS, SESSION_IDLE_MS } from './constants.js'
import { decodeSync, encodeSync, type SyncMessage } from './sync-codec.js'
import { headsFromWire, headsToWire } from './heads-codec.js'
import type { ApplyOutcome, OriginHead, SyncLog } from './sync-log.js'

/**
 * One sync session on a `/hashfed/sync/1.0.0` stream. Both sides pull what they lack:
 *
 *   initiator → heads;            responder → heads
 *   initiator → request*, end{};  responder → for each: frame*, end{origin}
 *   responder → request*, end{};  initiator → for each: frame*, end{origin}
 *
 * So one session both fetches and announces: a node that stored a new batch opens a session
 * and the peer requests the batch inside it. Every frame is decoded and every batch verified
 * before it is stored; a bad frame ends the session, never the node.
 */

export interface SessionHooks {
  log: SyncLog
  /** the remote peer (authenticated by Noise) */
  peer: string
  /** origins whose logs we replicate (federation members that publish) */
  isOrigin: (origin: string) => boolean
  onPeerHeads: (peer: string, heads: OriginHead[]) => void
  /** reserves an origin for this session; false when another session is fetching it */
  claim: (origin: string) => boolean
  release: (origin: string) => void
  onOutcome: (origin: string, outcome: ApplyOutcome) => void
}

export interface SessionResult {
  requested: number
  stored: number
  rejected: number
}

function lp (stream: Stream): LengthPrefixedStream<Stream> {
  return lpStream(stream, { maxDataLength: MAX_FRAME_BYTES })
}

async function readMessage (stream: LengthPrefixedStream<Stream>): Promise<SyncMessage> {
  let data
  try {
    data = await stream.read({ signal: AbortSignal.timeout(SESSION_IDLE_MS) })
  } catch (err) {
    const tooLarge = /too long/.test((err as Error).message)
    throw hfError(ErrorCodes.PROTOCOL, `sync stream: ${(err as Error).message}`, { reason: tooLarge ? 'too-large' : 'stream' }, err)
  }
  return decodeSync(data)
}

async function write (stream: LengthPrefixedStream<Stream>, msg: Parameters<typeof encodeSync>[0]): Promise<void> {
  await stream.write(encodeSync(msg), { signal: AbortSignal.timeout(SESSION_IDLE_MS) })
}

function expect<K extends NonNullable<SyncMessage['kind']>> (msg: SyncMessage, kind: K): void {
  if (msg.kind !== kind) throw hfError(ErrorCodes.PROTOCOL, `sync protocol: expected ${kind}, got ${msg.kind ?? 'nothing'}`, { reason: 'protocol' })
}

/** What to request from a peer whose heads we now know. */
export async function planRequests (log: SyncLog, theirs: OriginHead[], isOrigin: (o: string) => boolean): Promise<Array<{ origin: string, from: number, to: number }>> {
  const plan: Array<{ origin: string, from: number, to: number }> = []
  for (const h of theirs) {
    if (!isOrigin(h.origin) || h.seq === 0) continue
    const ours = log.head(h.origin)?.seq ?? 0
    if (h.seq > ours) {
      plan.push({ origin: h.origin, from: ours + 1, to: h.seq })
    } else {
      // same seq, other hash: fetch their batch as fork evidence
      const mine = await log.batchHashAt(h.origin, h.seq)
      if (mine !== null && Buffer.compare(mine, h.hash) !== 0) plan.push({ origin: h.origin, from: h.seq, to: h.seq })
    }
  }
  return plan
}

type Request = { origin: string, from: number, to: number }

/** Initiator side: heads first, then our pull, then the peer's. */
export async function runInitiator (stream: Stream, hooks: SessionHooks): Promise<SessionResult> {
  const s = lp(stream)
  await write(s, { heads: headsToWire(hooks.log.heads()) })
  const reply = await readMessage(s)
  expect(reply, 'heads')
  const result = await pull(s, hooks, headsFromWire(reply.heads))
  await serveRequests(s, hooks.log)
  await stream.close().catch(() => {})
  return result
}

/** Responder side: answer heads, serve the initiator's requests, then pull what we lack. */
export async function runResponder (stream: Stream, hooks: SessionHooks): Promise<SessionResult> {
  const s = lp(stream)
  const first = await readMessage(s)
  expect(first, 'heads')
  await write(s, { heads: headsToWire(hooks.log.heads()) })
  await serveRequests(s, hooks.log)
  const result = await pull(s, hooks, headsFromWire(first.heads))
  await stream.close().catch(() => {})
  return result
}

/** Sends our requests (for origins we could claim), then receives and applies the ranges. */
async function pull (s: LengthPrefixedStream<Stream>, hooks: SessionHooks, theirs: OriginHead[]): Promise<SessionResult> {
  hooks.onPeerHeads(hooks.peer, theirs)
  const result: SessionResult = { requested: 0, stored: 0, rejected: 0 }
  const plan = (await planRequests(hooks.log, theirs, hooks.isOrigin)).filter(r => hooks.claim(r.origin))
  try {
    for (const r of plan) await write(s, { request: { origin: peerIdToBytes(parsePeerId(r.origin)), fromSeq: r.from, toSeq: r.to } })
    await write(s, { end: {} })
    result.requested = plan.length
    for (const r of plan) {
      let failed = false
      for (;;) {
        const msg = await readMessage(s)
        if (msg.kind === 'end') {
          if (peerIdFromBytes(msg.end?.origin ?? new Uint8Array()).toString() !== r.origin) throw hfError(ErrorCodes.PROTOCOL, 'range end for another origin', { reason: 'protocol' })
          break
        }
        if (msg.kind === 'error') throw hfError(ErrorCodes.PROTOCOL, `peer could not serve ${r.origin}: ${msg.error?.message ?? ''}`, { reason: 'peer-error' })
        expect(msg, 'frame')
        for (const bytes of msg.frame?.batches ?? []) {
          if (failed) continue // the rest of a rejected range cannot chain onto our head
          const outcome = await hooks.log.applyRemote(bytes, hooks.peer)
          hooks.onOutcome(r.origin, outcome)
          if (outcome.status === 'stored') result.stored++
          if (outcome.status === 'rejected') { result.rejected++; failed = true }
        }
      }
      hooks.release(r.origin)
    }
  } finally {
    for (const r of plan) hooks.release(r.origin)
  }
  return result
}

/** Reads the peer's requests up to its end{}, then serves each range in frames. */
async function serveRequests (s: LengthPrefixedStream<Stream>, log: SyncLog): Promise<void> {
  const requests: Request[] = []
  for (;;) {
    const msg = await readMessage(s)
    if (msg.kind === 'end') break
    expect(msg, 'request')
    const req = msg.request!
    let origin: string
    try {
      origin = peerIdFromBytes(req.origin ?? new Uint8Array()).toString()
    } catch {
      throw hfError(ErrorCodes.PROTOCOL, 'request for a malformed origin', { reason: 'malformed' })
    }
    if (requests.length >= MAX_HEADS) throw hfError(ErrorCodes.PROTOCOL, 'too many requests', { reason: 'too-large' })
    const head = log.head(origin)?.seq ?? 0
    const from = Math.max(1, Number(req.fromSeq ?? 1))
    const to = Math.min(head, Number(req.toSeq ?? 0) === 0 ? head : Number(req.toSeq))
    requests.push({ origin, from, to })
  }
  for (const r of requests) await serveRange(s, log, r.origin, r.from, r.to)
}

async function serveRange (s: LengthPrefixedStream<Stream>, log: SyncLog, origin: string, from: number, to: number): Promise<void> {
  let frame: Uint8Array[] = []
  let size = 0
  const flush = async (): Promise<void> => {
    if (frame.length === 0) return
    await write(s, { frame: { batches: frame } })
    frame = []
    size = 0
  }
  if (from <= to) {
    for await (const batch of log.readRange(origin, from, to)) {
      if (size + batch.length > FRAME_TARGET_BYTES) await flush()
      frame.push(batch)
      size += batch.length
    }
  }
  await flush()
  await write(s, { end: { origin: peerIdToBytes(parsePeerId(origin)), lastSeq: to } })
}

export function syncErrorReason (err: unknown): string {
  if (isHashfedError(err)) return String(err.details?.reason ?? err.code)
  return 'stream'
}
