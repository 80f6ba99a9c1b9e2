import type { Stream } from '@libp2p/interface'
import { hfError, ErrorCodes } from '../errors.js'
import { FRAME_TARGET_BYTES, MAX_FRAME_BYTES, MAX_HEADS_FRAME_BYTES, MAX_PUSH_BATCHES, MAX_PUSH_BYTES } from './constants.js'
import { FrameStream } from './frame-stream.js'
import { decodeSync, encodeSync } from './sync-codec.js'
import { headsFromWire, headsToWire } from './heads-codec.js'
import { memberHeads } from './sync-session.js'
import type { ApplyOutcome, OriginHead, SyncLog } from './sync-log.js'

/**
 * The long-lived `/hashfed/sync-push/1.0.0` stream (one per connected member, opened by the
 * pusher once and reused, so no protocol negotiation per announcement):
 *
 *   pusher   → push{heads, frame}   (its heads and up to MAX_PUSH_BATCHES batches the receiver lacks)
 *   receiver → heads                (its heads after verifying and storing them)
 *
 * and again, for as long as the connection lasts. The receiver verifies every pushed batch
 * exactly as a pulled one (`SyncLog.applyRemote`); a duplicate (another peer was faster) is a
 * no-op. A batch that does not follow our head (`gap`) is not an offence here: a push is
 * unsolicited and may race a head we had not told yet; the receiver pulls instead.
 */

/** A push message: heads, the batch bytes, and the protobuf overhead around them. */
const MAX_PUSH_MESSAGE_BYTES = MAX_PUSH_BYTES + MAX_HEADS_FRAME_BYTES + 64 * 1024

function frames (stream: Stream): FrameStream {
  return new FrameStream(stream, { maxFrameBytes: MAX_FRAME_BYTES, highWaterBytes: 2 * FRAME_TARGET_BYTES })
}

function breach (message: string): Error {
  return hfError(ErrorCodes.PROTOCOL, message, { reason: 'protocol' })
}

export interface PushLinkInit {
  isOrigin: (origin: string) => boolean
  /** the receiver's heads, as it answered a push */
  onHeads: (heads: OriginHead[]) => void
  /** the link ended: `err` null when we closed it ourselves */
  onEnd: (err: Error | null) => void
}

/** The pusher's end of a push stream. */
export class PushLink {
  /** per origin, the highest seq pushed on this stream (the answer may not be back yet) */
  readonly pushed = new Map<string, number>()
  private readonly s: FrameStream
  private readonly closing = new AbortController()
  private ended = false

  constructor (readonly stream: Stream, private readonly init: PushLinkInit) {
    this.s = frames(stream)
    void this.readAnswers()
  }

  get open (): boolean {
    return !this.ended && this.stream.status === 'open'
  }

  /** Sends one push; waits at most `idleMs` for the stream to take it. */
  async send (heads: OriginHead[], origin: string, lastSeq: number, batches: Uint8Array[], idleMs: number): Promise<void> {
    await this.s.write(encodeSync({ push: { heads: headsToWire(heads), frame: { batches } } }), idleMs)
    this.pushed.set(origin, Math.max(this.pushed.get(origin) ?? 0, lastSeq))
  }

  /** `origin`'s chain was cut below `fromSeq` (a revocation): what we pushed from there on no longer counts. */
  forgetFrom (origin: string, fromSeq: number): void {
    if ((this.pushed.get(origin) ?? 0) >= fromSeq) this.pushed.set(origin, fromSeq - 1)
  }

  close (err?: Error): void {
    if (this.ended) return
    this.ended = true
    this.closing.abort()
    if (err !== undefined) this.stream.abort(err)
    else void this.stream.close().catch(() => {})
  }

  private async readAnswers (): Promise<void> {
    try {
      for (;;) {
        const msg = decodeSync(await this.s.read(this.closing.signal, MAX_HEADS_FRAME_BYTES))
        if (msg.kind !== 'heads') throw breach(`sync push: expected heads, got ${msg.kind ?? 'nothing'}`)
        this.init.onHeads(memberHeads(headsFromWire(msg.heads), this.init.isOrigin))
      }
    } catch (err) {
      const ours = this.ended
      this.close(err as Error)
      this.init.onEnd(ours ? null : err as Error)
    }
  }
}

export interface PushServeHooks {
  log: SyncLog
  peer: string
  isOrigin: (origin: string) => boolean
  /** aborted when we stop: the stream waits for the next push without a time limit until then */
  signal: AbortSignal
  idleMs: number
  onPeerHeads: (heads: OriginHead[]) => void
  /** a pushed batch's bytes, before they are verified */
  onPushed?: (bytes: Uint8Array) => void
  /** a verified outcome of a pushed batch (its origin when it decoded) */
  onOutcome: (origin: string | null, outcome: ApplyOutcome) => void
  /** a pushed batch did not follow our head: pull from the peer instead */
  onGap: () => void
}

/** The receiver's end: verifies and stores each push, answers with our heads; until the stream ends. */
export async function servePushes (stream: Stream, hooks: PushServeHooks): Promise<void> {
  const s = frames(stream)
  for (;;) {
    const msg = decodeSync(await s.read(hooks.signal, MAX_PUSH_MESSAGE_BYTES))
    if (msg.kind !== 'push') throw breach(`sync push: expected push, got ${msg.kind ?? 'nothing'}`)
    const heads = headsFromWire(msg.push?.heads)
    hooks.onPeerHeads(memberHeads(heads, hooks.isOrigin))
    const batches = msg.push?.frame?.batches ?? []
    if (batches.length === 0) throw breach('sync push: no batch')
    if (batches.length > MAX_PUSH_BATCHES) throw hfError(ErrorCodes.PROTOCOL, `sync push: ${batches.length} batches, at most ${MAX_PUSH_BATCHES}`, { reason: 'too-large' })
    let gap = false
    for (const bytes of batches) {
      hooks.onPushed?.(bytes)
      const outcome = await hooks.log.applyRemote(bytes, hooks.peer)
      if (outcome.status === 'rejected' && outcome.reason === 'gap') { gap = true; break }
      hooks.onOutcome(outcome.origin ?? null, outcome)
      // the rest cannot chain onto our head
      if (outcome.status === 'rejected') break
    }
    await s.write(encodeSync({ heads: headsToWire(hooks.log.heads().filter(h => hooks.isOrigin(h.origin))) }), hooks.idleMs)
    if (gap) hooks.onGap()
  }
}
