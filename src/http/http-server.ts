import { timingSafeEqual, createHash } from 'node:crypto'
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify'
import { hfError, ErrorCodes } from '../errors.js'
import { installErrorReplies } from './error-reply.js'
import { setAuthMethod } from './request-auth.js'
import { isLoopback } from '../util/loopback.js'

export interface HttpServerInit {
  host: string
  port: number
  /**
   * required bearer token; when absent the server must listen on loopback only. A function is
   * asked on every request, so a token can be rotated without a restart.
   */
  token?: string | (() => string | undefined)
  /** @default 1 MiB */
  bodyLimit?: number
  /** checked on every request before authentication (the admin API's `webGuard`); throws to refuse */
  guard?: (req: FastifyRequest) => void
}

const digest = (s: string): Buffer => createHash('sha256').update(s).digest()

/** A Fastify instance with our error replies and, off loopback, a mandatory bearer token. */
export function createHttpServer (init: HttpServerInit): FastifyInstance {
  const currentToken = typeof init.token === 'function' ? init.token : () => init.token as string | undefined
  if (!isLoopback(init.host) && currentToken() === undefined) {
    throw hfError(ErrorCodes.INVALID_CONFIG, `the admin API may listen on ${init.host} only with api.token set in the config (or keep host 127.0.0.1)`)
  }
  // removeAdditional off: a field the schema does not know (e.g. `reporter`) is refused, not silently dropped
  const app = Fastify({ logger: false, bodyLimit: init.bodyLimit ?? 1024 * 1024, ajv: { customOptions: { removeAdditional: false } } })
  installErrorReplies(app)
  const guard = init.guard
  if (guard !== undefined) app.addHook('onRequest', async (req) => { guard(req) })
  app.addHook('onRequest', async (req) => {
    // the dashboard's page and assets hold no data; a browser cannot send a token when it navigates
    if ((req.routeOptions.config as { public?: boolean } | undefined)?.public === true) return setAuthMethod(req, 'public')
    const token = init.token !== undefined ? currentToken() : undefined
    // a loopback node without a token (or whose token was cleared) needs none
    if (token === undefined && isLoopback(init.host)) return setAuthMethod(req, 'loopback-no-token')
    const header = req.headers.authorization ?? ''
    const given = header.startsWith('Bearer ') ? header.slice(7) : ''
    if (token === undefined || !timingSafeEqual(digest(given), digest(token))) throw hfError(ErrorCodes.UNAUTHORIZED, 'missing or wrong admin token')
    setAuthMethod(req, 'token')
  })
  return app
}

/** Listens and returns the base URL (with the real port when 0 was asked). */
export async function listen (app: FastifyInstance, host: string, port: number): Promise<string> {
  await app.listen({ host, port })
  const addr = app.server.address()
  const realPort = typeof addr === 'object' && addr !== null ? addr.port : port
  return `http://${host.includes(':') ? `[${host}]` : host}:${realPort}`
}
