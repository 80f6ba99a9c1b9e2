import type { FastifyInstance } from 'fastify'
import { hfError, ErrorCodes } from '../../errors.js'
import { formatHashValue, parseHashValue, type AlgorithmName } from '../../log/hash-value.js'
import { DEFAULT_CLASSIFICATION } from '../../lists/default-classification.js'
import { inBank, type Bank } from './banks.js'
import type { HmaContext } from './hma-context.js'
import { bankParams, contentParams, contentQuery, noQuery } from './hma-schemas.js'

/** HMA's `/c` blueprint (OpenMediaMatch/blueprints/curation.py), read-only: lists are curated by their origins. */
export function registerCurationRoutes (app: FastifyInstance, ctx: HmaContext): void {
  const bankOf = (name: string): Bank => {
    const bank = ctx.banks.parse(name)
    if (bank === null) throw hfError(ErrorCodes.NOT_FOUND, `bank '${name}' not found`, { bank: name })
    return bank
  }

  app.get('/c/banks', { schema: { querystring: noQuery } }, async () => ctx.banks.list())

  app.get('/c/bank/:bank_name', { schema: { params: bankParams, querystring: noQuery } }, async (req) => ctx.banks.config(bankOf((req.params as { bank_name: string }).bank_name)))

  app.get('/c/bank/:bank_name/content/:content_id', { schema: { params: contentParams, querystring: contentQuery } }, async (req) => {
    const { bank_name: name, content_id: id } = req.params as { bank_name: string, content_id: number }
    const q = req.query as { include_signals?: boolean, include_metadata?: boolean }
    const bank = bankOf(name)
    // the id's entries in this bank that the origin still holds
    const live = []
    for (const ref of await ctx.ids.find(id)) {
      if (ref.origin !== bank.origin) continue
      const algorithm = ref.algorithm as AlgorithmName
      const p = (await ctx.hashLog.show(algorithm, parseHashValue(algorithm, ref.valueHex))).find(x => x.origin === ref.origin)
      if (p === undefined || p.retracted !== undefined) continue
      if (!inBank(bank, p.origin, p.record.classification ?? DEFAULT_CLASSIFICATION)) continue
      live.push(p)
    }
    if (live.length === 0) throw hfError(ErrorCodes.NOT_FOUND, `content '${id}' not found`, { bank: name, id })
    if (live.length > 1) {
      const which = live.map(p => `${p.record.algorithm}:${formatHashValue(p.record.value)}`).join(', ')
      throw hfError(ErrorCodes.AMBIGUOUS, `content '${id}' names ${live.length} entries of bank '${name}' (${which}): look them up by signal instead`, { bank: name, id })
    }
    const { record, origin, seq, index, batchHash } = live[0]
    const value = formatHashValue(record.value)
    const out: Record<string, unknown> = { id, disable_until_ts: 0, bank: ctx.banks.config(bank) }
    if (q.include_signals === true) out.signals = { [record.algorithm]: value }
    if (q.include_metadata !== false) {
      const { algorithm: _a, value: _v, classification, ...meta } = record
      const json = {
        origin: ctx.banks.nameOf(origin),
        peerId: origin,
        algorithm: record.algorithm,
        value,
        classification: classification ?? DEFAULT_CLASSIFICATION,
        ...meta,
        batch: { origin, seq, index, hash: Buffer.from(batchHash).toString('hex') }
      }
      out.metadata = record.source !== undefined ? { content_id: record.source, json } : { json }
    }
    return out
  })
}
