import { createServer } from 'node:http'
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify'
import type { Logger } from 'pino'
import { hfError, ErrorCodes } from '../errors.js'
import { installErrorReplies } from '../http/error-reply.js'
import { listen } from '../http/http-server.js'
import type { ImageHashPool } from '../hashing/image-hash-pool.js'
import type { CheckService } from '../check/check-service.js'
import { checkRequestSchema, hosterFeedbackSchema } from '../check/check-requests.js'
import { z } from 'zod'
import { parseWith } from '../ops/parse-input.js'
import type { FeedbackService } from '../check/feedback-service.js'
import type { TokenStore } from '../check/token-store.js'
import { TokenBuckets } from '../util/token-bucket.js'
import { fastCheckHandler } from './fast-check-route.js'
import { CHECK_BYTES_PER_HASH, MAX_IMAGE_BYTES } from '../check/constants.js'

export interface CheckServerInit {
  host: string
  port: number
  service: CheckService
  tokens: TokenStore
  feedback: FeedbackService
  images: ImageHashPool
  /** requests per second per token (burst: one second's worth) */
  rateLimit: number
  /** whether an origin's matches are served (the kill switch): feedback goes to those only */
  isOriginEnabled: (origin: string) => boolean
  /** @default MAX_IMAGE_BYTES (20 MiB) */
  maxImageBytes?: number
  logger: Logger
  /** called after every response (metrics) */
  observe?: (route: string, statusCode: number, ms: number) => void
}

/** Counters since start, for status and metrics. */
export interface CheckStats {
  requests: number
  hashes: number
  images: number
  matches: number
  feedback: number
  unauthorized: number
  rateLimited: number
}

export interface CheckServer {
  url: string
  stats: CheckStats
  close: () => Promise<void>
}

declare module 'fastify' {
  interface FastifyRequest {
    /** name of the hoster whose token authenticated the request */
    hoster: string
  }
}

const checkRequest = checkRequestSchema(z)
const hosterFeedback = hosterFeedbackSchema(z)

const UNAUTHENTICATED = new Set(['/healthz'])

/**
 * The hash check API for hosters, on its own port: every request needs a bearer token
 * (`hashfed tokens create`), is rate-limited per token with a token bucket, and is
 * size-limited before its body is read. Image uploads are raw bodies (`Content-Type:
 * application/octet-stream` or `image/*`), hashed in memory on a worker and dropped.
 */
export async function startCheckServer (init: CheckServerInit): Promise<CheckServer> {
  const stats: CheckStats = { requests: 0, hashes: 0, images: 0, matches: 0, feedback: 0, unauthorized: 0, rateLimited: 0 }
  const jsonLimit = Math.max(64 * 1024, init.service.maxHashes * CHECK_BYTES_PER_HASH)
  const imageLimit = init.maxImageBytes ?? MAX_IMAGE_BYTES
  const buckets = new TokenBuckets(init.rateLimit)
  const fastCheck = fastCheckHandler({
    service: init.service,
    tokens: init.tokens,
    buckets,
    rateLimit: init.rateLimit,
    bodyLimit: jsonLimit,
    stats,
    observe: init.observe,
    onInternalError: (err) => init.logger.error({ err }, 'check request failed')
  })
  const app: FastifyInstance = Fastify({
    logger: false,
    bodyLimit: jsonLimit,
    ajv: { customOptions: { removeAdditional: false } },
    // the common case of POST /v1/check is answered before Fastify (see fast-check-route.ts)
    serverFactory: (handler) => {
      // requestTimeout: a client that trickles its body cannot hold a connection (and its buffer) forever
      const server = createServer({ requestTimeout: 60_000 }, (req, res) => { if (!fastCheck(req, res)) handler(req, res) })
      server.keepAliveTimeout = 72_000 // Fastify's default, which a server of our own must set itself
      return server
    }
  })
  installErrorReplies(app)

  app.decorateRequest('hoster', '')
  // a callback hook, not an async one: no promise per request on the hot path
  app.addHook('onRequest', (req: FastifyRequest, reply: FastifyReply, done: (err?: Error) => void) => {
    if (UNAUTHENTICATED.has(req.url)) { done(); return }
    stats.requests++
    const header = req.headers.authorization
    const token = header !== undefined && header.startsWith('Bearer ') ? header.slice(7).trim() : ''
    const hoster = token === '' ? null : init.tokens.verify(token)
    if (hoster === null) {
      stats.unauthorized++
      done(hfError(ErrorCodes.UNAUTHORIZED, token === '' ? 'send a check token: Authorization: Bearer <token>' : 'unknown or revoked token'))
      return
    }
    const waitMs = buckets.take(hoster)
    if (waitMs > 0) {
      stats.rateLimited++
      void reply.header('retry-after', Math.max(1, Math.ceil(waitMs / 1000)))
      done(hfError(ErrorCodes.RATE_LIMITED, `more than ${init.rateLimit} requests per second for this token; retry after ${waitMs} ms`, { retryAfterMs: waitMs }))
      return
    }
    req.hoster = hoster
    done()
  })
  if (init.observe !== undefined) {
    const observe = init.observe
    app.addHook('onResponse', async (req, reply) => { observe(req.routeOptions.url ?? 'unknown', reply.statusCode, reply.elapsedTime) })
  }
  const rawBody = (_req: FastifyRequest, body: Buffer, done: (err: Error | null, body?: Buffer) => void): void => { done(null, body) }
  app.addContentTypeParser('application/octet-stream', { parseAs: 'buffer' }, rawBody)
  app.addContentTypeParser(/^image\//, { parseAs: 'buffer' }, rawBody)

  app.get('/healthz', async () => ({ ok: true }))

  app.post('/v1/check', { bodyLimit: jsonLimit }, async (req) => {
    const { hashes } = parseWith(checkRequest, req.body)
    const results = await init.service.check(hashes, { hoster: req.hoster })
    stats.hashes += results.length
    for (const r of results) stats.matches += r.matches.length
    return { results }
  })

  app.post('/v1/check/image', { bodyLimit: imageLimit }, async (req) => {
    const body = req.body
    if (!Buffer.isBuffer(body) || body.length === 0) {
      throw hfError(ErrorCodes.INVALID_ARGUMENT, 'send the image as the raw request body with Content-Type: application/octet-stream (or image/jpeg, image/png, …)')
    }
    // keyed by hoster: each token has its share of the hashing queue (see ImageHashPool)
    const hashes = await init.images.hash(body, { key: req.hoster })
    // nothing of the image outlives the request: the hashes are all that is kept for the answer
    const result = await init.service.checkImage(hashes, { hoster: req.hoster })
    stats.images++
    for (const r of result.results) stats.matches += r.matches.length
    return result
  })

  app.post('/v1/feedback', async (req, reply) => {
    const b = parseWith(hosterFeedback, req.body)
    const sent = await init.feedback.send({ ref: `${b.algorithm}:${b.value}`, verdict: b.verdict, reason: b.reason, hoster: req.hoster, accept: init.isOriginEnabled })
    stats.feedback++
    void reply.status(202)
    return { feedback: sent.map(s => ({ id: s.id, origin: s.name })) }
  })

  let url: string
  try {
    url = await listen(app, init.host, init.port)
  } catch (err) {
    await app.close().catch(() => {})
    throw hfError(ErrorCodes.INVALID_CONFIG, `the check API cannot listen on ${init.host}:${init.port} (config check.host/check.port): ${(err as Error).message}`, { host: init.host, port: init.port }, err)
  }
  return { url, stats, close: async () => await app.close() }
}
