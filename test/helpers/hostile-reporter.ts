import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto'
import { multiaddr } from '@multiformats/multiaddr'
import { lpStream, type LengthPrefixedStream } from '@libp2p/utils'
import type { Stream } from '@libp2p/interface'
import { MAX_MESSAGE_BYTES, COURIER_PROTOCOL as REPORT_PROTOCOL } from '../../src/courier/constants.js'
import { decodeMessage, encodeMessage, messageRecord, type Envelope as ReportMessage, type EnvelopeInit as ReportMessageInit } from '../../src/courier/envelope.js'
import { signReceipt } from '../../src/courier/receipts.js'
import { bodyHash, type Signed } from '../../src/courier/signed-record.js'
import { parsePeerId, peerIdToBytes, type Identity } from '../../src/identity/identity.js'
import { pb, type hashfed } from '../../src/proto/index.js'
import type { HashfedLibp2p } from '../../src/net/create-libp2p.js'
import { HostilePeer } from './hostile-peer.js'
import { publishPeer, type TestMember } from './federation.js'

/** One answer the target gave: `receipt`, the refusal reason, or `failed` when the stream or dial broke. */
export type Outcome = 'receipt' | 'failed' | string

/** A raw `/hashfed/report/1.0.0` stream: one message out, one answer back, as often as the target allows. */
export interface ReportLine {
  /** sends a message (or raw bytes as one frame: the length prefix is added) and reads the answer; null when the stream broke */
  send: (message: ReportMessageInit | Uint8Array) => Promise<ReportMessage | null>
  ended: () => boolean
  close: () => Promise<void>
}

export interface FloodResult {
  sent: number
  /** answers by outcome */
  outcomes: Map<Outcome, number>
  /** dials refused or failed (after a cut-off: the gater closes the door) */
  refusedDials: number
}

/**
 * A federation member with a valid key that speaks the real report protocol and abuses it:
 * status forgery by the origin, report floods, malformed frames, records naming ever new
 * signers, reports its target's submit would refuse, records smuggling unknown fields. It
 * runs on a HostilePeer (same key, same listen port, an honest-looking sync responder), and
 * as a target it receipts whatever a node sends it (`received`), so it can then act as the
 * responsible hotline of those reports. It never verifies anything.
 */
export class HostileReporter {
  /** messages nodes delivered to it, in order */
  readonly received: ReportMessage[] = []
  private readonly lines: ReportLine[] = []

  private constructor (readonly peer: HostilePeer) {}

  static async start (member: TestMember): Promise<HostileReporter> {
    const peer = await HostilePeer.start({ member, batches: new Map() })
    const reporter = new HostileReporter(peer)
    await peer.libp2p.handle(REPORT_PROTOCOL, (stream) => {
      reporter.receipt(stream).catch((err: Error) => stream.abort(err))
    }, { maxInboundStreams: 64 })
    return reporter
  }

  /** `start`, then its address published where the federation's members look peers up. */
  static async startPublished (member: TestMember): Promise<HostileReporter> {
    const reporter = await HostileReporter.start(member)
    await publishPeer(member, reporter.peer)
    return reporter
  }

  get identity (): Identity { return this.peer.identity }
  get libp2p (): HashfedLibp2p { return this.peer.libp2p }

  /** The target role: every message gets a valid receipt signed with the member key. */
  private async receipt (stream: Stream): Promise<void> {
    const s = lpStream(stream, { maxDataLength: MAX_MESSAGE_BYTES })
    for (;;) {
      let msg: ReportMessage
      try { msg = decodeMessage(await s.read()) } catch { break }
      this.received.push(msg)
      const rec = messageRecord(msg)
      if (rec === null) break
      const body = rec.signed.body ?? new Uint8Array()
      const subject = rec.kind === 'report' ? pb.UrlReport.decode(body).id : rec.kind === 'status' ? pb.StatusUpdate.decode(body).reportId : pb.Feedback.decode(body).id
      await s.write(encodeMessage({ receipt: signReceipt(this.identity, { reportId: subject, receiver: this.identity.peerIdBytes, ackedHash: bodyHash(rec.signed), receivedMs: Date.now() }) }))
    }
    await stream.close().catch(() => {})
  }

  /** A report stream to `target`; throws when the dial is refused. */
  async line (target: TestMember): Promise<ReportLine> {
    const stream = await this.libp2p.dialProtocol(multiaddr(`${target.announce[0]}/p2p/${target.peerId}`), REPORT_PROTOCOL, { signal: AbortSignal.timeout(10_000) })
    const s: LengthPrefixedStream<Stream> = lpStream(stream, { maxDataLength: MAX_MESSAGE_BYTES })
    let broken = false
    const line: ReportLine = {
      send: async (message) => {
        try {
          await s.write(message instanceof Uint8Array ? message : encodeMessage(message), { signal: AbortSignal.timeout(10_000) })
          return decodeMessage(await s.read({ signal: AbortSignal.timeout(10_000) }))
        } catch {
          broken = true
          stream.abort(new Error('hostile reporter: stream broken'))
          return null
        }
      },
      ended: () => broken || stream.status !== 'open',
      close: async () => { await stream.close().catch(() => stream.abort(new Error('close failed'))) }
    }
    this.lines.push(line)
    return line
  }

  /** One message on a stream of its own. */
  async send (target: TestMember, message: ReportMessageInit | Uint8Array): Promise<ReportMessage | null> {
    const line = await this.line(target)
    const answer = await line.send(message)
    await line.close()
    return answer
  }

  /**
   * Sends `count` messages made by `make(i)` over `streams` parallel streams, whatever the
   * answers say; a broken stream is replaced. Stops early once `stopAfterRefusedDials` dials
   * in a row are refused (it has been cut off).
   */
  async flood (target: TestMember, count: number, make: (i: number) => ReportMessageInit | Uint8Array, opts: { streams?: number, stopAfterRefusedDials?: number } = {}): Promise<FloodResult> {
    const result: FloodResult = { sent: 0, outcomes: new Map(), refusedDials: 0 }
    const count1 = (o: Outcome): void => { result.outcomes.set(o, (result.outcomes.get(o) ?? 0) + 1) }
    let next = 0
    let refusedInARow = 0
    const stopAfter = opts.stopAfterRefusedDials ?? 3
    const worker = async (): Promise<void> => {
      let line: ReportLine | null = null
      while (next < count && refusedInARow < stopAfter) {
        if (line === null || line.ended()) {
          try {
            line = await this.line(target)
            refusedInARow = 0
          } catch {
            result.refusedDials++
            refusedInARow++
            line = null
            continue
          }
        }
        const i = next++
        result.sent++
        const answer = await line.send(make(i))
        count1(answer === null ? 'failed' : answer.kind === 'receipt' ? 'receipt' : answer.error?.reason ?? 'error')
      }
      await line?.close()
    }
    await Promise.all(Array.from({ length: opts.streams ?? 8 }, async () => await worker()))
    return result
  }

  /** Whether `target` still keeps a connection to it open. */
  connectedTo (target: TestMember): boolean {
    return this.peer.connectedTo(target.peerId)
  }

  // ------------------------------------------------------------ records

  /** Signs `body` with the member key. */
  sign (body: Uint8Array): Signed {
    return { body, signature: this.identity.sign(body) }
  }

  /** A report body from this member to `target` that local submit would accept, with `fields` changed. */
  reportBody (target: TestMember, fields: Partial<hashfed.v1.UrlReport.$Properties> = {}): Uint8Array {
    return pb.UrlReport.encode({
      version: 1,
      id: randomUUID(),
      origin: this.identity.peerIdBytes,
      target: peerIdToBytes(parsePeerId(target.peerId)),
      url: `https://hostile.example.nl/${randomUUID()}`,
      country: target.countries[0],
      createdMs: Date.now(),
      countrySource: 'explicit',
      ...fields
    }).finish()
  }

  report (target: TestMember, fields: Partial<hashfed.v1.UrlReport.$Properties> = {}): Signed {
    return this.sign(this.reportBody(target, fields))
  }

  statusBody (reportId: string, fields: Partial<hashfed.v1.StatusUpdate.$Properties> = {}): Uint8Array {
    return pb.StatusUpdate.encode({ reportId, author: this.identity.peerIdBytes, seq: 1, status: pb.ReportStatus.ASSESSED, atMs: Date.now(), ...fields }).finish()
  }

  status (reportId: string, fields: Partial<hashfed.v1.StatusUpdate.$Properties> = {}): Signed {
    return this.sign(this.statusBody(reportId, fields))
  }

  /** A report naming a brand-new signer as its origin, under 64 random bytes of "signature". */
  strangerReport (target: TestMember): Signed {
    const body = this.reportBody(target, { origin: newSignerId() })
    return { body, signature: new Uint8Array(randomBytes(64)) }
  }
}

/** The body with one more field this version does not know: number `field`, a string `text`. */
export function withUnknownField (body: Uint8Array, text: string, field = 99): Uint8Array {
  const bytes = Buffer.from(text, 'utf8')
  return new Uint8Array([...body, ...varint((field << 3) | 2), ...varint(bytes.length), ...bytes])
}

/** Peer ID bytes of a fresh Ed25519 key: a signer no node has seen. */
export function newSignerId (): Uint8Array {
  const jwk = generateKeyPairSync('ed25519').publicKey.export({ format: 'jwk' })
  const raw = Buffer.from(jwk.x!, 'base64url')
  // identity multihash of the protobuf PublicKey { Type: Ed25519, Data: raw }
  return new Uint8Array([0x00, 0x24, 0x08, 0x01, 0x12, 0x20, ...raw])
}

/** Frame bytes that are not a ReportMessage (field 1 with the invalid wire type 7). */
export function garbageReportFrame (): Uint8Array {
  return new Uint8Array([0x0f, ...randomBytes(32)])
}

function varint (n: number): number[] {
  const out: number[] = []
  while (n >= 0x80) { out.push((n & 0x7f) | 0x80); n = Math.floor(n / 128) }
  out.push(n)
  return out
}
