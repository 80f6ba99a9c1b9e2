import type { AddressInfo } from 'node:net'
import { hostname, networkInterfaces } from 'node:os'
import type { FastifyRequest } from 'fastify'
import { hfError, ErrorCodes } from '../errors.js'
import { isLoopback } from '../util/loopback.js'
import { NON_SIMPLE_TYPES, REQUEST_HEADER } from './constants.js'

export interface WebGuardInit {
  /** `api.host` as configured (a name or an address) */
  host: string
  /** `api.allowedHosts`; asked per request so a config reload needs no new guard */
  allowedHosts?: () => readonly string[] | undefined
}

/** The names under which the loopback is always the loopback: no DNS answer can point them elsewhere. */
const LOOPBACK_NAMES = ['127.0.0.1', 'localhost', '[::1]']
const WILDCARD = new Set(['0.0.0.0', '::', '[::]'])
const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])
/** `name` or `name:port`, the name an IPv6 literal in brackets */
const HOST_HEADER = /^(\[[0-9a-f:.]+\]|[a-z0-9._-]+)(?::(\d{1,5}))?$/
/** a browser sends `none` when the user typed the address, `same-origin` for the page's own calls */
const OWN_FETCH_SITES = new Set(['same-origin', 'none'])

interface HostName { name: string, port: number | null }

/** `Host`-style `name[:port]`, lower-cased, an IPv6 literal bracketed; null when it is not one. */
export function parseHost (value: string): HostName | null {
  const m = HOST_HEADER.exec(value.trim().toLowerCase())
  if (m === null) return null
  const port = m[2] !== undefined ? Number(m[2]) : null
  if (port !== null && port > 65535) return null
  return { name: m[1], port }
}

/** An address or name as it appears in a `Host` header (IPv6 in brackets). */
function hostForm (address: string): string {
  const a = address.toLowerCase()
  return a.includes(':') && !a.startsWith('[') ? `[${a}]` : a
}

/**
 * The host names the admin API answers to, for the address it is bound to: its configured
 * host, the bound address, the loopback names when it listens on the loopback, and every
 * address of this machine (and its host name) when it listens on all of them. A web page
 * cannot make a browser send any of these for its own site, which is what defeats DNS
 * rebinding: the page's name may resolve to 127.0.0.1, but its requests still say its name.
 */
export function ownHostNames (configured: string, bound: string): Set<string> {
  const names = new Set([hostForm(configured), hostForm(bound)])
  if (isLoopback(configured) || isLoopback(bound)) for (const n of LOOPBACK_NAMES) names.add(n)
  if (WILDCARD.has(hostForm(bound)) || WILDCARD.has(hostForm(configured))) {
    for (const n of LOOPBACK_NAMES) names.add(n)
    for (const list of Object.values(networkInterfaces())) {
      for (const i of list ?? []) if (i.scopeid === undefined || i.scopeid === 0) names.add(hostForm(i.address))
    }
    names.add(hostname().toLowerCase())
  }
  // `0.0.0.0`/`[::]` stay: the CLI reaches a wildcard listener under the address runtime.json names, and no page can have that origin
  return names
}

/**
 * Refuses what a web page in the operator's browser could send to the admin API:
 * - a `Host` that is not one of the API's own names at its real port (421, HF_WRONG_HOST):
 *   DNS rebinding, where an attacker's name resolves to this machine;
 * - an `Origin` other than the API's own, or `Sec-Fetch-Site` saying another site sent it
 *   (403, HF_CROSS_SITE);
 * - a state change (POST, PUT, PATCH, DELETE) that is a CORS "simple" request, i.e. one a
 *   page may send cross-site without asking: it needs a JSON or octet-stream body or the
 *   `X-Hashfed-Request` header (403, HF_CROSS_SITE). The API answers no preflight, so a
 *   browser never sends a non-simple request cross-site.
 * Runs before authentication, so a page learns nothing, not even whether a token is wanted.
 */
export function webGuard (init: WebGuardInit): (req: FastifyRequest) => void {
  let cached: { key: string, names: Set<string> } | null = null
  const names = (addr: AddressInfo): Set<string> => {
    const key = `${addr.address} ${addr.port}`
    if (cached?.key !== key) cached = { key, names: ownHostNames(init.host, addr.address) }
    return cached.names
  }
  return (req) => {
    const addr = req.server.server.address() as AddressInfo | null
    const host = parseHost(req.headers.host ?? '')
    if (addr === null || host === null || !hostAllowed(host, addr, names(addr), init)) {
      throw hfError(ErrorCodes.WRONG_HOST, 'this admin API answers only to its own host names; set api.allowedHosts for a name a proxy forwards', { host: req.headers.host ?? null })
    }
    const origin = req.headers.origin
    if (origin !== undefined && !sameOrigin(origin, req.headers.host as string)) {
      throw hfError(ErrorCodes.CROSS_SITE, 'requests from another site\'s web page are refused', { reason: 'origin' })
    }
    const isPublic = (req.routeOptions.config as { public?: boolean } | undefined)?.public === true
    const site = req.headers['sec-fetch-site']
    if (!isPublic && typeof site === 'string' && !OWN_FETCH_SITES.has(site.toLowerCase())) {
      throw hfError(ErrorCodes.CROSS_SITE, 'requests from another site\'s web page are refused', { reason: 'fetch-site' })
    }
    if (STATE_CHANGING.has(req.method) && !req.is404 && !nonSimple(req)) {
      throw hfError(ErrorCodes.CROSS_SITE, `a change needs a JSON body or the ${REQUEST_HEADER} header`, { reason: 'simple-request' })
    }
  }
}

function hostAllowed (host: HostName, addr: AddressInfo, own: Set<string>, init: WebGuardInit): boolean {
  // a browser leaves out the scheme's default port
  if ((host.port ?? 80) === addr.port && own.has(host.name)) return true
  for (const entry of init.allowedHosts?.() ?? []) {
    const allowed = parseHost(entry)
    if (allowed !== null && allowed.name === host.name && (allowed.port === null || allowed.port === host.port)) return true
  }
  // a wildcard listener's machine may have gained an address since it started
  return WILDCARD.has(hostForm(addr.address)) && (host.port ?? 80) === addr.port && ownHostNames(init.host, addr.address).has(host.name)
}

/** The page that sent the request was served by this API under the name the request was sent to. */
function sameOrigin (origin: string, host: string): boolean {
  try {
    const o = new URL(origin)
    return (o.protocol === 'http:' || o.protocol === 'https:') && o.host === new URL(`${o.protocol}//${host}`).host
  } catch {
    return false // `null` (a sandboxed frame, a file) and anything else unparseable
  }
}

/** A request no web page can send cross-site without a preflight. */
function nonSimple (req: FastifyRequest): boolean {
  if (req.headers[REQUEST_HEADER] !== undefined) return true
  const type = req.headers['content-type']
  if (type === undefined) return false
  return NON_SIMPLE_TYPES.includes(type.split(';')[0].trim().toLowerCase())
}
