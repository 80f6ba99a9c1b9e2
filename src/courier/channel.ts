import { lpStream, type LengthPrefixedStream } from '@libp2p/utils'
import { peerIdFromString } from '@libp2p/peer-id'
import type { Connection, Stream } from '@libp2p/interface'
import type { Logger } from 'pino'
import type { HashfedLibp2p } from '../net/create-libp2p.js'
import { hfError, ErrorCodes } from '../errors.js'
import { COURIER_BATCH_PROTOCOL, COURIER_PROTOCOL, EXCHANGE_TIMEOUT_MS, MAX_INBOUND_STREAMS, MAX_MESSAGE_BYTES } from './constants.js'
import { decodeMessage, encodeMessage, type Envelope, type EnvelopeInit } from './envelope.js'
import { rejectReason } from './rejection.js'

/**
 * The courier protocol (`/hashfed/report/1.0.0`): request and answer, length-prefixed
 * envelopes. The sender writes one envelope carrying one signed record; the receiver stores
 * it and answers with an envelope holding a signed receipt, or an error saying why it
 * refused. The sender may then write the next message on the same stream, or close it: a
 * backlog of a thousand messages needs a few streams, not a thousand. On protocol 1.1.0 a
 * message may also be a batch of records answered by one receipt naming them all; a peer
 * that only offers 1.0.0 (the previous version) gets one record a message.
 */

function lp (stream: Stream): LengthPrefixedStream<Stream> {
  return lpStream(stream, { maxDataLength: MAX_MESSAGE_BYTES })
}

function signalFor (signal?: AbortSignal): AbortSignal {
  const timeout = AbortSignal.timeout(EXCHANGE_TIMEOUT_MS)
  return signal === undefined ? timeout : AbortSignal.any([signal, timeout])
}

function unreachable (peer: string, err: unknown): Error {
  return hfError(ErrorCodes.NODE_UNREACHABLE, `courier exchange with ${peer}: ${(err as Error).message}`, { reason: 'stream' }, err)
}

/** A stream to one target on which messages are sent one after another. */
export interface CourierChannel {
  /** sends one message and returns the answer; throws HF_NODE_UNREACHABLE when the stream fails */
  exchange: (message: EnvelopeInit, signal?: AbortSignal) => Promise<Envelope>
  close: () => Promise<void>
  abort: (err: Error) => void
  /** the target speaks 1.1.0: it takes batches */
  batching: boolean
}

/** `batching: false` offers 1.0.0 only (what the previous version does; tests). */
export async function openChannel (libp2p: HashfedLibp2p, peer: string, signal?: AbortSignal, batching = true): Promise<CourierChannel> {
  let stream: Stream
  try {
    const protocols = batching ? [COURIER_BATCH_PROTOCOL, COURIER_PROTOCOL] : [COURIER_PROTOCOL]
    stream = await libp2p.dialProtocol(peerIdFromString(peer), protocols, { signal: signalFor(signal) })
  } catch (err) {
    throw unreachable(peer, err)
  }
  const s = lp(stream)
  return {
    exchange: async (message, sig) => {
      const opts = { signal: signalFor(sig) }
      try {
        await s.write(encodeMessage(message), opts)
        return decodeMessage(await s.read(opts))
      } catch (err) {
        stream.abort(err as Error)
        throw unreachable(peer, err)
      }
    },
    close: async () => { await stream.close({ signal: AbortSignal.timeout(EXCHANGE_TIMEOUT_MS) }).catch(() => { stream.abort(new Error('close timed out')) }) },
    abort: (err) => { stream.abort(err) },
    batching: stream.protocol === COURIER_BATCH_PROTOCOL
  }
}

/** One message on a stream of its own: the target's answer, or HF_NODE_UNREACHABLE. */
export async function exchange (libp2p: HashfedLibp2p, peer: string, message: EnvelopeInit, signal?: AbortSignal): Promise<Envelope> {
  const channel = await openChannel(libp2p, peer, signal)
  const answer = await channel.exchange(message, signal)
  await channel.close()
  return answer
}

export interface ServeInit {
  libp2p: HashfedLibp2p
  logger: Logger
  /** answers one inbound message from `from` (the Noise-authenticated peer); never throws */
  answer: (message: Envelope, from: string) => Promise<EnvelopeInit>
  /** a frame that could not even be read or decoded */
  onUnreadable: (from: string, reason: string, message: string) => void
  /** serve 1.1.0 (batches) besides 1.0.0 @default true; false: as the previous version (tests) */
  batching?: boolean
}

/** Receiver side: registers the protocol handlers; returns the function that removes them. */
export async function serveCourierProtocol (init: ServeInit): Promise<() => Promise<void>> {
  const protocols = init.batching === false ? [COURIER_PROTOCOL] : [COURIER_PROTOCOL, COURIER_BATCH_PROTOCOL]
  for (const protocol of protocols) {
    await init.libp2p.handle(protocol, (stream: Stream, connection: Connection) => {
      void serveStream(stream, connection.remotePeer.toString(), init)
    }, { maxInboundStreams: MAX_INBOUND_STREAMS })
  }
  return async () => { for (const protocol of protocols) await init.libp2p.unhandle(protocol) }
}

/** The sender closed its side between two messages: the normal end of a stream. */
function cleanEnd (stream: Stream, err: unknown): boolean {
  return (err as Error).name === 'UnexpectedEOFError' && stream.remoteWriteStatus !== 'writable' && stream.readBufferLength === 0
}

async function serveStream (stream: Stream, from: string, init: ServeInit): Promise<void> {
  const s = lp(stream)
  for (;;) {
    let message: Envelope
    try {
      message = decodeMessage(await s.read({ signal: AbortSignal.timeout(EXCHANGE_TIMEOUT_MS) }))
    } catch (err) {
      if (cleanEnd(stream, err)) break
      const tooLarge = /too long|too large/i.test((err as Error).message)
      const reason = tooLarge ? 'too-large' : rejectReason(err) === 'malformed' ? 'malformed' : 'stream'
      if (reason !== 'stream') {
        init.onUnreadable(from, reason, (err as Error).message)
        await s.write(encodeMessage({ error: { code: ErrorCodes.PROTOCOL, reason, message: (err as Error).message } }), { signal: AbortSignal.timeout(EXCHANGE_TIMEOUT_MS) }).catch(() => {})
      }
      stream.abort(err as Error)
      return
    }
    try {
      const reply = await init.answer(message, from)
      await s.write(encodeMessage(reply), { signal: AbortSignal.timeout(EXCHANGE_TIMEOUT_MS) })
    } catch (err) {
      init.logger.debug({ peer: from, err: (err as Error).message }, 'courier stream failed')
      stream.abort(err as Error)
      return
    }
  }
  await stream.close({ signal: AbortSignal.timeout(EXCHANGE_TIMEOUT_MS) }).catch(() => { stream.abort(new Error('close timed out')) })
}
