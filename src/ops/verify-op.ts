import type { StoreVerifyReport } from '../log/hash-log.js'
import { verifyNodeStore } from '../node/store-verify.js'
import { defineOp } from './operation.js'

const count = { type: 'integer', minimum: 0 } as const

/** The answer of GET /v1/verify: the summary, and the first fault when there is one. */
export const verifyReportSchema = {
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

export const verifyOp = defineOp({
  name: 'verify',
  summary: 're-verify the stored logs (signatures, chains, canonical bytes) and their index rows; reports the first fault',
  authority: 'read',
  http: { method: 'GET', path: '/v1/verify' },
  input: (z) => z.strictObject({ origin: z.string().min(1).max(128).optional().describe('only this origin: member name or peer ID') }),
  output: verifyReportSchema,
  // a running node verifies through its log, under the log's write lock (writes wait meanwhile)
  run: async (c, { origin }): Promise<StoreVerifyReport> => await verifyNodeStore(c.ctx, await c.hashLog(), origin)
})
