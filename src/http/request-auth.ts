import type { FastifyRequest } from 'fastify'

/**
 * How an admin API request was let in, as the server saw it: `token` (the bearer token
 * matched) or `loopback-no-token` (a loopback API with no token configured). Public routes
 * (the dashboard's files) carry no data and are let in without either (`public`).
 */
export type AuthMethod = 'token' | 'loopback-no-token' | 'public'

const methods = new WeakMap<FastifyRequest, AuthMethod>()

export function setAuthMethod (req: FastifyRequest, method: AuthMethod): void {
  methods.set(req, method)
}

/** The method `setAuthMethod` recorded, or undefined for a request that passed no auth check. */
export function authMethodOf (req: FastifyRequest): AuthMethod | undefined {
  return methods.get(req)
}
