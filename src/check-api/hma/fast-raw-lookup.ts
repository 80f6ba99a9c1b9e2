import type { IncomingMessage, ServerResponse } from 'node:http'
import { hfError, ErrorCodes, isHashfedError, type HashfedError } from '../../errors.js'
import { errorStatus } from '../../http/error-reply.js'
import { hexToBytes, VALUE_BYTES } from '../../log/hash-value.js'
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

const JSON_TYPE = 'application/json; charset=utf-8'
/** the answer to most look-ups (a hoster's upload is rarely known), written as is */
const NO_MATCHES = Buffer.from('{"matches":[]}')
const LOWER_HEX = /^[0-9a-f]+$/

/** HMA's parameters of one request; undefined when a parameter is not one of them or repeats. */
interface RawQuery { signalType?: string, signal?: string, banks?: string, withDistance?: boolean }

/**
 * The query string of a common request, split by hand (URLSearchParams costs a few µs a
 * request). A percent-encoded or `+` query is left to the Fastify route, which decodes it;
 * so is any parameter HMA does not have, a repeated one, or an oversized value.
 */
function parseQuery (q: string): RawQuery | undefined {
  if (q.includes('%') || q.includes('+')) return undefined
  const out: RawQuery = {}
  for (let at = 0; at <= q.length;) {
    let end = q.indexOf('&', at)
    if (end < 0) end = q.length
    if (end > at) {
      const eq = q.indexOf('=', at)
      const split = eq < 0 || eq > end ? end : eq
      const k = q.slice(at, split)
      const v = split === end ? '' : q.slice(split + 1, end)
      if (k === 'signal_type' && out.signalType === undefined && v.length <= 32) out.signalType = v
      else if (k === 'signal' && out.signal === undefined && v.length <= 400) out.signal = v
      else if (k === 'banks' && out.banks === undefined && v.length <= 4000) out.banks = v
      else if (k === 'include_distance' && out.withDistance === undefined && (v === 'true' || v === 'false')) out.withDistance = v === 'true'
      else return undefined
    }
    at = end + 1
  }
  return out
}

/**
 * `GET /m/raw_lookup` straight on node:http, for the same reason as fast-check-route.ts: an
 * HMA hoster calls it once per upload. Only the common case is answered here: a valid token
 * and exactly HMA's parameters, each once, with a known signal type. Anything else is left to
 * the Fastify route (matching-routes.ts), which answers it, errors included, the same way.
 * A miss (most requests) is answered in the same tick with fixed bytes and no closure.
 */
export function fastRawLookupHandler (init: FastRawLookupInit): (req: IncomingMessage, res: ServerResponse) => boolean {
  const path = `${init.prefix}/m/raw_lookup?`
  const route = `${init.prefix}/m/raw_lookup`
  const { matcher, tokens, buckets, stats, observe } = init

  const reply = (res: ServerResponse, status: number, body: string | Buffer, start: number, headers?: Record<string, string | number>): void => {
    res.writeHead(status, headers === undefined
      ? { 'content-type': JSON_TYPE, 'content-length': typeof body === 'string' ? Buffer.byteLength(body) : body.length }
      : { 'content-type': JSON_TYPE, 'content-length': Buffer.byteLength(body), ...headers })
    res.end(body)
    if (observe !== undefined) observe(route, status, performance.now() - start)
  }
  const fail = (res: ServerResponse, err: HashfedError, start: number, headers?: Record<string, string | number>): void => {
    reply(res, errorStatus(err.code), JSON.stringify({ message: err.message, code: err.code }), start, headers)
  }
  const failed = (res: ServerResponse, err: unknown, start: number): void => {
    if (!isHashfedError(err)) init.onInternalError(err)
    fail(res, isHashfedError(err) ? err : hfError(ErrorCodes.INTERNAL, 'internal error'), start)
  }
  const answer = (res: ServerResponse, found: BankedMatch[], withDistance: boolean | undefined, start: number): void => {
    stats.hashes++
    if (found.length === 0) {
      reply(res, 200, NO_MATCHES, start)
      return
    }
    const matches = HmaMatcher.distinct(found)
    stats.matches += matches.length
    reply(res, 200, JSON.stringify({ matches: withDistance === true ? matches : matches.map(m => m.bank_content_id) }), start)
  }

  return (req, res) => {
    const url = req.url
    if (req.method !== 'GET' || url === undefined || !url.startsWith(path)) return false
    const token = tokenOf(req.headers, init.tokenHeader)
    if (token === '') return false
    const hoster = tokens.verify(token)
    if (hoster === null) return false
    const q = parseQuery(url.slice(path.length))
    if (q === undefined) return false
    const { signalType, signal, banks, withDistance } = q
    if (signalType === undefined || signal === undefined) return false
    const algorithm = SIGNAL_TYPES[signalType]
    if (algorithm === undefined) return false

    const start = observe !== undefined ? performance.now() : 0
    stats.requests++
    const waitMs = buckets.take(hoster)
    if (waitMs > 0) {
      stats.rateLimited++
      fail(res, hfError(ErrorCodes.RATE_LIMITED, `more than ${init.rateLimit} requests per second for this token; retry after ${waitMs} ms`), start, { 'retry-after': Math.max(1, Math.ceil(waitMs / 1000)) })
      return true
    }
    let found
    try {
      // a signal as hosters send it (lower-case hex of the right length) is used as is; any
      // other goes through HMA's validation (trim, case, its error messages)
      const value = signal.length === 2 * VALUE_BYTES[algorithm] && LOWER_HEX.test(signal) ? hexToBytes(signal) : null
      // answered in this tick when nothing matched; a match's metadata is read first
      found = value !== null
        ? matcher.lookupValueNow(algorithm, value, signal, banks, hoster)
        : matcher.lookupNow(signalType, signal, banks, hoster)
    } catch (err) {
      failed(res, err, start)
      return true
    }
    if (Array.isArray(found)) answer(res, found, withDistance, start)
    else found.then(f => { answer(res, f, withDistance, start) }, err => { failed(res, err, start) })
    return true
  }
}
