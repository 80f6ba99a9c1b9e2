import { createHash, randomBytes } from 'node:crypto'
import { hfError, ErrorCodes } from '../errors.js'
import type { Store } from '../store/store.js'
import { TOKEN_NAME, TOKEN_PREFIX } from './constants.js'

/** A check API token as listed: never the token itself, which is shown once at creation. */
export interface TokenInfo {
  name: string
  /** first characters of the token, to tell tokens apart */
  prefix: string
  createdAt: string
  revokedAt: string | null
}

interface TokenRecord {
  name: string
  prefix: string
  createdMs: number
  revokedMs?: number
}

/** Valid tokens remembered; only tokens that verified get in, so guessing cannot grow it. */
const VERIFIED_CACHE = 10_000

const TOKEN_FORMAT = new RegExp(`^${TOKEN_PREFIX}[A-Za-z0-9_-]{43}$`)

const digestHex = (token: string): string => createHash('sha256').update(token).digest('hex')

/**
 * Check API bearer tokens, one per hoster, in the `tokens` sublevel keyed by the SHA-256 of
 * the token: a copy of the store does not give anyone a working token. Every record is also
 * held in memory, so verifying a request costs one hash and one map lookup.
 */
/** A token's requests since the node started (kept in memory: counting must not write per request). */
export interface TokenUsage {
  name: string
  prefix: string
  requests: number
  lastUsedAt: string | null
}

export class TokenStore {
  private readonly byDigest = new Map<string, TokenRecord>()
  /** per token prefix: requests that carried the valid token since start */
  private readonly uses = new Map<string, { requests: number, lastMs: number }>()
  /** valid tokens seen, so a request costs a map lookup instead of a SHA-256; emptied on revoke */
  private readonly verified = new Map<string, TokenRecord>()

  private constructor (private readonly store: Store) {}

  static async open (store: Store): Promise<TokenStore> {
    const tokens = new TokenStore(store)
    for await (const [digest, raw] of store.sub.tokens.iterator()) {
      try {
        tokens.byDigest.set(digest, JSON.parse(Buffer.from(raw).toString('utf8')) as TokenRecord)
      } catch {} // an unreadable row grants nothing
    }
    return tokens
  }

  /**
   * Creates a token for hoster `name`; the returned token is not stored and cannot be shown
   * again. `token` registers a given one instead (the same token on every mirror behind one
   * load balancer).
   */
  async create (name: string, opts: { token?: string, now?: number } = {}): Promise<{ token: string, info: TokenInfo }> {
    if (typeof name !== 'string' || !TOKEN_NAME.test(name)) {
      throw hfError(ErrorCodes.INVALID_ARGUMENT, 'name: 1-64 letters, digits, ".", "_" or "-", starting with a letter or digit (a hoster, never a person)', { field: 'name' })
    }
    if (this.active(name) !== undefined) throw hfError(ErrorCodes.INVALID_ARGUMENT, `a token named "${name}" exists; revoke it first (hashfed tokens revoke ${name})`, { field: 'name' })
    if (opts.token !== undefined && !TOKEN_FORMAT.test(opts.token)) throw hfError(ErrorCodes.INVALID_ARGUMENT, `token: not a check token (${TOKEN_PREFIX} and 43 more characters, as \`hashfed tokens create\` prints)`, { field: 'token' })
    const token = opts.token ?? TOKEN_PREFIX + randomBytes(32).toString('base64url')
    const digest = digestHex(token)
    if (this.byDigest.has(digest)) throw hfError(ErrorCodes.INVALID_ARGUMENT, 'this token is already registered here (perhaps revoked): create a new one', { field: 'token' })
    const record: TokenRecord = { name, prefix: token.slice(0, TOKEN_PREFIX.length + 6), createdMs: opts.now ?? Date.now() }
    await this.store.sub.tokens.put(digest, encode(record))
    this.byDigest.set(digest, record)
    return { token, info: toInfo(record) }
  }

  /** Revokes the active token of `name`: requests with it get 401 at once. */
  async revoke (name: string, now = Date.now()): Promise<TokenInfo> {
    const found = this.active(name)
    if (found === undefined) throw hfError(ErrorCodes.NOT_FOUND, `no active token named "${name}"`, { name })
    const [digest, record] = found
    const revoked: TokenRecord = { ...record, revokedMs: now }
    await this.store.sub.tokens.put(digest, encode(revoked))
    this.byDigest.set(digest, revoked)
    this.verified.clear()
    return toInfo(revoked)
  }

  list (): TokenInfo[] {
    return [...this.byDigest.values()].sort((a, b) => a.createdMs - b.createdMs || a.name.localeCompare(b.name)).map(toInfo)
  }

  /** The hoster name of a valid token; null for an unknown or revoked one. */
  verify (token: string): string | null {
    const known = this.verified.get(token)
    if (known !== undefined) return this.used(known)
    const record = this.byDigest.get(digestHex(token))
    if (record === undefined || record.revokedMs !== undefined) return null
    if (this.verified.size >= VERIFIED_CACHE) this.verified.clear()
    this.verified.set(token, record)
    return this.used(record)
  }

  /** Every token with its requests since the node started (zero offline). */
  usage (): TokenUsage[] {
    return this.list().map(t => {
      const u = this.uses.get(t.prefix)
      return { name: t.name, prefix: t.prefix, requests: u?.requests ?? 0, lastUsedAt: u !== undefined ? new Date(u.lastMs).toISOString() : null }
    })
  }

  private used (record: TokenRecord): string {
    const u = this.uses.get(record.prefix)
    if (u === undefined) this.uses.set(record.prefix, { requests: 1, lastMs: Date.now() })
    else { u.requests++; u.lastMs = Date.now() }
    return record.name
  }

  private active (name: string): [string, TokenRecord] | undefined {
    for (const entry of this.byDigest) if (entry[1].name === name && entry[1].revokedMs === undefined) return entry
    return undefined
  }
}

function encode (r: TokenRecord): Uint8Array {
  return Buffer.from(JSON.stringify(r), 'utf8')
}

function toInfo (r: TokenRecord): TokenInfo {
  return { name: r.name, prefix: r.prefix, createdAt: new Date(r.createdMs).toISOString(), revokedAt: r.revokedMs === undefined ? null : new Date(r.revokedMs).toISOString() }
}
