import type { FastifyInstance } from 'fastify'
import type { AdminNode } from './admin-node.js'
import { registerOpenApi } from './openapi.js'
import { clearUploads } from './upload-spool.js'
import { registerOpRoutes } from './op-routes.js'
import { registerMetricsRoute } from './routes/metrics.js'
import { registerDashboardRoutes } from './routes/dashboard.js'
import { OPERATIONS } from '../ops/operations.js'
import { runningAccess } from '../node/component-access.js'

/**
 * Admin API routes: one per operation of the table (src/ops), so the CLI and the API share one
 * behaviour, plus /metrics and the dashboard's files. Async because the OpenAPI plugin must be
 * in place before the first route is added.
 */
export async function registerAdminRoutes (app: FastifyInstance, node: AdminNode): Promise<void> {
  await clearUploads(node.ctx.dir.uploads)
  await registerOpenApi(app, { title: 'hashfed admin API', version: '1', description: 'A hashfed node\'s admin API: status, peers, hash lists, reports, audit log, metrics.' })
  registerOpRoutes(app, node, runningAccess(node.components, async () => await node.status()), OPERATIONS)
  registerMetricsRoute(app, node.metrics)
  registerDashboardRoutes(app)
}
