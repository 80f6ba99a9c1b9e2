import { createServer } from 'node:http'
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify'
import type { Logger } from 'pino'
import { hfError, ErrorCodes } from '../errors.js'
import { installErrorReplies } from '../http/error-reply.js'
import { listen } from '../http/http-server.js'
import type { ImageHashPool } from '../hashing/image-hash-pool.js'
import type { CheckQuery, CheckService } from '../check/check-service.js'
import type { FeedbackService } from '../check/feedback-service.js'
import type { TokenStore } from '../check/token-store.js'
import { TokenBuckets } from '../util/token-bucket.js'
import type { Store } from '../store/store.js'
import type { HashLog } from '../log/hash-log.js'
import type { AlgorithmName } from '../log/hash-value.js'
import { fastCheckHandler } from './fast-check-route.js'
import { CHECK_BYTES_PER_HASH, MAX_IMAGE_BYTES } from '../check/constants.js'
import { checkBody, feedbackBody, noQuery } from './check-schemas.js'
import { checkApiDocument } from './openapi.js'
import { schemaErrorMessage } from './schema-errors.js'
import { translateCheckError } from './error-translation.js'
import { tokenOf } from './check-token.js'
import { requireJson } from './require-json.js'
import { Banks, type BanksInit } from './hma/banks.js'
import { ContentIdIndex } from './hma/content-id-index.js'
import { HmaMatcher } from './hma/matcher.js'
import { registerHmaRoutes } from './hma/hma-routes.js'
import { fastRawLookupHandler } from './hma/fast-raw-lookup.js'
import { PUBLIC_STATUS_PATHS } from './hma/status-routes.js'
import { VideoCheckRoute } from './video-check-route.js'

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
  /** config check.maxVideoBytes @default 200 MiB */
  maxVideoBytes?: number
  /** config video.ffmpegPath: a system ffmpeg instead of the shipped one */
  ffmpegPath?: string
  logger: Logger
  /** called after every response (metrics) */
  observe?: (route: string, statusCode: number, ms: number) => void
  /** Meta's HMA API on this port (check-api/hma/) */
  hma: HmaServerInit
}

export interface HmaServerInit {
  /** config check.hma.prefix: '' for HMA's own paths */
  prefix: string
  /** config check.hma.tokenHeader: a further header carrying the check token */
  tokenHeader?: string
  store: Store
  hashLog: HashLog
  banks: BanksInit
  indexSize: (algorithm: AlgorithmName) => number
  thresholds: { pdq: number, blockhash: number }
}

/** Counters since start, for status and metrics. */
export interface CheckStats {
  requests: number
  hashes: number
  images: number
  videos: number
  matches: number
  feedback: number
  unauthorized: number
  rateLimited: number
}

export interface CheckServer {
  url: string
  stats: CheckStats
  /** resolves once the HMA bank_content_id rows cover every batch stored so far (a first start's backlog written) */
  settled: () => Promise<void>
  close: () => Promise<void>
}

declare module 'fastify' {
  interface FastifyRequest {
    /** name of the hoster whose token authenticated the request */
    hoster: string
  }
}

/** What each route with a body takes, for the 415's message (relative to the HMA prefix for HMA routes). */
const ACCEPTED: Record<string, string[]> = {
  '/v1/check': ['application/json'],
  '/v1/check/image': ['application/octet-stream', 'image/*'],
  '/v1/check/video': ['application/octet-stream', 'video/*'],
  '/v1/check/file': ['application/octet-stream'],
  '/v1/feedback': ['application/json'],
  '/h/hash': ['multipart/form-data'],
  '/m/lookup': ['multipart/form-data'],
  '/m/compare': ['application/json']
}

/**
 * The hash check API for hosters, on its own port: every request needs a bearer token
 * (`hashfed tokens create`), is rate-limited per token with a token bucket, and is
 * size-limited before its body is read. Image uploads are raw bodies (`Content-Type:
 * application/octet-stream` or `image/*`), hashed in memory on a worker and dropped. The same
 * port speaks Meta's HMA API (hma/), and describes both at `/openapi.json`.
 */
export async function startCheckServer (init: CheckServerInit): Promise<CheckServer> {
  const stats: CheckStats = { requests: 0, hashes: 0, images: 0, videos: 0, matches: 0, feedback: 0, unauthorized: 0, rateLimited: 0 }
  const jsonLimit = Math.max(64 * 1024, init.service.maxHashes * CHECK_BYTES_PER_HASH)
  const imageLimit = init.maxImageBytes ?? MAX_IMAGE_BYTES
  const buckets = new TokenBuckets(init.rateLimit)
  const { hma } = init
  const unauthenticated = new Set(['/healthz', '/openapi.json', ...PUBLIC_STATUS_PATHS.map(p => hma.prefix + p)])
  let closing = false
  const ids = new ContentIdIndex(hma.store, hma.hashLog, init.logger.child({ component: 'content-ids' }))
  const banks = new Banks(hma.banks)
  const matcher = new HmaMatcher(init.service, banks, ids)
  // the index is live: it changes with every batch stored, and was loaded at start
  let builtTo = Math.floor(Date.now() / 1000)
  const onBatch = (): void => { builtTo = Math.floor(Date.now() / 1000) }
  hma.hashLog.on('batch', onBatch)
  const doc = JSON.stringify(checkApiDocument({ prefix: hma.prefix, tokenHeader: hma.tokenHeader, maxImageBytes: imageLimit, maxHashes: init.service.maxHashes, rateLimit: init.rateLimit }))
  const accepted = (url: string | undefined): string[] | undefined => url === undefined ? undefined : ACCEPTED[url.startsWith(hma.prefix) && ACCEPTED[url] === undefined ? url.slice(hma.prefix.length) : url]
  const fastRaw = fastRawLookupHandler({
    prefix: hma.prefix,
    tokenHeader: hma.tokenHeader,
    matcher,
    tokens: init.tokens,
    buckets,
    rateLimit: init.rateLimit,
    stats,
    observe: init.observe,
    onInternalError: (err) => init.logger.error({ err }, 'HMA raw_lookup failed')
  })
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
    // verbose: a refused unknown field is named with the known ones (schema-errors.ts)
    ajv: { customOptions: { removeAdditional: false, verbose: true } },
    schemaErrorFormatter: schemaErrorMessage,
    // the common case of POST /v1/check is answered before Fastify (see fast-check-route.ts)
    serverFactory: (handler) => {
      // requestTimeout: a client that trickles its body cannot hold a connection (and its buffer) forever
      const server = createServer({ requestTimeout: 60_000 }, (req, res) => { if (closing || !(fastCheck(req, res) || fastRaw(req, res))) handler(req, res) })
      server.keepAliveTimeout = 72_000 // Fastify's default, which a server of our own must set itself
      return server
    }
  })
  installErrorReplies(app, { translate: (err, req) => translateCheckError(err, accepted(req.routeOptions.url), imageLimit) })

  app.decorateRequest('hoster', '')
  // a callback hook, not an async one: no promise per request on the hot path
  app.addHook('onRequest', (req: FastifyRequest, reply: FastifyReply, done: (err?: Error) => void) => {
    const q = req.url.indexOf('?')
    if (unauthenticated.has(q < 0 ? req.url : req.url.slice(0, q))) { done(); return }
    if (closing) { done(hfError(ErrorCodes.UNAVAILABLE, 'this node is shutting down: retry on another node')); return }
    stats.requests++
    const token = tokenOf(req.headers, hma.tokenHeader)
    const hoster = token === '' ? null : init.tokens.verify(token)
    if (hoster === null) {
      stats.unauthorized++
      const how = `Authorization: Bearer <token>${hma.tokenHeader !== undefined ? ` or ${hma.tokenHeader}: <token>` : ''}`
      done(hfError(ErrorCodes.UNAUTHORIZED, token === '' ? `send a check token: ${how}` : 'unknown or revoked token'))
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
  app.addContentTypeParser(/^video\//, { parseAs: 'buffer' }, rawBody)
  const videos = new VideoCheckRoute({ service: init.service, ffmpegPath: init.ffmpegPath, maxVideoBytes: init.maxVideoBytes, stats })
  videos.register(app)
  videos.registerFile(app)
  app.addHook('onClose', async () => { await videos.close() })

  app.get('/healthz', async () => ({ ok: true }))
  app.get('/openapi.json', async (_req, reply) => await reply.type('application/json; charset=utf-8').send(doc))

  app.post('/v1/check', { bodyLimit: jsonLimit, schema: { body: checkBody, querystring: noQuery }, preValidation: requireJson }, async (req) => {
    const hashes = (req.body as { hashes: CheckQuery[] }).hashes
    const results = await init.service.check(hashes, { hoster: req.hoster })
    stats.hashes += results.length
    for (const r of results) stats.matches += r.matches.length
    return { results }
  })

  app.post('/v1/check/image', { bodyLimit: imageLimit, schema: { querystring: noQuery } }, async (req) => {
    const body = req.body
    if (!Buffer.isBuffer(body) || body.length === 0) {
      throw hfError(ErrorCodes.INVALID_ARGUMENT, 'send the image as the raw request body with Content-Type: application/octet-stream or image/* (image/jpeg, image/png, …)')
    }
    // keyed by hoster: each token has its share of the hashing queue (see ImageHashPool)
    const hashes = await init.images.hash(body, { key: req.hoster })
    // nothing of the image outlives the request: the hashes are all that is kept for the answer
    const result = await init.service.checkImage(hashes, { hoster: req.hoster })
    stats.images++
    for (const r of result.results) stats.matches += r.matches.length
    return result
  })

  app.post('/v1/feedback', { schema: { body: feedbackBody, querystring: noQuery }, preValidation: requireJson }, async (req, reply) => {
    const b = req.body as { algorithm: string, value: string, verdict: string, reason?: string }
    const sent = await init.feedback.send({ ref: `${b.algorithm}:${b.value}`, verdict: b.verdict, reason: b.reason, hoster: req.hoster, accept: init.isOriginEnabled })
    stats.feedback++
    void reply.status(202)
    return { feedback: sent.map(s => ({ id: s.id, origin: s.name })) }
  })

  await registerHmaRoutes(app, {
    prefix: hma.prefix,
    maxFileBytes: imageLimit,
    accepted,
    matcher,
    banks,
    ids,
    images: init.images,
    hashLog: hma.hashLog,
    thresholds: hma.thresholds,
    indexSize: hma.indexSize,
    builtTo: () => builtTo,
    closing: () => closing
  })

  let url: string
  try {
    url = await listen(app, init.host, init.port)
  } catch (err) {
    await app.close().catch(() => {})
    hma.hashLog.off('batch', onBatch)
    throw hfError(ErrorCodes.INVALID_CONFIG, `the check API cannot listen on ${init.host}:${init.port} (config check.host/check.port): ${(err as Error).message}`, { host: init.host, port: init.port }, err)
  }
  ids.start()
  return {
    url,
    stats,
    settled: async () => await ids.settled(),
    close: async () => {
      closing = true
      hma.hashLog.off('batch', onBatch)
      await app.close()
      await ids.close()
    }
  }
}
