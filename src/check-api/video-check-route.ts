import type { FastifyInstance } from 'fastify'
import { hfError, ErrorCodes } from '../errors.js'
import type { CheckService } from '../check/check-service.js'
import { digests } from '../hashing/digests.js'
import { hashVideoVpdq } from '../hashing/video/vpdq.js'
import { FrameHashPool } from '../hashing/video/frame-hash-pool.js'
import { VIDEO_MAX_BYTES } from '../hashing/video/constants.js'

export interface VideoCheckRouteInit {
  service: CheckService
  ffmpegPath?: string
  /** @default VIDEO_MAX_BYTES (200 MiB) */
  maxVideoBytes?: number
  stats: { videos: number, matches: number }
}

const anyObject = { type: 'object', additionalProperties: true } as const

/** The answer's schema, for the check API's OpenAPI document. */
export const VIDEO_CHECK_RESPONSE = {
  type: 'object',
  required: ['results', 'videos', 'frames'],
  properties: {
    results: { type: 'array', description: 'exact matches of the file\'s SHA-256, SHA-1 and MD5', items: anyObject },
    videos: {
      type: 'array',
      description: 'stored videos matching by vPDQ (Meta\'s rule), best comparePct first',
      items: {
        type: 'object',
        properties: {
          algorithm: { type: 'string', enum: ['vpdq'] },
          value: { type: 'string', description: 'the stored vpdq entry (SHA-256 of its frames)' },
          comparePct: { type: 'number', description: '% of the stored video\'s frames found in the upload' },
          queryPct: { type: 'number', description: '% of the upload\'s frames found in the stored video' },
          segment: { type: 'object', properties: { first: { type: 'number' }, last: { type: 'number' } }, description: 'first and last matching timestamp of the upload, seconds' },
          classification: { type: 'string' },
          origins: { type: 'array', items: anyObject }
        }
      }
    },
    frames: { type: 'integer', description: 'frames hashed from the upload' }
  }
} as const

/**
 * `POST /v1/check/video`: a raw video body, decoded and hashed in memory (FFmpeg over pipes or
 * a loopback server, never a file) and checked by its exact hashes and its vPDQ frames. A video
 * costs seconds of several cores, so each token has one video in progress at a time (a second
 * one is refused with 429, not queued: the hoster's own client decides when to retry), and the
 * frame workers are shared by all tokens.
 */
export class VideoCheckRoute {
  private readonly busy = new Set<string>()
  private pool: FrameHashPool | undefined

  constructor (private readonly init: VideoCheckRouteInit) {}

  register (app: FastifyInstance): void {
    const limit = this.init.maxVideoBytes ?? VIDEO_MAX_BYTES
    app.post('/v1/check/video', {
      bodyLimit: limit,
      schema: {
        summary: 'check a video (raw body): exact hashes and vPDQ',
        consumes: ['application/octet-stream', 'video/*'],
        response: { 200: VIDEO_CHECK_RESPONSE }
      }
    }, async (req) => {
      const body = req.body
      if (!Buffer.isBuffer(body) || body.length === 0) {
        throw hfError(ErrorCodes.INVALID_ARGUMENT, 'send the video as the raw request body with Content-Type: application/octet-stream (or video/mp4, …)')
      }
      if (this.busy.has(req.hoster)) throw hfError(ErrorCodes.RATE_LIMITED, 'one video at a time per token: wait for the previous answer', { retryAfterMs: 1000 })
      this.busy.add(req.hoster)
      try {
        const exact = digests(body)
        this.pool ??= new FrameHashPool()
        const { features } = await hashVideoVpdq(body, { pool: this.pool, ffmpegPath: this.init.ffmpegPath, maxBytes: limit })
        const result = await this.init.service.checkVideo([
          { algorithm: 'sha256', value: exact.sha256 }, { algorithm: 'sha1', value: exact.sha1 }, { algorithm: 'md5', value: exact.md5 }
        ], features, { hoster: req.hoster })
        this.init.stats.videos++
        this.init.stats.matches += result.videos.length + result.results.reduce((n, r) => n + r.matches.length, 0)
        return result
      } finally {
        this.busy.delete(req.hoster)
      }
    })
  }

  /**
   * `POST /v1/check/file`: any file's SHA-256, SHA-1 and MD5 checked exactly, whatever it is
   * (a document, an archive, a video FFmpeg cannot open). Nothing is decoded.
   */
  registerFile (app: FastifyInstance): void {
    app.post('/v1/check/file', {
      bodyLimit: this.init.maxVideoBytes ?? VIDEO_MAX_BYTES,
      schema: { summary: 'check any file (raw body) by its SHA-256, SHA-1 and MD5', response: { 200: { type: 'object', required: ['results'], properties: { results: VIDEO_CHECK_RESPONSE.properties.results } } } }
    }, async (req) => {
      const body = req.body
      if (!Buffer.isBuffer(body) || body.length === 0) throw hfError(ErrorCodes.INVALID_ARGUMENT, 'send the file as the raw request body with Content-Type: application/octet-stream')
      const d = digests(body)
      const results = await this.init.service.checkRecords([{ algorithm: 'sha256', value: d.sha256 }, { algorithm: 'sha1', value: d.sha1 }, { algorithm: 'md5', value: d.md5 }], { hoster: req.hoster })
      this.init.stats.matches += results.reduce((n, r) => n + r.matches.length, 0)
      return { results }
    })
  }

  async close (): Promise<void> {
    await this.pool?.close()
  }
}
