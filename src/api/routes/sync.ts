import type { FastifyInstance } from 'fastify'
import type { AdminNode } from '../admin-node.js'
import { hfError, ErrorCodes } from '../../errors.js'

const MAX_WAIT_MS = 60_000

/**
 * GET /v1/sync/wait: answers once this node holds batch `seq` of `origin` (or at the timeout).
 * Lets scripts and operators wait for replication without polling.
 */
export function registerSyncRoutes (app: FastifyInstance, node: AdminNode): void {
  app.get('/v1/sync/wait', {
    schema: {
      summary: 'wait until this node holds an origin\'s batch',
      querystring: {
        type: 'object',
        additionalProperties: false,
        required: ['origin', 'seq'],
        properties: {
          origin: { type: 'string', description: 'member name or peer ID' },
          seq: { type: 'integer', minimum: 1 },
          timeoutMs: { type: 'integer', minimum: 0, maximum: MAX_WAIT_MS, default: 10_000 }
        }
      },
      response: { 200: { type: 'object', required: ['reached', 'seq'], properties: { reached: { type: 'boolean' }, seq: { type: 'integer' } } } }
    }
  }, async (req) => {
    const q = req.query as { origin: string, seq: number, timeoutMs: number }
    const origin = node.ctx.federation.byMemberName(q.origin)?.peerId ?? node.ctx.federation.byPeerId(q.origin)?.peerId
    if (origin === undefined) throw hfError(ErrorCodes.NOT_FOUND, `no member "${q.origin}" in the federation`)
    const held = (): number => node.hashLog.head(origin)?.seq ?? 0
    if (held() >= q.seq) return { reached: true, seq: held() }
    return await new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer)
        node.hashLog.off('batch', onBatch)
        resolve({ reached: held() >= q.seq, seq: held() })
      }
      const onBatch = (e: { origin: string, seq: number }): void => { if (e.origin === origin && e.seq >= q.seq) done() }
      const timer = setTimeout(done, q.timeoutMs)
      node.hashLog.on('batch', onBatch)
    })
  })
}
