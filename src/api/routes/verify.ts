import type { FastifyInstance } from 'fastify'
import type { AdminNode } from '../admin-node.js'
import { verifyNodeStore } from '../../node/store-verify.js'

const count = { type: 'integer', minimum: 0 } as const

/** The answer of GET /v1/verify: the summary, and the first fault when there is one. */
const verifyReportSchema = {
  type: 'object',
  required: ['ok', 'origins', 'batches', 'entries', 'indexRows', 'sourceRows', 'ms'],
  properties: {
    ok: { type: 'boolean' },
    fault: {
      type: 'object',
      required: ['origin', 'seq', 'problem', 'message'],
      properties: { origin: { type: 'string' }, seq: count, problem: { type: 'string' }, message: { type: 'string' } }
    },
    origins: count,
    batches: count,
    entries: count,
    indexRows: count,
    sourceRows: count,
    ms: count
  }
} as const

/** GET /v1/verify: re-verifies every stored batch and index row (`hashfed verify`); read only. */
export function registerVerifyRoutes (app: FastifyInstance, node: AdminNode): void {
  app.get('/v1/verify', {
    schema: {
      summary: 're-verify the stored logs (signatures, chains, canonical bytes) and their index rows; reports the first fault',
      querystring: {
        type: 'object',
        additionalProperties: false,
        properties: { origin: { type: 'string', minLength: 1, maxLength: 128, description: 'only this origin: member name or peer ID' } }
      },
      response: { 200: verifyReportSchema }
    }
  }, async (req) => {
    const q = req.query as { origin?: string }
    return await verifyNodeStore(node.ctx, node.hashLog, q.origin)
  })
}
