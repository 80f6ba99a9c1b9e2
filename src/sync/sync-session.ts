import type { Stream } from '@libp2p/interface'
import { hfError, ErrorCodes, isHashfedError } from '../errors.js'
import { parsePeerId, peerIdToBytes, peerIdFromBytes } from '../identity/identity.js'
import { FRAME_TARGET_BYTES, MAX_FOREIGN_HEADS, MAX_FRAME_BYTES, MAX_HEADS, MAX_HEADS_FRAME_BYTES, SESSION_IDLE_MS } from './constants.js'
import { FrameStream } from './frame-stream.js'
import { decodeSync, encodeSync, type SyncMessage } from './sync-codec.js'
import { headsFromWire, headsToWire } from './heads-codec.js'
import type { ApplyOutcome, OriginHead, SyncLog } from './sync-log.js'
import { syncErrorReason } from './reject-reasons.js'

/**
 * One sync session on a `/hashfed/sync/1.0.0` stream. Both sides pull what they lack:
 *
 *   initiator → heads
 *   responder → heads, request*, end{}     (it knows the initiator's heads already)
 *   initiator → request*, end{}
 *   then each side serves the other's requests (frame*, end{origin} per request) while it
 *   receives the frames for its own.
 *
 * So one session both fetches and announces: a node that stored a new batch opens a session
 * and the peer requests the batch in its first answer. Serving and receiving run at once, so
 * two sides with much to send each other never wait on each other's full buffers. Every batch
 * is verified before it is stored; a bad frame ends the session, never the node.
 *
 * Heads are claims. Only heads of origins we replicate are kept (a few others are dropped,
 * more are an offence), and a peer that ends the stream while a range we requested is
 * undelivered commits an offence too: the origin was reserved for this session meanwhile.
 */

export interface SessionHooks {
  log: SyncLog
  /** the remote peer (authenticated by Noise) */
  peer: string
  /** origins whose logs we replicate (federation members that publish) */
  isOrigin: (origin: string) => boolean
  /** the heads of origins we replicate that the peer announced (others are dropped before) */
  onPeerHeads: (peer: string, heads: OriginHead[]) => void
  /** reserves an origin for this session; false when another session is fetching it */
  claim: (origin: string) => boolean
  /** the session stored (or found stored) the next batch of a claimed origin */
  progress?: (origin: string) => void
  release: (origin: string) => void
  onOutcome: (origin: string, outcome: ApplyOutcome) => void
  /** origins not to request from this peer now (its copy diverged from ours) */
  skip?: (origin: string) => boolean
  /** no message, or no stored batch while receiving, for this long ends the session @default SESSION_IDLE_MS */
  idleMs?: number
}

export interface SessionResult {
  requested: number
  stored: number
  rejected: number
}

function frames (stream: Stream): FrameStream {
  // two frames may wait unread while we verify and store; beyond that the sender is paused
  return new FrameStream(stream, { maxFrameBytes: MAX_FRAME_BYTES, highWaterBytes: 2 * FRAME_TARGET_BYTES })
}

async function readMessage (s: FrameStream, idleMs: number, maxBytes?: number): Promise<SyncMessage> {
  return decodeSync(await s.read(AbortSignal.timeout(idleMs), maxBytes))
}

/** A heads message: a frame of at most MAX_HEADS_FRAME_BYTES. */
async function readHeads (s: FrameStream, idleMs: number): Promise<OriginHead[]> {
  const msg = await readMessage(s, idleMs, MAX_HEADS_FRAME_BYTES)
  expect(msg, 'heads')
  return headsFromWire(msg.heads)
}

/** Our heads as we announce them: only origins the federation replicates. */
function ourHeads (hooks: SessionHooks): OriginHead[] {
  return hooks.log.heads().filter(h => hooks.isOrigin(h.origin))
}

/**
 * The heads of origins we replicate. A peer's federation file may list a few members ours
 * does not (an edit rolling out); their heads are dropped. Beyond MAX_FOREIGN_HEADS the
 * message is an attempt to fill our tables: refused, an offence.
 */
export function memberHeads (heads: OriginHead[], isOrigin: (origin: string) => boolean): OriginHead[] {
  const known = heads.filter(h => isOrigin(h.origin))
  const foreign = heads.length - known.length
  if (foreign > MAX_FOREIGN_HEADS) throw hfError(ErrorCodes.PROTOCOL, `${foreign} heads of origins that are not federation members`, { reason: 'foreign-heads' })
  return known
}

async function write (s: FrameStream, msg: Parameters<typeof encodeSync>[0], idleMs: number): Promise<void> {
  await s.write(encodeSync(msg), idleMs)
}

function expect<K extends NonNullable<SyncMessage['kind']>> (msg: SyncMessage, kind: K): void {
  if (msg.kind !== kind) throw hfError(ErrorCodes.PROTOCOL, `sync protocol: expected ${kind}, got ${msg.kind ?? 'nothing'}`, { reason: 'protocol' })
}

/** What to request from a peer whose heads we now know. */
export async function planRequests (log: SyncLog, theirs: OriginHead[], isOrigin: (o: string) => boolean, skip?: (o: string) => boolean): Promise<Array<{ origin: string, from: number, to: number }>> {
  const plan: Array<{ origin: string, from: number, to: number }> = []
  for (const h of theirs) {
    if (!isOrigin(h.origin) || h.seq === 0 || skip?.(h.origin) === true) continue
    const ours = log.head(h.origin)?.seq ?? 0
    if (h.seq > ours) {
      plan.push({ origin: h.origin, from: ours + 1, to: h.seq })
    } else {
      // same seq, other hash: fetch their batch as fork evidence
      // (once: evidence we keep already is not fetched again, from this peer or any other)
      const mine = await log.batchHashAt(h.origin, h.seq)
      if (mine !== null && Buffer.compare(mine, h.hash) !== 0 && !await log.knowsFork(h.origin, h.seq, h.hash)) plan.push({ origin: h.origin, from: h.seq, to: h.seq })
    }
  }
  return plan
}

type Request = { origin: string, from: number, to: number }

/** Initiator side: our heads first; we learn theirs (with their requests) and answer with ours. */
export async function runInitiator (stream: Stream, hooks: SessionHooks): Promise<SessionResult> {
  const s = frames(stream)
  const idleMs = hooks.idleMs ?? SESSION_IDLE_MS
  await write(s, { heads: headsToWire(ourHeads(hooks)) }, idleMs)
  return await exchange(stream, s, hooks, await readHeads(s, idleMs), false)
}

/** Responder side: their heads first; our heads go out together with our requests. */
export async function runResponder (stream: Stream, hooks: SessionHooks): Promise<SessionResult> {
  const s = frames(stream)
  return await exchange(stream, s, hooks, await readHeads(s, hooks.idleMs ?? SESSION_IDLE_MS), true)
}

async function exchange (stream: Stream, s: FrameStream, hooks: SessionHooks, all: OriginHead[], sendHeads: boolean): Promise<SessionResult> {
  const idleMs = hooks.idleMs ?? SESSION_IDLE_MS
  const theirs = memberHeads(all, hooks.isOrigin)
  hooks.onPeerHeads(hooks.peer, theirs)
  const plan = (await planRequests(hooks.log, theirs, hooks.isOrigin, hooks.skip)).filter(r => hooks.claim(r.origin))
  /** origins of `plan` whose range end{} arrived */
  const ended = new Set<string>()
  try {
    if (sendHeads) await write(s, { heads: headsToWire(ourHeads(hooks)) }, idleMs)
    for (const r of plan) await write(s, { request: { origin: peerIdToBytes(parsePeerId(r.origin)), fromSeq: r.from, toSeq: r.to } }, idleMs)
    await write(s, { end: {} }, idleMs)
    const requests = await readRequests(s, hooks.log, idleMs)
    const [, result] = await Promise.all([serveRanges(s, hooks.log, requests, idleMs), receive(s, hooks, plan, idleMs, ended)])
    await stream.close().catch(() => {})
    return result
  } catch (err) {
    // a peer that resets (or closes) the stream while a range we claimed from it is undelivered
    // held that origin hostage meanwhile: its offence (a dropped link or our own close is not)
    const open = plan.filter(r => !ended.has(r.origin))
    if (open.length > 0 && syncErrorReason(err) === 'stream' && isHashfedError(err) && err.details?.byPeer === true) {
      throw hfError(ErrorCodes.PROTOCOL, `sync stream ended with ${open.length} requested range(s) undelivered (${open[0].origin} ${open[0].from}..${open[0].to}): ${(err as Error).message}`, { reason: 'abandoned' }, err)
    }
    throw err
  } finally {
    for (const r of plan) hooks.release(r.origin)
  }
}

/**
 * Receives the ranges we requested, in order, verifying and applying every batch. A peer may
 * send only what was asked: no more batches than a range holds, no empty frames, no batch
 * from before the range (a replay), and it must keep us storing: a session that stores
 * nothing for `idleMs` while frames trickle in would hold its origins' claims hostage.
 */
async function receive (s: FrameStream, hooks: SessionHooks, plan: Request[], idleMs: number, ended: Set<string>): Promise<SessionResult> {
  const result: SessionResult = { requested: plan.length, stored: 0, rejected: 0 }
  const breach = (message: string): Error => hfError(ErrorCodes.PROTOCOL, message, { reason: 'protocol' })
  let progressAt = Date.now()
  /**
   * The batch being written while the next is read and verified: the log verifies a batch
   * against the write in flight and stores it only once that is stored, so outcomes come in
   * order. One at a time: memory holds at most two batches beyond the frames buffered.
   */
  let inFlight: Promise<ApplyOutcome> | null = null
  try {
    for (const r of plan) {
      let failed = false
      let received = 0
      /** highest seq of this range found stored already (another session fetched it first) */
      let duplicateSeq = r.from - 1
      const handle = (applied: ApplyOutcome): void => {
        let outcome = applied
        // what follows a rejected batch cannot chain onto our head: not another offence
        if (failed && outcome.status !== 'stored') return
        if (outcome.status === 'duplicate' && outcome.seq !== undefined && outcome.seq < r.from) {
          outcome = { status: 'rejected', reason: 'replay', message: `batch ${outcome.seq} of ${r.origin} served again for a request from ${r.from}` }
        }
        hooks.onOutcome(r.origin, outcome)
        // a batch that another session stored meanwhile still moves the range on (once per seq)
        const advanced = outcome.status === 'stored' || (outcome.status === 'duplicate' && outcome.seq !== undefined && outcome.seq > duplicateSeq)
        if (outcome.status === 'duplicate' && outcome.seq !== undefined) duplicateSeq = Math.max(duplicateSeq, outcome.seq)
        if (outcome.status === 'stored') result.stored++
        if (advanced) { progressAt = Date.now(); hooks.progress?.(r.origin) }
        if (outcome.status === 'rejected') { result.rejected++; failed = true }
      }
      const settle = async (): Promise<void> => {
        const p = inFlight
        inFlight = null
        if (p !== null) handle(await p)
      }
      for (;;) {
        if (Date.now() - progressAt > idleMs) throw hfError(ErrorCodes.PROTOCOL, `sync: nothing stored from ${r.origin}'s range for ${idleMs} ms`, { reason: 'no-progress' })
        const msg = await readMessage(s, idleMs)
        if (msg.kind === 'end') {
          if (peerIdFromBytes(msg.end?.origin ?? new Uint8Array()).toString() !== r.origin) throw breach('range end for another origin')
          await settle()
          progressAt = Date.now()
          ended.add(r.origin)
          break
        }
        if (msg.kind === 'error') throw hfError(ErrorCodes.PROTOCOL, `peer could not serve ${r.origin}: ${msg.error?.message ?? ''}`, { reason: 'peer-error' })
        expect(msg, 'frame')
        const batches = msg.frame?.batches ?? []
        if (batches.length === 0) throw breach('empty frame')
        received += batches.length
        if (received > r.to - r.from + 1) throw breach(`more batches than the ${r.to - r.from + 1} requested of ${r.origin}`)
        for (const bytes of batches) {
          if (failed) continue // the rest of a rejected range cannot chain onto our head
          const next = hooks.log.applyRemote(bytes, hooks.peer)
          next.catch(() => {}) // thrown where it is awaited
          await settle()
          inFlight = next
        }
      }
      hooks.release(r.origin)
    }
  } finally {
    // a session that ends early still lets its last write finish before the origin is released
    await (inFlight as Promise<ApplyOutcome> | null)?.catch(() => {})
  }
  return result
}

/** The peer's requests, up to its end{}, clipped to what we hold. */
async function readRequests (s: FrameStream, log: SyncLog, idleMs: number): Promise<Request[]> {
  const requests: Request[] = []
  for (;;) {
    const msg = await readMessage(s, idleMs)
    if (msg.kind === 'end') return requests
    expect(msg, 'request')
    const req = msg.request!
    let origin: string
    try {
      origin = peerIdFromBytes(req.origin ?? new Uint8Array()).toString()
    } catch {
      throw hfError(ErrorCodes.PROTOCOL, 'request for a malformed origin', { reason: 'malformed' })
    }
    if (requests.length >= MAX_HEADS) throw hfError(ErrorCodes.PROTOCOL, 'too many requests', { reason: 'too-large' })
    // one range per origin and session: repeats would make us serve a whole log over and over
    if (requests.some(r => r.origin === origin)) throw hfError(ErrorCodes.PROTOCOL, `${origin} requested twice in one session`, { reason: 'protocol' })
    const head = log.head(origin)?.seq ?? 0
    const from = Math.max(1, Number(req.fromSeq ?? 1))
    const to = Math.min(head, Number(req.toSeq ?? 0) === 0 ? head : Number(req.toSeq))
    requests.push({ origin, from, to })
  }
}

async function serveRanges (s: FrameStream, log: SyncLog, requests: Request[], idleMs: number): Promise<void> {
  for (const r of requests) await serveRange(s, log, r.origin, r.from, r.to, idleMs)
}

async function serveRange (s: FrameStream, log: SyncLog, origin: string, from: number, to: number, idleMs: number): Promise<void> {
  let frame: Uint8Array[] = []
  let size = 0
  const flush = async (): Promise<void> => {
    if (frame.length === 0) return
    await write(s, { frame: { batches: frame } }, idleMs)
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
  await write(s, { end: { origin: peerIdToBytes(parsePeerId(origin)), lastSeq: to } }, idleMs)
}
