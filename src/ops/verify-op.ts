import type { StoreVerifyReport } from '../log/hash-log.js'
import type { IndexCheck } from '../reports/report-index-rebuild.js'
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
    ms: count,
    reportIndex: {
      type: 'object',
      description: 'the report index (listings, counts, statistics) checked against the reports; a damaged one is rebuilt from them',
      required: ['ok', 'reports', 'buckets', 'problems', 'repaired'],
      properties: { ok: { type: 'boolean' }, reports: count, buckets: count, problems: { type: 'array', items: { type: 'string' } }, repaired: { type: 'boolean' } }
    }
  }
} as const

/** The logs' verify report, and the report index's check when the whole store was verified. */
export type VerifyOpReport = StoreVerifyReport & { reportIndex?: IndexCheck }

export const verifyOp = defineOp({
  name: 'verify',
  summary: 're-verify the stored logs (signatures, chains, canonical bytes) and their index rows, reporting the first fault; and the report index, rebuilt when damaged',
  authority: 'read',
  http: { method: 'GET', path: '/v1/verify' },
  input: (z) => z.strictObject({ origin: z.string().min(1).max(128).optional().describe('only this origin: member name or peer ID') }),
  output: verifyReportSchema,
  // a running node verifies through its log, under the log's write lock (writes wait meanwhile)
  run: async (c, { origin }): Promise<VerifyOpReport> => {
    const logs = await verifyNodeStore(c.ctx, await c.hashLog(), origin)
    if (origin !== undefined) return logs
    // derived rows only: rebuilt from the reports at once, and reported
    return { ...logs, reportIndex: await (await c.reports()).reports.verify({ repair: true }) }
  }
})
