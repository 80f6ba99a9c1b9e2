import type { FastifyInstance } from 'fastify'
import { hfError, ErrorCodes } from '../../errors.js'
import { hammingDistance } from '../../hashing/hamming.js'
import { hashUpload } from './hashing.js'
import type { HmaContext } from './hma-context.js'
import { compareBody, indexStatusQuery, lookupQuery, lookupUploadQuery, noQuery, rawLookupQuery } from './hma-schemas.js'
import { HmaMatcher } from './matcher.js'
import { parseSignal, signalAlgorithm, SIGNAL_TYPE_NAMES, SIGNAL_TYPES } from './signal-types.js'
import { readUpload } from './upload.js'
import { requireJson } from '../require-json.js'

interface LookupQuery { signal_type?: string, signal?: string, banks?: string, seed?: string, bypass_coinflip?: boolean, url?: string, content_type?: string, types?: string }

/** HMA's coin flip serves a bank at its ratio; ours is 0 or 1, and 0 means never. */
function refuseCoinflip (q: { bypass_coinflip?: boolean }): void {
  if (q.bypass_coinflip === true) throw hfError(ErrorCodes.INVALID_ARGUMENT, 'bypass_coinflip=true is not served: a list switched off on this node (matching_enabled_ratio 0) is never matched')
}

/** HMA's `/m` blueprint (OpenMediaMatch/blueprints/matching.py). */
export function registerMatchingRoutes (app: FastifyInstance, ctx: HmaContext): void {
  // the common case is answered before Fastify (fast-raw-lookup.ts); this is the same answer
  app.get('/m/raw_lookup', { schema: { querystring: rawLookupQuery } }, async (req) => {
    const q = req.query as { signal_type: string, signal: string, banks?: string, include_distance?: boolean }
    const matches = HmaMatcher.distinct(await ctx.matcher.lookup(q.signal_type, q.signal, q.banks, req.hoster))
    return { matches: q.include_distance === true ? matches : matches.map(m => m.bank_content_id) }
  })

  app.get('/m/lookup', { schema: { querystring: lookupQuery } }, async (req) => {
    const q = req.query as LookupQuery
    if (q.url !== undefined) throw hfError(ErrorCodes.INVALID_ARGUMENT, 'this node never fetches URLs: POST the file to /m/lookup as multipart/form-data (field photo or video)')
    if (q.content_type !== undefined || q.types !== undefined) throw hfError(ErrorCodes.INVALID_ARGUMENT, 'content_type and types go with url, which this node does not fetch')
    refuseCoinflip(q)
    if (q.signal === undefined || q.signal_type === undefined) throw hfError(ErrorCodes.INVALID_ARGUMENT, 'Either url or both signal and signal_type are required (this node takes signal and signal_type)')
    return HmaMatcher.byBank(await ctx.matcher.lookup(q.signal_type, q.signal, q.banks, req.hoster))
  })

  app.post('/m/lookup', { schema: { querystring: lookupUploadQuery } }, async (req) => {
    const q = req.query as LookupQuery
    refuseCoinflip(q)
    const hashes = await hashUpload(ctx.images, await readUpload(req), q.types, req.hoster)
    const out: Record<string, unknown> = {}
    for (const [signalType, signal] of Object.entries(hashes)) out[signalType] = HmaMatcher.byBank(await ctx.matcher.lookup(signalType, signal, q.banks, req.hoster))
    return out
  })

  app.post('/m/compare', { schema: { body: compareBody, querystring: noQuery }, preValidation: requireJson }, async (req) => {
    const out: Record<string, [boolean, { distance?: number }]> = {}
    for (const [signalType, pair] of Object.entries(req.body as Record<string, [string, string]>)) {
      const algorithm = signalAlgorithm(signalType)
      const [left, right] = pair.map((s) => {
        try {
          return parseSignal(algorithm, s)
        } catch (err) {
          throw hfError(ErrorCodes.INVALID_HASH, `Invalid ${signalType} hash: ${(err as Error).message}`)
        }
      })
      // HMA compares with PDQ's confident-match threshold (31); this node with its own near-match thresholds
      if (algorithm === 'pdq' || algorithm === 'blockhash') {
        const distance = hammingDistance(left, right)
        out[signalType] = [distance <= ctx.thresholds[algorithm], { distance }]
      } else {
        out[signalType] = [Buffer.from(left).equals(right), {}]
      }
    }
    return out
  })

  app.get('/m/index/status', { schema: { querystring: indexStatusQuery } }, async (req) => {
    const only = (req.query as { signal_type?: string }).signal_type
    if (only !== undefined && SIGNAL_TYPES[only] === undefined) throw hfError(ErrorCodes.INVALID_ARGUMENT, `No such signal type '${only}' (this node has: ${SIGNAL_TYPE_NAMES.join(', ')})`)
    const out: Record<string, { present: boolean, built_to: number, size: number }> = {}
    // the index is in memory and live before the port opens: always present
    for (const name of only !== undefined ? [only] : SIGNAL_TYPE_NAMES) out[name] = { present: true, built_to: ctx.builtTo(), size: ctx.indexSize(SIGNAL_TYPES[name]) }
    return out
  })
}
