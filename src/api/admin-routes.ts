import type { FastifyInstance } from 'fastify'
import type { AdminNode } from './admin-node.js'
import { emptyBodyAsObject, memberBodySchema, noFieldsSchema, noQuerySchema } from './schemas.js'
import { okMembersSchema, ref } from './response-schemas.js'
import { registerOpenApi } from './openapi.js'
import { clearUploads } from './upload-spool.js'
import { nodeRequestActor } from './request-actor.js'
import { auditLogOf } from '../audit/audit-log.js'
import { memberDetails } from '../audit/audit-details.js'
import { registerPeerRoutes } from './routes/peers.js'
import { registerMetricsRoute } from './routes/metrics.js'
import { registerAuditRoutes } from './routes/audit.js'
import { registerApiTokenRoutes } from './routes/api-token.js'
import { registerReportRoutes } from './routes/reports.js'
import { registerHashRoutes } from './routes/hashes.js'
import { registerSyncRoutes } from './routes/sync.js'
import { registerVerifyRoutes } from './routes/verify.js'
import { registerCheckRoutes } from './routes/check.js'
import { registerDashboardRoutes } from './routes/dashboard.js'

/**
 * Admin API routes: thin wrappers over node methods, so CLI and API share one behaviour.
 * Async because the OpenAPI plugin must be in place before the first route is added.
 */
export async function registerAdminRoutes (app: FastifyInstance, node: AdminNode): Promise<void> {
  await clearUploads(node.ctx.dir.uploads)
  await registerOpenApi(app, { title: 'hashfed admin API', version: '1', description: 'A hashfed node\'s admin API: status, peers, hash lists, reports, audit log, metrics.' })

  app.get('/v1/status', { schema: { summary: 'the node: identity, members, origins, forks, store counts, reports', querystring: noQuerySchema, response: { 200: ref('NodeStatus') } } }, async () => await node.status())

  app.get('/v1/federation', {
    schema: { querystring: noQuerySchema, response: { 200: { type: 'object', required: ['name', 'members'], properties: { name: { type: 'string' }, members: { type: 'array', items: ref('Member') } } } } }
  }, async () => ({ name: node.ctx.federation.name, members: node.ctx.federation.members }))

  app.post('/v1/federation/members', { schema: { summary: 'add or replace a member (applied at once)', body: memberBodySchema, response: { 200: okMembersSchema } } }, async (req) => {
    const member = req.body as Parameters<AdminNode['addMember']>[0]
    await node.addMember(member)
    await auditLogOf(node.ctx.store).record('federation.add', memberDetails(member), nodeRequestActor(req, node))
    return { ok: true, members: node.ctx.federation.members.length }
  })

  app.post('/v1/federation/reload', { schema: { summary: 're-read the federation file', body: noFieldsSchema, response: { 200: okMembersSchema } }, preValidation: emptyBodyAsObject }, async (req) => {
    await node.reloadFederationFile()
    await auditLogOf(node.ctx.store).record('federation.reload', { members: node.ctx.federation.members.map(m => m.name) }, nodeRequestActor(req, node))
    return { ok: true, members: node.ctx.federation.members.length }
  })

  registerPeerRoutes(app, node)
  registerMetricsRoute(app, node.metrics)
  registerAuditRoutes(app, node)
  registerApiTokenRoutes(app, node)

  registerReportRoutes(app, node)
  registerHashRoutes(app, node)
  registerSyncRoutes(app, node)
  registerVerifyRoutes(app, node)
  registerCheckRoutes(app, node)
  registerDashboardRoutes(app)
}
