import type { IncomingHttpHeaders } from 'node:http'

/**
 * The check token of a request: `Authorization: Bearer <token>`, or the configured header
 * (`check.hma.tokenHeader`, lower case) that HMA deployments' proxies often carry, holding the
 * token bare or as `Bearer <token>`. Empty when neither is there.
 */
export function tokenOf (headers: IncomingHttpHeaders, tokenHeader: string | undefined): string {
  const auth = headers.authorization
  if (auth !== undefined && auth.startsWith('Bearer ')) return auth.slice(7).trim()
  if (tokenHeader === undefined) return ''
  const v = headers[tokenHeader]
  if (typeof v !== 'string') return ''
  return v.startsWith('Bearer ') ? v.slice(7).trim() : v.trim()
}
