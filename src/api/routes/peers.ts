import type { FastifyInstance } from 'fastify'
import type { AdminNode } from '../admin-node.js'
import { collectPeers } from '../../node/peer-status.js'
import { noQuerySchema } from '../schemas.js'
import { ref } from '../response-schemas.js'

/** GET /v1/peers: what `hashfed peers` shows, one row per other member. */
export function registerPeerRoutes (app: FastifyInstance, node: AdminNode): void {
  app.get('/v1/peers', {
    schema: {
      summary: 'the other members: link, round-trip time, sync lag per origin, rejected messages, outbox depth',
      querystring: noQuerySchema,
      response: { 200: { type: 'object', required: ['peers'], properties: { peers: { type: 'array', items: ref('MemberStatus') } } } }
    }
  }, async () => ({ peers: await collectPeers(node.ctx, node.components) }))
}
