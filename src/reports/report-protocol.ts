import { lpStream, type LengthPrefixedStream } from '@libp2p/utils'
import { peerIdFromString } from '@libp2p/peer-id'
import type { Connection, Stream } from '@libp2p/interface'
import type { Logger } from 'pino'
import type { HashfedLibp2p } from '../net/create-libp2p.js'
import { hfError, ErrorCodes } from '../errors.js'
import { EXCHANGE_TIMEOUT_MS, MAX_INBOUND_STREAMS, MAX_MESSAGE_BYTES, REPORT_PROTOCOL } from './constants.js'
import { decodeMessage, encodeMessage, type ReportMessage, type ReportMessageInit } from './report-codec.js'
import { rejectReason } from './rejection.js'

/**
 * `/hashfed/report/1.0.0`: one exchange per stream. The sender writes one length-prefixed
 * ReportMessage (report, status or feedback); the receiver stores it and answers with one
 * ReportMessage holding a signed receipt, or an error saying why it refused.
 */

function lp (stream: Stream): LengthPrefixedStream<Stream> {
  return lpStream(stream, { maxDataLength: MAX_MESSAGE_BYTES })
}

/** Sender side: the target's answer, or a `stream` error (unreachable, timeout, reset). */
export async function exchange (libp2p: HashfedLibp2p, peer: string, message: ReportMessageInit, signal?: AbortSignal): Promise<ReportMessage> {
  const timeout = AbortSignal.timeout(EXCHANGE_TIMEOUT_MS)
  const opts = { signal: signal === undefined ? timeout : AbortSignal.any([signal, timeout]) }
  let stream: Stream | undefined
  try {
    stream = await libp2p.dialProtocol(peerIdFromString(peer), REPORT_PROTOCOL, opts)
    const s = lp(stream)
    await s.write(encodeMessage(message), opts)
    const answer = decodeMessage(await s.read(opts))
    await stream.close(opts).catch(() => {})
    return answer
  } catch (err) {
    stream?.abort(err as Error)
    throw hfError(ErrorCodes.NODE_UNREACHABLE, `report exchange with ${peer}: ${(err as Error).message}`, { reason: 'stream' }, err)
  }
}

export interface ServeInit {
  libp2p: HashfedLibp2p
  logger: Logger
  /** answers one inbound message from `from` (the Noise-authenticated peer) */
  answer: (message: ReportMessage, from: string) => Promise<ReportMessageInit>
  /** a frame that could not even be read or decoded */
  onUnreadable: (from: string, reason: string, message: string) => void
}

/** Receiver side: registers the protocol handler; returns the function that removes it. */
export async function serveReportProtocol (init: ServeInit): Promise<() => Promise<void>> {
  await init.libp2p.handle(REPORT_PROTOCOL, (stream: Stream, connection: Connection) => {
    void serveStream(stream, connection.remotePeer.toString(), init)
  }, { maxInboundStreams: MAX_INBOUND_STREAMS })
  return async () => { await init.libp2p.unhandle(REPORT_PROTOCOL) }
}

async function serveStream (stream: Stream, from: string, init: ServeInit): Promise<void> {
  const s = lp(stream)
  const opts = { signal: AbortSignal.timeout(EXCHANGE_TIMEOUT_MS) }
  let message: ReportMessage
  try {
    const data = await s.read(opts)
    message = decodeMessage(data)
  } catch (err) {
    const tooLarge = /too long|too large/i.test((err as Error).message)
    const reason = tooLarge ? 'too-large' : rejectReason(err) === 'malformed' ? 'malformed' : 'stream'
    if (reason !== 'stream') {
      init.onUnreadable(from, reason, (err as Error).message)
      await s.write(encodeMessage({ error: { code: ErrorCodes.PROTOCOL, reason, message: (err as Error).message } }), opts).catch(() => {})
    }
    stream.abort(err as Error)
    return
  }
  try {
    const reply = await init.answer(message, from)
    await s.write(encodeMessage(reply), opts)
    await stream.close(opts).catch(() => {})
  } catch (err) {
    // the answer itself never throws (refusals are replies); this is the stream failing
    init.logger.debug({ peer: from, err: (err as Error).message }, 'report stream failed')
    stream.abort(err as Error)
  }
}
