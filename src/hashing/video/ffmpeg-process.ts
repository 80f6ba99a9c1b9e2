import { spawn } from 'node:child_process'
import type { Readable } from 'node:stream'
import { hfError, ErrorCodes } from '../../errors.js'
import { FFMPEG_STDERR_MAX } from './constants.js'
import { takeBlockingFd } from './blocking-stdout.js'

export interface FfmpegRunInit {
  /** bytes written to FFmpeg's stdin (`-i pipe:0`), then stdin is closed */
  stdin?: Uint8Array
  /** FFmpeg is killed when this fires; the run rejects with HF_INVALID_VIDEO reason "deadline" */
  deadlineMs: number
  /** FFmpeg is killed on abort; the run rejects with the signal's reason */
  signal?: AbortSignal
  /** reads stdout (pull-based: FFmpeg blocks while the consumer is busy); default: discarded */
  onStdout?: (stdout: Readable) => Promise<void>
  /**
   * reads stdout's file descriptor instead, in blocking mode (blocking-stdout.ts), when this
   * runtime allows it; `onStdout` otherwise. The descriptor stays open until this settles:
   * it must not be read after.
   */
  onStdoutFd?: (fd: number) => Promise<void>
}

export interface FfmpegRunResult {
  code: number | null
  /** the first FFMPEG_STDERR_MAX bytes FFmpeg wrote to stderr */
  stderr: string
}

/**
 * Runs FFmpeg once with bounded time and output: killed (SIGKILL) on the deadline, on abort,
 * or when the stdout consumer throws, so a hostile video never leaves a decoder running.
 * Resolves when the process has exited and stdout was consumed.
 */
export async function runFfmpeg (ffmpeg: string, args: string[], init: FfmpegRunInit): Promise<FfmpegRunResult> {
  init.signal?.throwIfAborted()
  const child = spawn(ffmpeg, args, { stdio: ['pipe', 'pipe', 'pipe'], windowsHide: true })
  const fd = init.onStdoutFd !== undefined ? takeBlockingFd(child.stdout) : undefined
  let failure: unknown
  const fail = (err: unknown): void => {
    if (failure === undefined) failure = err
    child.kill('SIGKILL')
  }
  const timer = setTimeout(() => { fail(hfError(ErrorCodes.INVALID_VIDEO, `video took over ${init.deadlineMs} ms to decode`, { reason: 'deadline' })) }, init.deadlineMs)
  const onAbort = (): void => { fail(init.signal?.reason) }
  init.signal?.addEventListener('abort', onAbort, { once: true })

  const chunks: Buffer[] = []
  let kept = 0
  child.stderr.on('data', (chunk: Buffer) => {
    if (kept >= FFMPEG_STDERR_MAX) return
    chunks.push(chunk.subarray(0, FFMPEG_STDERR_MAX - kept))
    kept += Math.min(chunk.length, FFMPEG_STDERR_MAX - kept)
  })
  // FFmpeg may stop reading early (probe done, error): EPIPE on stdin is not a failure
  child.stdin.on('error', () => {})
  if (init.stdin !== undefined) child.stdin.end(init.stdin)
  else child.stdin.end()

  const exited = new Promise<number | null>((resolve, reject) => {
    child.once('error', err => { reject(hfError(ErrorCodes.VIDEO_DECODER_UNAVAILABLE, `ffmpeg could not be started: ${err.message}`, { path: ffmpeg }, err)) })
    child.once('close', code => { resolve(code) })
  })
  const consumed = (async () => {
    try {
      if (fd !== undefined) await (init.onStdoutFd as (fd: number) => Promise<void>)(fd)
      else if (init.onStdout !== undefined) await init.onStdout(child.stdout)
      else child.stdout.resume()
    } catch (err) {
      fail(err)
      child.stdout.destroy()
    }
    // read to its end or given up (FFmpeg killed): closing it lets the child's 'close' come
    if (fd !== undefined) child.stdout.destroy()
  })()
  try {
    const [code] = await Promise.all([exited, consumed])
    if (failure !== undefined) throw failure
    return { code, stderr: Buffer.concat(chunks).toString('utf8') }
  } catch (err) {
    if (failure !== undefined) throw failure
    throw err
  } finally {
    clearTimeout(timer)
    init.signal?.removeEventListener('abort', onAbort)
  }
}
