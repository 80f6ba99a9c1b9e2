import type { FastifyInstance } from 'fastify'
import type { AdminNode } from '../admin-node.js'
import { auditLogOf } from '../../audit/audit-log.js'
import { parseSince } from '../../reports/report-service.js'
import { ref } from '../response-schemas.js'

const auditQuerySchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    since: { type: 'string', maxLength: 64, description: 'a date (2025-01-31) or a period back from now (30d, 12h, 2w)' },
    limit: { type: 'integer', minimum: 1, maximum: 100000, description: 'the newest this many records (default 1000)' }
  }
} as const

/** GET /v1/audit. Read only: the audit log has no route that changes or deletes a record. */
export function registerAuditRoutes (app: FastifyInstance, node: AdminNode): void {
  app.get('/v1/audit', {
    schema: {
      summary: 'operator actions, oldest first (read only)',
      querystring: auditQuerySchema,
      response: { 200: { type: 'object', required: ['records'], properties: { records: { type: 'array', items: ref('AuditRecord') } } } }
    }
  }, async (req) => {
    const q = req.query as { since?: string, limit?: number }
    const records = await auditLogOf(node.ctx.store).list({ sinceMs: q.since !== undefined ? parseSince(q.since, Date.now()) : undefined, limit: q.limit })
    return { records }
  })
}
