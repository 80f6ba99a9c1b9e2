import { hfError, ErrorCodes } from '../../errors.js'
import { pdqHashRgb } from '../pdq.js'
import { decodeVideo, type VideoDecodeInit } from './decode-video.js'
import type { VideoInfo } from './probe.js'

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
  const decoded = await decodeVideo(bytes, init, {
    frameStep: info => Math.max(1, Math.trunc(secondsPerHash * info.fps)),
    size: init.size
  }, (rgb, frameNumber, { width, height, info }) => {
    const { hash, quality } = pdqHashRgb(rgb, width, height)
    features.push({ frameNumber, quality, hash, timestamp: vpdqTimestamp(frameNumber, info.fps) })
  })
  return { features, info: decoded.info, transport: decoded.transport }
}

/** The reference computes `(float)frameNumber / (float)frameRate` in single precision. */
export function vpdqTimestamp (frameNumber: number, fps: number): number {
  return Math.fround(Math.fround(frameNumber) / Math.fround(fps))
}
