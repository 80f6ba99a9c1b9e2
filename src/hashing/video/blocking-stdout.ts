import type { Readable } from 'node:stream'

/** The parts of Node's pipe handle (libuv stream) the blocking read needs. */
interface PipeHandle { fd?: number, readStop?: () => number, setBlocking?: (blocking: boolean) => number }

/**
 * Takes FFmpeg's stdout away from Node's event loop and hands out its file descriptor in
 * blocking mode, so a worker can read whole frames with `fs.readSync` straight into its
 * frame buffer. Node reads a child's pipe in 64 KiB chunks, each a callback, a new Buffer and
 * a copy into the frame: about 0.7 ms of CPU per 1 MB frame (the bench's 480x720 video) that
 * the blocking reads do not spend. Must run in the tick the child was spawned, before the
 * loop reads anything. Undefined when this runtime's handle does not offer it: the caller
 * then reads the stream.
 */
export function takeBlockingFd (stdout: Readable): number | undefined {
  const handle = (stdout as unknown as { _handle?: PipeHandle })._handle
  if (handle === undefined || typeof handle.fd !== 'number' || handle.fd < 0) return undefined
  if (typeof handle.readStop !== 'function' || typeof handle.setBlocking !== 'function') return undefined
  if (stdout.readableLength > 0 || handle.readStop() !== 0) return undefined
  if (handle.setBlocking(true) !== 0) return undefined
  return handle.fd
}
