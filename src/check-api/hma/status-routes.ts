import type { FastifyInstance } from 'fastify'

/** Paths (under the HMA prefix) answered without a token: load balancers probe them. */
export const PUBLIC_STATUS_PATHS = ['/status', '/status/live']

/** HMA's `/status` (OpenMediaMatch/app.py): plain text for load balancers. */
export function registerStatusRoutes (app: FastifyInstance, closing: () => boolean): void {
  // the match index is loaded before the port opens, so INDEX-NOT-LOADED is never the answer
  app.get('/status', async (_req, reply) => {
    void reply.type('text/plain; charset=utf-8')
    if (closing()) return await reply.status(503).send('INDEX-NOT-LOADED')
    return 'I-AM-ALIVE'
  })
  app.get('/status/live', async (_req, reply) => {
    void reply.type('text/plain; charset=utf-8')
    return 'I-AM-ALIVE'
  })
}
