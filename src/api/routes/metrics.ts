import type { FastifyInstance } from 'fastify'
import type { NodeMetrics } from '../metrics.js'
import { noQuerySchema } from '../schemas.js'

/** GET /metrics: Prometheus text format, behind the admin token like every other route. */
export function registerMetricsRoute (app: FastifyInstance, metrics: NodeMetrics): void {
  app.get('/metrics', {
    schema: {
      summary: 'Prometheus metrics (text exposition format 0.0.4)',
      querystring: noQuerySchema,
      response: { 200: { description: 'metrics', content: { 'text/plain': { schema: { type: 'string' } } } } }
    }
  }, async (_req, reply) => await reply.type(metrics.contentType).send(await metrics.scrape()))
}
