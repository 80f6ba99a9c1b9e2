import type { FastifyRequest } from 'fastify'
import { actorName, type AuditActor } from '../audit/audit-log.js'
import { authMethodOf } from '../http/request-auth.js'

/** Header in which the CLI names the OS user it runs as (recorded in the audit log). */
export const ACTOR_HEADER = 'x-hashfed-actor'

/** The admin token has no name of its own in the config; records made with it say so. */
export const ADMIN_TOKEN_NAME = 'admin'

/**
 * Who made an admin API request, for the audit log. The header is the client's word; the
 * client's address and how it was let in (`auth`: the token, or a loopback API without one)
 * are what the server can vouch for.
 */
export function requestActor (req: FastifyRequest, tokenInUse: boolean): AuditActor {
  const header = req.headers[ACTOR_HEADER]
  const name = actorName(Array.isArray(header) ? header[0] : header)
  const auth = authMethodOf(req) ?? (tokenInUse ? 'token' : 'loopback-no-token')
  return { name, via: auth === 'token' ? `token:${ADMIN_TOKEN_NAME}` : 'api', auth, address: req.ip }
}

/** `requestActor` for a node's admin API: a token is in use when its config has one. */
export function nodeRequestActor (req: FastifyRequest, node: { ctx: { config: { api: { token?: string } } } }): AuditActor {
  return requestActor(req, node.ctx.config.api.token !== undefined)
}
