import type { Readable } from 'node:stream'
import { hfError, ErrorCodes } from '../../errors.js'
import { needsSeeking } from './container.js'
import { VIDEO_DEADLINE_MS, VIDEO_DEMUXERS, VIDEO_MAX_BYTES, VIDEO_MAX_FRAME_PIXELS, VIDEO_MAX_FRAMES, VIDEO_MAX_SECONDS } from './constants.js'
import { resolveFfmpeg } from './ffmpeg-path.js'
import { runFfmpeg } from './ffmpeg-process.js'
import { serveLoopback } from './loopback.js'
import { isPlainYuv420p, parseVideoInfo, type VideoInfo } from './probe.js'
import { yuv420pBytes } from '../yuv420p.js'

/** How frames come out of FFmpeg: packed RGB24, or the decoder's own yuv420p planes. */
export type FramePixels = 'rgb24' | 'yuv420p'

export interface VideoDecodeInit {
  /** a system ffmpeg to run instead of the npm-shipped one */
  ffmpegPath?: string
  /** @default VIDEO_MAX_BYTES */
  maxBytes?: number
  /** most frames handed out; more is HF_INVALID_VIDEO reason "frames" @default VIDEO_MAX_FRAMES */
  maxFrames?: number
  /** @default VIDEO_MAX_SECONDS */
  maxSeconds?: number
  /** @default VIDEO_MAX_FRAME_PIXELS */
  maxFramePixels?: number
  /** for probe and decode together @default VIDEO_DEADLINE_MS */
  deadlineMs?: number
  signal?: AbortSignal
  /**
   * How FFmpeg reads the bytes: its stdin, or a loopback HTTP server for containers that need
   * seeking; "auto" picks by the container (`needsSeeking`). @default "auto"
   */
  transport?: 'auto' | 'pipe' | 'http'
}

export interface FrameDecodeInit {
  /** hand out frames 0, step, 2·step, ... of the decoded sequence (1: every frame); a function gets the probed stream */
  frameStep: number | ((info: VideoInfo) => number)
  /** scale frames to this size first (the reference's downsample option); default: the video's own */
  size?: { width: number, height: number }
  /**
   * Where each frame's buffer comes from (`bytes` long). A sink that keeps frames (moves them
   * to a worker) gives a fresh or recycled buffer per frame, so no frame is copied twice;
   * default: one buffer, reused for every frame.
   */
  buffer?: (bytes: number) => Uint8Array
  /**
   * Reads FFmpeg's output itself from the blocking file descriptor (`takeBlockingFd`), where
   * the runtime allows it, instead of frames coming to `sink`: reads at most `maxFrames + 1`
   * frames and tells how many whole frames it read. Must not settle while it still reads.
   */
  reader?: FrameReader
  /**
   * Take the decoder's own yuv420p frames (no swscale run in FFmpeg, half the bytes of RGB24)
   * when the stream is plain yuv420p at its own size (`isPlainYuv420p`, no `size`) and this
   * answers true for the size: the caller converts them as swscale would (yuv420p.ts).
   * Otherwise, and by default, frames are RGB24 converted by FFmpeg.
   */
  yuv420p?: (width: number, height: number) => boolean
}

/** See `FrameDecodeInit.reader`; `frames` counts whole frames read, `maxFrames + 1` at most. */
export type FrameReader = (fd: number, frame: { bytes: number, width: number, height: number, format: FramePixels, maxFrames: number, step: number, info: VideoInfo }) => Promise<{ frames: number }>

/**
 * One decoded frame: packed RGB24, `width * height * 3` bytes (or yuv420p planes, `yuv420pBytes`,
 * when `format` says so: see `FrameDecodeInit.yuv420p`), reused once the callback
 * returns (or its promise settles: FFmpeg is not read meanwhile, which is the backpressure),
 * unless `FrameDecodeInit.buffer` hands out a buffer per frame.
 */
export type FrameSink = (rgb: Uint8Array, frameNumber: number, frame: { width: number, height: number, format: FramePixels, info: VideoInfo }) => void | Promise<void>

export interface DecodedVideo {
  info: VideoInfo
  width: number
  height: number
  format: FramePixels
  /** frames handed to the sink */
  frames: number
  /** how FFmpeg read the bytes */
  transport: 'pipe' | 'http'
}

/**
 * Decodes a video held in memory with FFmpeg, never writing it anywhere: the bytes go to
 * FFmpeg's stdin (or, for an MP4 indexed at the end, a loopback server), raw RGB frames come
 * back on its stdout. Two runs: the first reads the stream description (size, rate,
 * duration) so the bounds apply before any frame is decoded; the second decodes at that
 * fixed size, so a stream changing size midway cannot desynchronise the frame boundaries.
 * Frame numbers count decoded frames from 0 in presentation order, as the reference's
 * `codecContext->frame_number - 1` does.
 */
export async function decodeVideo (bytes: Uint8Array, init: VideoDecodeInit, frames: FrameDecodeInit, sink: FrameSink): Promise<DecodedVideo> {
  const maxBytes = init.maxBytes ?? VIDEO_MAX_BYTES
  if (bytes.length > maxBytes) throw hfError(ErrorCodes.TOO_LARGE, `video of ${bytes.length} bytes is over the ${maxBytes}-byte limit`, { reason: 'bytes', limit: maxBytes })
  const ffmpeg = resolveFfmpeg(init.ffmpegPath)
  const deadline = Date.now() + (init.deadlineMs ?? VIDEO_DEADLINE_MS)
  const remaining = (): number => Math.max(1, deadline - Date.now())
  const transport = init.transport === undefined || init.transport === 'auto' ? (needsSeeking(bytes) ? 'http' : 'pipe') : init.transport
  const server = transport === 'http' ? await serveLoopback(bytes) : undefined
  try {
    const input = [
      '-protocol_whitelist', server === undefined ? 'pipe' : 'http,tcp',
      '-format_whitelist', VIDEO_DEMUXERS,
      '-i', server === undefined ? 'pipe:0' : server.url
    ]
    const stdin = server === undefined ? bytes : undefined
    const probe = await runFfmpeg(ffmpeg, ['-hide_banner', '-nostdin', ...input], { stdin, deadlineMs: remaining(), signal: init.signal })
    const info = parseVideoInfo(probe.stderr)
    checkBounds(info, init)
    const step = typeof frames.frameStep === 'number' ? frames.frameStep : frames.frameStep(info)
    if (!(Number.isInteger(step) && step >= 1)) throw hfError(ErrorCodes.INVALID_ARGUMENT, 'frameStep must be a positive integer')
    const width = frames.size?.width ?? info.width
    const height = frames.size?.height ?? info.height
    const maxFrames = init.maxFrames ?? VIDEO_MAX_FRAMES
    const asked = frames.size === undefined || (frames.size.width === info.width && frames.size.height === info.height)
    const format: FramePixels = asked && isPlainYuv420p(info.pixelFormat) && frames.yuv420p?.(width, height) === true ? 'yuv420p' : 'rgb24'
    const select = step > 1 ? [`select=not(mod(n\\,${step}))`] : []
    // yuv420p: the decoder's frames as they are, no filter but the frame selection
    const filters = format === 'yuv420p' ? select : [
      ...select,
      // area averaging, as the reference's swscale context (SWS_AREA); at the video's own
      // size this is only the YUV-to-RGB conversion, which this FFmpeg (4.1) rounds like the
      // reference's newer libswscale only with accurate_rnd: without it low-contrast frames
      // land up to 22 bits away, with it within 2 on all of Meta's sample videos. The luma
      // plane alone (gray, 1/3 of the bytes, no conversion) is not the same image: RGB's
      // clipping and rounding shift the luminance unevenly, and on the low-contrast doorknob
      // sample only 43 of 60 frames stay within distance 6 (95% needed; 60 of 60 from RGB).
      // Where the caller can convert yuv420p itself as this swscale does (hashing/yuv420p.ts),
      // FFmpeg sends the decoder's frames unconverted instead (`yuv420p` above)
      `scale=${width}:${height}:flags=area+accurate_rnd`,
      'format=rgb24'
    ]
    const args = [
      '-hide_banner', '-nostdin', '-loglevel', 'error',
      ...input,
      '-map', '0:v:0', '-an', '-sn', '-dn',
      // every decoded frame once: no duplication or dropping to a constant output rate
      '-vsync', 'passthrough',
      ...(filters.length > 0 ? ['-vf', filters.join(',')] : []),
      '-frames:v', String(maxFrames + 1),
      '-f', 'rawvideo', '-pix_fmt', format, 'pipe:1'
    ]
    const frameBytes = format === 'yuv420p' ? yuv420pBytes(width, height) : width * height * 3
    const geometry = { width, height, format, info }
    let count = 0
    const tooMany = (): Error => hfError(ErrorCodes.INVALID_VIDEO, `video has over ${maxFrames} frames to hash`, { reason: 'frames', limit: maxFrames })
    const reader = frames.reader
    const run = await runFfmpeg(ffmpeg, args, {
      stdin,
      deadlineMs: remaining(),
      signal: init.signal,
      ...(reader !== undefined
        ? {
            onStdoutFd: async (fd: number) => {
              count = (await reader(fd, { bytes: frameBytes, width, height, format, maxFrames, step, info })).frames
              if (count > maxFrames) throw tooMany()
            }
          }
        : {}),
      onStdout: async (stdout: Readable) => {
        const give = frames.buffer
        const reused = give === undefined ? new Uint8Array(frameBytes) : undefined
        const nextBuffer = (): Uint8Array => reused ?? (give as (bytes: number) => Uint8Array)(frameBytes)
        let frame = nextBuffer()
        let filled = 0
        for await (const chunk of stdout as AsyncIterable<Buffer>) {
          let at = 0
          while (at < chunk.length) {
            const take = Math.min(frameBytes - filled, chunk.length - at)
            frame.set(chunk.subarray(at, at + take), filled)
            filled += take
            at += take
            if (filled === frameBytes) {
              if (count === maxFrames) throw tooMany()
              const taken = sink(frame, count * step, geometry)
              if (taken !== undefined) await taken
              count++
              filled = 0
              frame = nextBuffer()
            }
          }
        }
      }
    })
    if (run.code !== 0) throw hfError(ErrorCodes.INVALID_VIDEO, `FFmpeg could not decode the video: ${run.stderr.trim().split('\n').pop()?.slice(0, 200) ?? ''}`, { reason: 'decode' })
    if (count === 0) throw hfError(ErrorCodes.INVALID_VIDEO, 'the video decoded to no frames', { reason: 'decode' })
    return { info, width, height, format, frames: count, transport }
  } finally {
    await server?.close()
  }
}

function checkBounds (info: VideoInfo, init: VideoDecodeInit): void {
  const maxPixels = init.maxFramePixels ?? VIDEO_MAX_FRAME_PIXELS
  if (info.width * info.height > maxPixels) throw hfError(ErrorCodes.INVALID_VIDEO, `frames of ${info.width}x${info.height} are over ${maxPixels} pixels`, { reason: 'pixels', limit: maxPixels })
  const maxSeconds = init.maxSeconds ?? VIDEO_MAX_SECONDS
  if (info.durationSeconds !== undefined && info.durationSeconds > maxSeconds) throw hfError(ErrorCodes.INVALID_VIDEO, `video of ${info.durationSeconds} s is over ${maxSeconds} s`, { reason: 'duration', limit: maxSeconds })
}
