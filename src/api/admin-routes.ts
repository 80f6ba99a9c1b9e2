import type { FastifyInstance } from 'fastify'
import type { HashfedNode } from '../node/hashfed-node.js'
import { memberBodySchema } from './schemas.js'
import { registerReportRoutes } from './routes/reports.js'
import { registerHashRoutes } from './routes/hashes.js'

/** Admin API routes: thin wrappers over node methods, so CLI and API share one behaviour. */
export function registerAdminRoutes (app: FastifyInstance, node: HashfedNode): void {
  app.get('/v1/status', async () => await node.status())

  app.get('/v1/federation', async () => ({ name: node.ctx.federation.name, members: node.ctx.federation.members }))

  app.post('/v1/federation/members', { schema: { body: memberBodySchema } }, async (req) => {
    await node.addMember(req.body as Parameters<HashfedNode['addMember']>[0])
    return { ok: true, members: node.ctx.federation.members.length }
  })

  app.post('/v1/federation/reload', async () => {
    await node.reloadFederationFile()
    return { ok: true, members: node.ctx.federation.members.length }
  })

  registerReportRoutes(app, node)
  registerHashRoutes(app, node)
}
