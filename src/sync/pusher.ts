import type { Logger } from 'pino'
import type { Connection, Stream } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import type { HashfedLibp2p } from '../net/create-libp2p.js'
import { MAX_INBOUND_PUSH_STREAMS_PER_PEER, MAX_PUSH_BATCHES, MAX_PUSH_BYTES, PUSH_PROTOCOL } from './constants.js'
import { PushLink, servePushes } from './push-stream.js'
import type { ApplyOutcome, OriginHead, SyncLog, VerifiedBatch } from './sync-log.js'
import type { SyncRejectReason } from './reject-reasons.js'
import { scanBatch } from '../log/batch-scan.js'

/** Verified batches remembered to recognise a neighbour's copy of one (a batch crosses ~3 links at once). */
const RECENT_VERIFIED = 8

/** A batch we just stored, as the log announces it. */
export interface NewBatch {
  origin: string
  seq: number
  /** the encoded Signed batch */
  signed: Uint8Array
}

interface Fresh extends NewBatch {
  prevHash: Uint8Array
}

export interface PusherInit {
  libp2p: HashfedLibp2p
  log: SyncLog
  logger: Logger
  isOrigin: (origin: string) => boolean
  isMember: (peer: string) => boolean
  idleMs: number
  /** the heads `peer` last told us, or undefined when it told us none yet */
  peerHeads: (peer: string) => Map<string, OriginHead> | undefined
  onPeerHeads: (peer: string, heads: OriginHead[]) => void
  onOutcome: (peer: string, origin: string | null, outcome: ApplyOutcome) => void
  /** a push stream failed: counted as a session failure (an offence unless the link dropped) */
  onFailed: (peer: string, err: Error) => void
  reject: (peer: string, reason: SyncRejectReason, message: string) => void
  /** announce to `peer` the way that always works: a pull session */
  fallback: (peer: string) => void
}

/** `log` whose applyRemote hands each peer's batch to `relay` once verified, before it is written. */
export function relayOnVerify (log: SyncLog, relay: (from: string, batch: VerifiedBatch) => void): SyncLog {
  return { ...log, applyRemote: async (signed, from) => await log.applyRemote(signed, from, (b) => relay(from, b)) }
}

/**
 * Push-based replication. When we store a batch, each connected member whose last told head
 * of that origin is on our chain and at most MAX_PUSH_BATCHES (MAX_PUSH_BYTES) behind gets the
 * missing batches on its long-lived push stream: half a round trip, no negotiation, no
 * request. Anyone else (heads unknown, further behind, diverged, or a node without the push
 * protocol) is announced to by a pull session as before. Pushes to one peer go in order.
 */
export class Pusher {
  pushesSent = 0
  pushesReceived = 0
  private readonly links = new Map<string, PushLink>()
  private readonly opening = new Map<string, Promise<PushLink | null>>()
  /** peers whose node refused the push protocol (until they reconnect) */
  private readonly unsupported = new Set<string>()
  private readonly queues = new Map<string, Promise<void>>()
  private readonly inbound = new Map<string, number>()
  /**
   * peer → origin → highest seq the peer pushed us that verified (stored, or a copy of what we
   * hold): it holds that batch, on our chain. A batch crosses a link in both directions when
   * both ends got it elsewhere first; knowing this, neither end pushes it back nor relays it.
   */
  private readonly provenHeld = new Map<string, Map<string, number>>()
  /** the last few peers' batches we verified (relayed): a peer pushing the same bytes holds one of them */
  private readonly recentVerified: VerifiedBatch[] = []
  private readonly stopping = new AbortController()

  constructor (private readonly init: PusherInit) {}

  async start (): Promise<void> {
    await this.init.libp2p.handle(PUSH_PROTOCOL, (stream, connection) => { void this.serve(stream, connection) }, { maxInboundStreams: 4 * MAX_INBOUND_PUSH_STREAMS_PER_PEER })
    this.init.libp2p.addEventListener('peer:disconnect', (evt) => { this.forget(evt.detail.toString()) })
  }

  stop (): void {
    this.stopping.abort()
    for (const l of this.links.values()) l.close()
    this.links.clear()
  }

  /**
   * Announces our new batch (`signed` just stored) to `peers`: a push when it can, else
   * `fallback`. Only the batch's prev_hash is read here (no entry objects): a peer one behind
   * gets it without a read of the store.
   */
  offer (peers: string[], batch: NewBatch): void {
    if (peers.length === 0) return
    let fresh: Fresh | undefined
    try {
      // a peer's batch we relayed carries its prev_hash already: no second scan of its entries
      const prevHash = this.recentVerified.find(b => b.signed === batch.signed)?.prevHash ?? scanBatch(batch.signed, () => {}).prevHash
      fresh = { origin: batch.origin, seq: batch.seq, signed: batch.signed, prevHash }
    } catch {
      fresh = undefined
    }
    for (const peer of peers) this.offerTo(peer, batch.origin, fresh)
  }

  private offerTo (peer: string, origin: string, fresh: Fresh | undefined): void {
    this.enqueue(peer, async () => {
      let pushed = false
      try {
        pushed = await this.tryPush(peer, origin, fresh)
      } catch (err) {
        this.init.logger.debug({ peer, err: (err as Error).message }, 'sync push failed, announcing instead')
      }
      if (!pushed) this.init.fallback(peer)
    })
  }

  /** `origin`'s chain was cut below `fromSeq`: batches pushed from there on are no longer the peers'. */
  forgetFrom (origin: string, fromSeq: number): void {
    for (const l of this.links.values()) l.forgetFrom(origin, fromSeq)
    for (const held of this.provenHeld.values()) if ((held.get(origin) ?? 0) >= fromSeq) held.set(origin, fromSeq - 1)
  }

  /** Highest seq of `origin` that `peer` holds on our chain as far as we know: we pushed it, or it pushed it to us. */
  private knownHeld (peer: string, origin: string): number {
    return Math.max(this.links.get(peer)?.pushed.get(origin) ?? 0, this.provenHeld.get(peer)?.get(origin) ?? 0)
  }

  /** `peer` pushed us a batch that verified: it holds it (see provenHeld). */
  private noteHeld (peer: string, outcome: ApplyOutcome): void {
    if (outcome.status === 'rejected' || outcome.origin === undefined || outcome.seq === undefined) return
    this.noteHeldSeq(peer, outcome.origin, outcome.seq)
  }

  private noteHeldSeq (peer: string, origin: string, seq: number): void {
    let held = this.provenHeld.get(peer)
    if (held === undefined) this.provenHeld.set(peer, held = new Map())
    if ((held.get(origin) ?? 0) < seq) held.set(origin, seq)
  }

  /**
   * Bytes `peer` pushed us, before they are applied: a byte-exact copy of a batch we verified
   * moments ago (its write may still be in flight) proves the peer holds it, so our own push of
   * it to that peer, once stored, is skipped. Anything else proves nothing until it verifies.
   */
  private notePushed (peer: string, bytes: Uint8Array): void {
    for (const b of this.recentVerified) {
      if (b.signed.length === bytes.length && Buffer.compare(b.signed, bytes) === 0) this.noteHeldSeq(peer, b.origin, b.seq)
    }
  }

  /**
   * Whether `peer` gets `batch` from elsewhere no later than from us, judged by the batch
   * before it: it pushed us that one, and either we did not push it to it or, both having
   * pushed (the batch crossed the link), the end with the lower peer ID leaves it to the
   * other. Such a peer is not relayed to on verify; `offer`, once we stored the batch, still
   * pushes it unless the peer has pushed it to us meanwhile: a wrong guess costs a write's
   * time on that hop, never the batch.
   */
  private upstream (peer: string, batch: VerifiedBatch): boolean {
    const prev = batch.seq - 1
    if (prev < 1 || (this.provenHeld.get(peer)?.get(batch.origin) ?? 0) < prev) return false
    const pushedPrev = (this.links.get(peer)?.pushed.get(batch.origin) ?? 0) >= prev
    return !pushedPrev || this.init.libp2p.peerId.toString() < peer
  }

  /**
   * Relays a peer's batch that we verified and are still writing: pushed at once to each of
   * `peers` known to hold exactly the batch before it, so a hop costs a verify, not a verify
   * and a write. The receivers verify it as any push. Peers it cannot go to now get it from
   * `offer` once it is stored (which skips the ones it reached here).
   */
  relay (peers: string[], batch: VerifiedBatch): void {
    if (this.stopping.signal.aborted) return
    this.recentVerified.push(batch)
    if (this.recentVerified.length > RECENT_VERIFIED) this.recentVerified.shift()
    for (const peer of peers) {
      if (this.upstream(peer, batch)) continue
      this.enqueue(peer, async () => {
        try {
          await this.tryRelay(peer, batch)
        } catch (err) {
          this.init.logger.debug({ peer, err: (err as Error).message }, 'sync relay failed, offered once stored')
        }
      })
    }
  }

  private async tryRelay (peer: string, batch: VerifiedBatch): Promise<void> {
    const known = this.init.peerHeads(peer)
    if (known === undefined || this.unsupported.has(peer)) return
    const { origin, seq } = batch
    const told = known.get(origin)
    const pushedSeq = this.knownHeld(peer, origin)
    if (Math.max(told?.seq ?? 0, pushedSeq) >= seq) return
    // the peer must hold exactly the batch before it: we pushed it, or it told us its hash
    const follows = pushedSeq === seq - 1 ||
      (seq === 1 && told === undefined) ||
      (told !== undefined && told.seq === seq - 1 && Buffer.compare(told.hash, batch.prevHash) === 0)
    // only on a stream already open: opening one (or learning the peer has none) is offer's part
    const link = this.links.get(peer)
    if (!follows || link === undefined || !link.open) return
    try {
      await link.send(this.init.log.heads().filter(h => this.init.isOrigin(h.origin)), origin, seq, [batch.signed], this.init.idleMs)
    } catch (err) {
      link.close(err as Error)
      throw err
    }
    this.pushesSent++
  }

  /** Opens the push stream to `peer` ahead of the first push (after a session, when heads are known). */
  warm (peer: string): void {
    if (this.links.get(peer)?.open === true || this.unsupported.has(peer) || this.stopping.signal.aborted) return
    this.enqueue(peer, async () => { await this.link(peer) })
  }

  private enqueue (peer: string, task: () => Promise<void>): void {
    const next = (this.queues.get(peer) ?? Promise.resolve()).then(task).catch(() => {})
    this.queues.set(peer, next)
    void next.finally(() => { if (this.queues.get(peer) === next) this.queues.delete(peer) })
  }

  /** True when pushed, or when the peer has told us it holds this origin as far as we do. */
  private async tryPush (peer: string, origin: string, fresh?: Fresh): Promise<boolean> {
    const known = this.init.peerHeads(peer)
    const ours = this.init.log.head(origin)
    if (known === undefined || ours === undefined || this.unsupported.has(peer)) return false
    const told = known.get(origin)
    const pushedSeq = this.knownHeld(peer, origin)
    const from = Math.max(told?.seq ?? 0, pushedSeq)
    if (from >= ours.seq) {
      // it holds as much as we do; the same seq under another hash is a fork, for a session to fetch
      return told === undefined || told.seq > ours.seq || pushedSeq >= ours.seq || Buffer.compare(told.hash, ours.hash) === 0
    }
    if (ours.seq - from > MAX_PUSH_BATCHES) return false
    // one behind, the batch just stored: its prev_hash names the peer's head, no read needed
    const next = fresh !== undefined && fresh.seq === ours.seq && from === ours.seq - 1 ? fresh : undefined
    // the peer's head must be on our chain, or our batches will not follow it
    if (from > pushedSeq && from > 0) {
      const mine = next !== undefined ? next.prevHash : await this.init.log.batchHashAt(origin, from)
      if (mine === null || told === undefined || Buffer.compare(mine, told.hash) !== 0) return false
    }
    const batches: Uint8Array[] = []
    let bytes = 0
    if (next !== undefined) {
      batches.push(next.signed)
      bytes = next.signed.length
    } else {
      for await (const b of this.init.log.readRange(origin, from + 1, ours.seq)) {
        bytes += b.length
        batches.push(b)
        if (bytes > MAX_PUSH_BYTES) break
      }
    }
    if (bytes > MAX_PUSH_BYTES) return false
    if (batches.length === 0) return false
    const link = await this.link(peer)
    if (link === null) return false
    try {
      await link.send(this.init.log.heads().filter(h => this.init.isOrigin(h.origin)), origin, ours.seq, batches, this.init.idleMs)
    } catch (err) {
      link.close(err as Error)
      throw err
    }
    this.pushesSent++
    return true
  }

  /** The open push stream to `peer`, opened now if need be; null when its node has none. */
  private async link (peer: string): Promise<PushLink | null> {
    const open = this.links.get(peer)
    if (open?.open === true) return open
    const pending = this.opening.get(peer)
    if (pending !== undefined) return await pending
    const opening = this.dial(peer).finally(() => this.opening.delete(peer))
    this.opening.set(peer, opening)
    return await opening
  }

  private async dial (peer: string): Promise<PushLink | null> {
    let stream: Stream
    try {
      stream = await this.init.libp2p.dialProtocol(peerIdFromString(peer), PUSH_PROTOCOL, { signal: AbortSignal.timeout(this.init.idleMs) })
    } catch (err) {
      // an older node: it has sessions only; asked again when it reconnects
      if ((err as Error).name === 'UnsupportedProtocolError') this.unsupported.add(peer)
      this.init.logger.debug({ peer, err: (err as Error).message }, 'sync push stream not opened')
      return null
    }
    const link: PushLink = new PushLink(stream, {
      isOrigin: this.init.isOrigin,
      onHeads: (heads) => this.init.onPeerHeads(peer, heads),
      onEnd: (err) => {
        if (this.links.get(peer) === link) this.links.delete(peer)
        if (err !== null && !this.stopping.signal.aborted) this.init.onFailed(peer, err)
      }
    })
    this.links.set(peer, link)
    return link
  }

  private forget (peer: string): void {
    this.unsupported.delete(peer)
    this.provenHeld.delete(peer)
    this.links.get(peer)?.close()
    this.links.delete(peer)
  }

  /** The receiving end of a member's push stream. */
  private async serve (stream: Stream, connection: Connection): Promise<void> {
    const peer = connection.remotePeer.toString()
    if (!this.init.isMember(peer)) { stream.abort(new Error('not a member')); return }
    const open = (this.inbound.get(peer) ?? 0) + 1
    if (open > MAX_INBOUND_PUSH_STREAMS_PER_PEER) {
      stream.abort(new Error('too many push streams'))
      this.init.reject(peer, 'flood', `more than ${MAX_INBOUND_PUSH_STREAMS_PER_PEER} push streams open at once`)
      return
    }
    this.inbound.set(peer, open)
    try {
      await servePushes(stream, {
        log: this.init.log,
        peer,
        isOrigin: this.init.isOrigin,
        signal: this.stopping.signal,
        idleMs: this.init.idleMs,
        onPeerHeads: (heads) => { this.pushesReceived++; this.init.onPeerHeads(peer, heads) },
        onPushed: (bytes) => this.notePushed(peer, bytes),
        onOutcome: (origin, outcome) => { this.noteHeld(peer, outcome); this.init.onOutcome(peer, origin, outcome) },
        onGap: () => this.init.fallback(peer)
      })
    } catch (err) {
      stream.abort(err as Error)
      if (!this.stopping.signal.aborted) this.init.onFailed(peer, err as Error)
    } finally {
      const left = (this.inbound.get(peer) ?? 1) - 1
      if (left > 0) this.inbound.set(peer, left)
      else this.inbound.delete(peer)
    }
  }
}
