import type { FastifyInstance } from 'fastify'
import type { AdminNode } from '../admin-node.js'
import { auditLogOf } from '../../audit/audit-log.js'
import { changeApiAccess, generateApiToken } from '../../config/api-token.js'
import { nodeRequestActor } from '../request-actor.js'

const tokenBodySchema = {
  type: 'object',
  additionalProperties: false,
  required: ['action'],
  properties: { action: { type: 'string', enum: ['generate', 'clear'], description: 'generate a new token (the old one stops working at once) or remove it (loopback only)' } }
} as const

/**
 * POST /v1/admin/token: rotates the admin token of the running node without a restart. The
 * new token is in the answer once and in config.json (0600); the CLI reads it from there.
 */
export function registerApiTokenRoutes (app: FastifyInstance, node: AdminNode): void {
  app.post('/v1/admin/token', {
    schema: {
      summary: 'generate or remove the admin API token (applies at once)',
      body: tokenBodySchema,
      response: { 200: { type: 'object', required: ['token', 'host'], properties: { token: { type: ['string', 'null'] }, host: { type: 'string' } } } }
    }
  }, async (req) => {
    const { action } = req.body as { action: 'generate' | 'clear' }
    const actor = nodeRequestActor(req, node)
    const token = action === 'generate' ? generateApiToken() : null
    const res = await changeApiAccess(node.ctx.dir, { token })
    if (token === null) delete node.ctx.config.api.token
    else node.ctx.config.api.token = token
    await auditLogOf(node.ctx.store).record(action === 'generate' ? 'api.token.set' : 'api.token.clear', { host: res.host }, actor)
    node.log.info({ action }, 'admin API token changed')
    return { token, host: res.host }
  })
}
