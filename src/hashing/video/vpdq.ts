import { hfError, ErrorCodes } from '../../errors.js'
import { pdqHashRgb, pdqHashYuv420p } from '../pdq.js'
import { wasmTakes } from '../pdq-wasm.js'
import { decodeVideo, type VideoDecodeInit } from './decode-video.js'
import type { VideoInfo } from './probe.js'
import { FrameHashPool, defaultFrameThreads } from './frame-hash-pool.js'

/** One hashed frame of a video, as Meta's vPDQ gives it. */
export interface VpdqFeature {
  /** the frame's number among all decoded frames, from 0 */
  frameNumber: number
  /** PDQ quality, 0-100 */
  quality: number
  /** 32-byte PDQ hash */
  hash: Uint8Array
  /** seconds from the start: frameNumber / frame rate, in single precision as the reference */
  timestamp: number
}

export interface VpdqInit extends VideoDecodeInit {
  /** hash one frame every this many seconds; 0 hashes every frame @default 1 */
  secondsPerHash?: number
  /** scale frames to this size before hashing (the reference's 128x128 variant); default: as decoded */
  size?: { width: number, height: number }
  /**
   * Hash frames on these worker threads (kept by the caller, shared across videos); without
   * one, `threads` workers are started for this video and stopped after it.
   */
  pool?: FrameHashPool
  /** workers for a pool of this call's own; 0 hashes on the calling thread @default defaultFrameThreads() */
  threads?: number
}

export interface VpdqResult {
  features: VpdqFeature[]
  info: VideoInfo
  transport: 'pipe' | 'http'
}

/**
 * vPDQ of a video held in memory (Meta's algorithm, facebook/ThreatExchange `vpdq/`): decode
 * with FFmpeg, hash frames 0, k, 2k, ... with PDQ on the whole RGB frame, where
 * k = trunc(secondsPerHash · fps), at least 1 (the reference's `m_frameMod`). The frames are
 * not deduplicated here: the reference's text form lists every hashed frame; matching
 * filters and deduplicates (vpdq-match.ts).
 */
export async function hashVideoVpdq (bytes: Uint8Array, init: VpdqInit = {}): Promise<VpdqResult> {
  const secondsPerHash = init.secondsPerHash ?? 1
  if (!(Number.isFinite(secondsPerHash) && secondsPerHash >= 0)) throw hfError(ErrorCodes.INVALID_ARGUMENT, 'secondsPerHash must be a number >= 0')
  const features: VpdqFeature[] = []
  const own = init.pool === undefined && (init.threads ?? defaultFrameThreads()) > 0 ? new FrameHashPool(init.threads ?? defaultFrameThreads()) : undefined
  const pool = init.pool ?? own
  // frames out at a pool, at most two per worker: FFmpeg waits beyond that
  const inFlight: Array<Promise<void>> = []
  try {
    const decoded = await decodeVideo(bytes, init, {
      frameStep: info => Math.max(1, Math.trunc(secondsPerHash * info.fps)),
      size: init.size,
      // the decoder's own yuv420p, converted to the reference's RGB inside the PDQ kernel
      // (yuv420p.ts: FFmpeg's swscale bit for bit), where the kernel takes the size: FFmpeg's
      // own conversion ran on one thread and cost about as much CPU as all our hashing
      yuv420p: (width, height) => wasmTakes(width, height, 'yuv420p'),
      // each frame in its own buffer, moved to a worker and back: decoded once, never copied
      ...(pool !== undefined ? { buffer: (bytes: number) => pool.buffer(bytes) } : {}),
      // better still: the workers read FFmpeg's output themselves, no frame passes this thread
      ...(pool !== undefined
        ? {
            reader: async (fd, { bytes, width, height, format, maxFrames, step, info }) => {
              const { frames, hashes } = await pool.hashStream(fd, { bytes, width, height, format, maxFrames })
              for (const { index, hash, quality } of hashes) {
                const frameNumber = index * step
                features.push({ frameNumber, quality, hash, timestamp: vpdqTimestamp(frameNumber, info.fps) })
              }
              return { frames }
            }
          }
        : {})
    }, async (rgb, frameNumber, { width, height, format, info }) => {
      const timestamp = vpdqTimestamp(frameNumber, info.fps)
      if (pool === undefined) {
        const { hash, quality } = format === 'yuv420p' ? pdqHashYuv420p(rgb, width, height) : pdqHashRgb(rgb, width, height)
        features.push({ frameNumber, quality, hash, timestamp })
        return
      }
      const done = pool.hash(rgb, width, height, format).then(({ hash, quality }) => { features.push({ frameNumber, quality, hash, timestamp }) })
      done.catch(() => {}) // awaited below; no unhandled rejection while it waits
      inFlight.push(done)
      if (inFlight.length >= 2 * pool.size) await inFlight.shift()
    })
    await Promise.all(inFlight)
    features.sort((a, b) => a.frameNumber - b.frameNumber)
    return { features, info: decoded.info, transport: decoded.transport }
  } finally {
    await Promise.allSettled(inFlight)
    await own?.close()
  }
}

/** The reference computes `(float)frameNumber / (float)frameRate` in single precision. */
export function vpdqTimestamp (frameNumber: number, fps: number): number {
  return Math.fround(Math.fround(frameNumber) / Math.fround(fps))
}
