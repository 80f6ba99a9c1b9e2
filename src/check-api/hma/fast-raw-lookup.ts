import type { IncomingMessage, ServerResponse } from 'node:http'
import { hfError, ErrorCodes, isHashfedError, type HashfedError } from '../../errors.js'
import { errorStatus } from '../../http/error-reply.js'
import { tokenOf } from '../check-token.js'
import { HmaMatcher, type BankedMatch } from './matcher.js'
import type { FastRouteInit } from '../fast-check-route.js'
import { SIGNAL_TYPES } from './signal-types.js'

export interface FastRawLookupInit extends FastRouteInit {
  /** config check.hma.prefix */
  prefix: string
  tokenHeader?: string
  matcher: HmaMatcher
}

/**
 * `GET /m/raw_lookup` straight on node:http, for the same reason as fast-check-route.ts: an
 * HMA hoster calls it once per upload. Only the common case is answered here: a valid token
 * and exactly HMA's parameters, each once, with a known signal type. Anything else is left to
 * the Fastify route (matching-routes.ts), which answers it, errors included, the same way.
 */
export function fastRawLookupHandler (init: FastRawLookupInit): (req: IncomingMessage, res: ServerResponse) => boolean {
  const path = `${init.prefix}/m/raw_lookup?`
  const route = `${init.prefix}/m/raw_lookup`
  const { matcher, tokens, buckets, stats, observe } = init
  return (req, res) => {
    const url = req.url
    if (req.method !== 'GET' || url === undefined || !url.startsWith(path)) return false
    const token = tokenOf(req.headers, init.tokenHeader)
    if (token === '') return false
    const hoster = tokens.verify(token)
    if (hoster === null) return false
    let signalType: string | undefined
    let signal: string | undefined
    let banks: string | undefined
    let withDistance: boolean | undefined
    for (const [k, v] of new URLSearchParams(url.slice(path.length))) {
      if (k === 'signal_type' && signalType === undefined && v.length <= 32) signalType = v
      else if (k === 'signal' && signal === undefined && v.length <= 400) signal = v
      else if (k === 'banks' && banks === undefined && v.length <= 4000) banks = v
      else if (k === 'include_distance' && withDistance === undefined && (v === 'true' || v === 'false')) withDistance = v === 'true'
      else return false
    }
    if (signalType === undefined || signal === undefined || SIGNAL_TYPES[signalType] === undefined) return false

    const start = observe !== undefined ? performance.now() : 0
    stats.requests++
    const reply = (status: number, body: string, headers: Record<string, string | number> = {}): void => {
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body), ...headers })
      res.end(body)
      if (observe !== undefined) observe(route, status, performance.now() - start)
    }
    const fail = (err: HashfedError, headers?: Record<string, string | number>): void => {
      reply(errorStatus(err.code), JSON.stringify({ message: err.message, code: err.code }), headers)
    }
    const waitMs = buckets.take(hoster)
    if (waitMs > 0) {
      stats.rateLimited++
      fail(hfError(ErrorCodes.RATE_LIMITED, `more than ${init.rateLimit} requests per second for this token; retry after ${waitMs} ms`), { 'retry-after': Math.max(1, Math.ceil(waitMs / 1000)) })
      return true
    }
    const answer = (found: BankedMatch[]): void => {
      stats.hashes++
      const matches = HmaMatcher.distinct(found)
      stats.matches += matches.length
      reply(200, JSON.stringify({ matches: withDistance === true ? matches : matches.map(m => m.bank_content_id) }))
    }
    const failed = (err: unknown): void => {
      if (!isHashfedError(err)) init.onInternalError(err)
      fail(isHashfedError(err) ? err : hfError(ErrorCodes.INTERNAL, 'internal error'))
    }
    let found
    try {
      // answered in this tick when nothing matched; a match's metadata is read first
      found = matcher.lookupNow(signalType, signal, banks, hoster)
    } catch (err) {
      failed(err)
      return true
    }
    if (Array.isArray(found)) answer(found)
    else found.then(answer, failed)
    return true
  }
}
