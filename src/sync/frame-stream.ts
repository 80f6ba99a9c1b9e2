import type { Stream } from '@libp2p/interface'
import { hfError, ErrorCodes } from '../errors.js'

export interface FrameStreamInit {
  /** largest frame accepted; a longer length prefix is a `too-large` offence */
  maxFrameBytes: number
  /** unread bytes above which the stream is paused until we catch up */
  highWaterBytes: number
}

/**
 * Length-prefixed frames (unsigned varint length, then the bytes, as libp2p's lpStream) on a
 * stream, with backpressure on the reading side. lpStream buffers whatever arrives and resets
 * the stream past 4 MiB, while yamux keeps granting the sender window as soon as bytes arrive:
 * a node that takes a few hundred ms to verify and store a batch then loses the session after
 * a few MiB of a large transfer. Here the stream is paused (yamux stops granting window) while
 * more than `highWaterBytes` wait unread, and resumed when a read needs more bytes.
 *
 * Errors are HF_PROTOCOL with `details.reason`: `too-large` (length over maxFrameBytes),
 * `malformed` (a length prefix that is not one), `timeout` (nothing for the read's time),
 * `stream` (closed or reset: not the peer's offence by itself, links drop). A `stream` error
 * has `details.byPeer` true when the peer itself reset the stream or closed its side while
 * the connection stayed up (not a dropped link, not our own close).
 */
export class FrameStream {
  private chunks: Uint8Array[] = []
  private buffered = 0
  /** true while `resume` hands us what the stream held: pausing then would undo the resume */
  private resuming = false
  private remoteEnded = false
  /** the peer reset the stream or closed its writing side (the connection did not drop) */
  private endedByPeer = false
  private failure: Error | null = null
  /** set once a frame was refused: what the peer sends from then on is dropped unread */
  private refused = false
  private wake: (() => void) | null = null
  private readonly maxLengthBytes: number

  constructor (private readonly stream: Stream, private readonly init: FrameStreamInit) {
    this.maxLengthBytes = varint(init.maxFrameBytes).length
    // while paused, the sender may still use the window yamux granted (up to 16 MiB): the
    // stream holds those bytes instead of resetting past its 4 MiB default
    stream.maxReadBufferLength = Math.max(stream.maxReadBufferLength, 16 * 1024 * 1024 + init.maxFrameBytes)
    stream.addEventListener('message', (evt) => {
      const data = evt.data
      if (data instanceof Uint8Array) this.push(data)
      else for (const chunk of data) this.push(chunk)
      if (this.buffered > this.init.highWaterBytes && !this.resuming && stream.readStatus === 'readable') stream.pause()
      this.signal()
    })
    stream.addEventListener('remoteCloseWrite', () => { this.remoteEnded = true; this.endedByPeer = true; this.signal() })
    stream.addEventListener('close', (evt) => {
      this.remoteEnded = true
      if (evt.error != null) this.failure = evt.error
      // a reset from the other side (a dropped connection closes the stream without one)
      if (evt.local === false && evt.error != null) this.endedByPeer = true
      this.signal()
    })
  }

  /** The next frame; waits at most until `signal` aborts. `maxBytes` lowers the frame limit for this read. */
  async read (signal: AbortSignal, maxBytes = this.init.maxFrameBytes): Promise<Uint8Array> {
    for (;;) {
      const frame = this.takeFrame(Math.min(maxBytes, this.init.maxFrameBytes))
      if (frame !== null) {
        if (this.buffered <= this.init.highWaterBytes) this.resume()
        return frame
      }
      // more bytes are needed: whatever the paused stream holds comes first
      if (this.resume()) continue
      if (this.failure !== null) throw streamError(`sync stream: ${this.failure.message}`, this.endedByPeer, this.failure)
      if (this.remoteEnded) throw streamError(`sync stream: closed with ${this.buffered} bytes of an unfinished frame`, this.endedByPeer)
      if (signal.aborted) throw hfError(ErrorCodes.PROTOCOL, 'sync stream: the peer sent nothing in time', { reason: 'timeout' })
      await new Promise<void>(resolve => {
        const done = (): void => { signal.removeEventListener('abort', done); this.wake = null; resolve() }
        this.wake = done
        signal.addEventListener('abort', done, { once: true })
      })
    }
  }

  /**
   * Writes one frame; waits at most until `within` aborts (or that many ms pass) for the stream
   * to drain. A time in ms costs a timer only when the stream is full: most frames never wait.
   */
  async write (data: Uint8Array, within: AbortSignal | number): Promise<void> {
    if (this.stream.send(Buffer.concat([Uint8Array.from(varint(data.length)), data]))) return
    const signal = typeof within === 'number' ? AbortSignal.timeout(within) : within
    await new Promise<void>((resolve, reject) => {
      const cleanup = (): void => {
        this.stream.removeEventListener('drain', onDrain)
        this.stream.removeEventListener('close', onClose)
        signal.removeEventListener('abort', onAbort)
      }
      const onDrain = (): void => { cleanup(); resolve() }
      const onClose = (): void => { cleanup(); reject(streamError('sync stream: closed while writing', this.endedByPeer)) }
      const onAbort = (): void => { cleanup(); reject(hfError(ErrorCodes.PROTOCOL, 'sync stream: the peer read nothing in time', { reason: 'timeout' })) }
      this.stream.addEventListener('drain', onDrain)
      this.stream.addEventListener('close', onClose)
      signal.addEventListener('abort', onAbort)
      if (signal.aborted) onAbort()
    })
  }

  private push (chunk: Uint8Array): void {
    if (chunk.byteLength === 0 || this.refused) return
    this.chunks.push(chunk)
    this.buffered += chunk.byteLength
  }

  private signal (): void {
    this.wake?.()
  }

  /** Resumes a paused stream (it then delivers what it held); false when it was not paused. */
  private resume (): boolean {
    if (this.stream.readStatus !== 'paused') return false
    this.resuming = true
    try {
      this.stream.resume()
    } finally {
      this.resuming = false
    }
    return true
  }

  /** Takes one whole frame off the buffer, or null when it has not fully arrived yet. */
  private takeFrame (maxBytes: number): Uint8Array | null {
    let length = 0
    let prefix = 0
    for (let i = 0, scale = 1; ; i++, scale *= 128) {
      if (i >= this.maxLengthBytes) throw this.refuse(hfError(ErrorCodes.PROTOCOL, 'sync stream: a length prefix longer than any frame may be', { reason: 'malformed' }))
      const byte = this.byteAt(i)
      if (byte === undefined) return null
      length += (byte & 0x7f) * scale
      if ((byte & 0x80) === 0) { prefix = i + 1; break }
    }
    if (length > maxBytes) throw this.refuse(hfError(ErrorCodes.PROTOCOL, `sync stream: a frame of ${length} bytes is over the ${maxBytes} limit`, { reason: 'too-large' }))
    if (this.buffered < prefix + length) return null
    const whole = this.consume(prefix + length)
    return whole.subarray(prefix)
  }

  /** Drops what is buffered (and all that follows) of a refused stream at once, not when the session object goes. */
  private refuse (err: Error): Error {
    this.refused = true
    this.chunks = []
    this.buffered = 0
    return err
  }

  private byteAt (index: number): number | undefined {
    for (const c of this.chunks) {
      if (index < c.byteLength) return c[index]
      index -= c.byteLength
    }
    return undefined
  }

  private consume (n: number): Uint8Array {
    const first = this.chunks[0]
    let out: Uint8Array
    if (first.byteLength >= n) {
      out = first.subarray(0, n)
      if (first.byteLength === n) this.chunks.shift()
      else this.chunks[0] = first.subarray(n)
    } else {
      out = new Uint8Array(n)
      let at = 0
      while (at < n) {
        const c = this.chunks[0]
        const take = Math.min(c.byteLength, n - at)
        out.set(c.subarray(0, take), at)
        at += take
        if (take === c.byteLength) this.chunks.shift()
        else this.chunks[0] = c.subarray(take)
      }
    }
    this.buffered -= n
    return out
  }
}

function streamError (message: string, byPeer: boolean, cause?: unknown): Error {
  return hfError(ErrorCodes.PROTOCOL, message, { reason: 'stream', byPeer }, cause)
}

/** Unsigned LEB128 varint bytes of `n`. */
function varint (n: number): number[] {
  const out: number[] = []
  while (n >= 0x80) {
    out.push((n % 128) | 0x80)
    n = Math.floor(n / 128)
  }
  out.push(n)
  return out
}
