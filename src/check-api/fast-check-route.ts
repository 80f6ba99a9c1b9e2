import type { IncomingMessage, ServerResponse } from 'node:http'
import { hfError, ErrorCodes, isHashfedError, type HashfedError } from '../errors.js'
import { errorStatus } from '../http/error-reply.js'
import type { CheckResult, CheckService } from '../check/check-service.js'
import { checkRequestSchema, isPlainCheckRequest } from '../check/check-requests.js'
import { z } from 'zod'
import { parseWith } from '../ops/parse-input.js'

const checkRequest = checkRequestSchema(z)
import type { TokenStore } from '../check/token-store.js'
import type { TokenBuckets } from '../util/token-bucket.js'

/** What every route answered on plain node:http before Fastify needs: tokens, limits, counters. */
export interface FastRouteInit {
  tokens: TokenStore
  buckets: TokenBuckets
  rateLimit: number
  stats: { requests: number, hashes: number, matches: number, rateLimited: number }
  observe?: (route: string, statusCode: number, ms: number) => void
  /** an unexpected failure (a bug): answered 500 HF_INTERNAL */
  onInternalError: (err: unknown) => void
}

export interface FastCheckInit extends FastRouteInit {
  service: CheckService
  /** largest body accepted */
  bodyLimit: number
}

const ROUTE = '/v1/check'
const JSON_TYPE = 'application/json; charset=utf-8'

/**
 * `POST /v1/check` straight on node:http, the check API's hot path: a hoster checks every
 * upload, so this is the request the service answers most. Measured on the 2-core machine,
 * the same route through Fastify's hooks, schema and reply cost ~95 µs of CPU per request
 * against ~50 µs for a bare node:http JSON endpoint. Only the common case is handled here
 * (a JSON body with a valid token); anything else (no or unknown token, another content type,
 * a declared length over the limit) is left to the Fastify route, which answers the same way,
 * so there is one definition of every error reply.
 *
 * Returns false when the request is not this route's common case and was not touched.
 */
export function fastCheckHandler (init: FastCheckInit): (req: IncomingMessage, res: ServerResponse) => boolean {
  const { service, tokens, buckets, stats, observe } = init

  // shared by every request: a request makes no closure of its own but its body's listeners
  const reply = (res: ServerResponse, status: number, body: string, start: number, headers?: Record<string, string | number>): void => {
    res.writeHead(status, headers === undefined
      ? { 'content-type': JSON_TYPE, 'content-length': Buffer.byteLength(body) }
      : { 'content-type': JSON_TYPE, 'content-length': Buffer.byteLength(body), ...headers })
    res.end(body)
    if (observe !== undefined) observe(ROUTE, status, performance.now() - start)
  }
  const fail = (res: ServerResponse, err: HashfedError, start: number, headers?: Record<string, string | number>): void => {
    reply(res, errorStatus(err.code), JSON.stringify({ error: { code: err.code, message: err.message, details: err.details } }), start, headers)
  }
  const failed = (res: ServerResponse, err: unknown, start: number): void => {
    if (!isHashfedError(err)) init.onInternalError(err)
    fail(res, isHashfedError(err) ? err : hfError(ErrorCodes.INTERNAL, 'internal error'), start)
  }
  const answer = (res: ServerResponse, results: CheckResult[], start: number): void => {
    stats.hashes += results.length
    for (const r of results) stats.matches += r.matches.length
    reply(res, 200, JSON.stringify({ results }), start)
  }
  /** the whole body read: parsed, checked and answered */
  const respond = (res: ServerResponse, text: string, hoster: string, start: number): void => {
    let body: unknown
    try {
      body = JSON.parse(text)
    } catch (err) {
      fail(res, hfError(ErrorCodes.INVALID_ARGUMENT, `body is not JSON: ${(err as Error).message}`), start)
      return
    }
    let results
    try {
      // the same request schema as the Fastify route and the admin API's check; a body in
      // its plain shape is taken as is (isPlainCheckRequest), any other gets zod's word
      const hashes = isPlainCheckRequest(body) ? body.hashes : parseWith(checkRequest, body).hashes
      // answered in this tick when nothing matched; a match's metadata is read first
      results = service.checkNow(hashes, { hoster })
    } catch (err) {
      failed(res, err, start)
      return
    }
    if (Array.isArray(results)) answer(res, results, start)
    else results.then(r => { answer(res, r, start) }, err => { failed(res, err, start) })
  }

  return (req, res) => {
    if (req.method !== 'POST' || req.url !== ROUTE) return false
    const type = req.headers['content-type']
    if (type === undefined || !(type === 'application/json' || type.startsWith('application/json;'))) return false
    const declared = req.headers['content-length']
    if (declared !== undefined && Number(declared) > init.bodyLimit) return false
    const header = req.headers.authorization
    if (header === undefined || !header.startsWith('Bearer ')) return false
    const hoster = tokens.verify(header.slice(7).trim())
    if (hoster === null) return false

    const start = observe !== undefined ? performance.now() : 0
    stats.requests++
    const waitMs = buckets.take(hoster)
    if (waitMs > 0) {
      stats.rateLimited++
      req.resume() // drain the body: the connection stays usable
      fail(res, hfError(ErrorCodes.RATE_LIMITED, `more than ${init.rateLimit} requests per second for this token; retry after ${waitMs} ms`, { retryAfterMs: waitMs }), start, { 'retry-after': Math.max(1, Math.ceil(waitMs / 1000)) })
      return true
    }

    let first: Buffer | undefined
    let chunks: Buffer[] | undefined
    let size = 0
    let tooLarge = false
    req.on('data', (chunk: Buffer) => {
      if (tooLarge) return
      size += chunk.length
      if (size > init.bodyLimit) {
        tooLarge = true
        first = undefined
        chunks = undefined
        fail(res, hfError(ErrorCodes.TOO_LARGE, 'request body too large'), start, { connection: 'close' })
        req.destroy()
        return
      }
      // a small body comes in one chunk: no array for it
      if (first === undefined) first = chunk
      else (chunks ??= [first]).push(chunk)
    })
    req.on('end', () => {
      if (tooLarge) return
      respond(res, chunks !== undefined ? Buffer.concat(chunks).toString('utf8') : first !== undefined ? first.toString('utf8') : '', hoster, start)
    })
    req.on('error', () => { /* the client went away: nothing to answer */ })
    return true
  }
}
