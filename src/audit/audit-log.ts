import { userInfo } from 'node:os'
import type { Store } from '../store/store.js'
import { hfError, ErrorCodes } from '../errors.js'
import { Lock } from '../util/lock.js'
import { auditKey, auditTimeKey, parseAuditKey } from '../store/layout.js'

/** Who did it: a person (OS user name sent by the CLI) and the way they came in. */
export interface AuditActor {
  /** OS user name, a token's name, or `unknown` when an API client names nobody */
  name: string
  /** `cli` (offline, on the node folder), `api` (loopback admin API), `token:<name>` (admin API with a token) */
  via: string
  /** how the change was let in: `token`, `loopback-no-token` (admin API) or `node-folder` (offline CLI, by file permissions) */
  auth?: string
  /** the admin API client's IP address, as its socket showed it */
  address?: string
}

/** One operator action. Never holds a reported URL or a token: `record` strips them. */
export interface AuditRecord {
  /** ISO 8601 */
  at: string
  /** dotted verb, e.g. `hashes.import`, `reports.update`, `federation.add`, `api.token.set` */
  action: string
  actor: string
  via: string
  /** see AuditActor.auth; absent in records written before it was kept */
  auth?: string
  /** see AuditActor.address; only for admin API changes */
  address?: string
  details: Record<string, unknown>
}

export interface AuditQuery {
  /** only records at or after this time (ms since the epoch) */
  sinceMs?: number
  /** the newest `limit` records (still returned oldest first); @default 1000 */
  limit?: number
}

export const DEFAULT_AUDIT_LIMIT = 1000
/** Actor names come from a client header: short and printable, or not at all. */
const ACTOR_NAME = /^[\p{L}\p{N}_.@+-]{1,64}$/u
const URL_LIKE = /[a-z][a-z0-9+.-]*:\/\/\S*/gi
/** keys whose values are never written, whatever a caller passes */
const SECRET_KEY = /(token|secret|password|authorization|url)s?$/i

/**
 * The append-only audit log in the store's `audit` sublevel (`<time: 16 hex>!<counter: 8 hex>`).
 * Keys only grow: a record never gets an earlier time than the last one, even after a clock
 * step back or a restart within the same millisecond, so the key order is the order of events.
 * There is deliberately no update or delete.
 */
export class AuditLog {
  private lastMs = -1
  private counter = 0
  private readonly lock = new Lock()
  private loaded = false

  constructor (private readonly store: Store, private readonly now: () => number = Date.now) {}

  /** Appends one record; returns it as stored. Writes are serialised so keys stay unique. */
  async record (action: string, details: Record<string, unknown>, actor: AuditActor): Promise<AuditRecord> {
    return await this.lock.run(async () => await this.append(action, details, actor))
  }

  private async append (action: string, details: Record<string, unknown>, actor: AuditActor): Promise<AuditRecord> {
    if (!this.loaded) await this.loadLast()
    let ms = this.now()
    if (ms <= this.lastMs) {
      ms = this.lastMs
      this.counter++
    } else {
      this.counter = 0
    }
    if (this.counter > 0xffff_ffff) throw hfError(ErrorCodes.INTERNAL, 'too many audit records in one millisecond')
    this.lastMs = ms
    const rec: AuditRecord = {
      at: new Date(ms).toISOString(),
      action,
      actor: actorName(actor.name),
      via: actorName(actor.via),
      ...(actor.auth !== undefined ? { auth: actorName(actor.auth) } : {}),
      ...(actor.address !== undefined ? { address: clientAddress(actor.address) } : {}),
      details: scrub(details)
    }
    await this.store.sub.audit.put(auditKey(ms, this.counter), Buffer.from(JSON.stringify(rec), 'utf8'))
    return rec
  }

  private async loadLast (): Promise<void> {
    for await (const key of this.store.sub.audit.keys({ reverse: true, limit: 1 })) {
      const { ms, counter } = parseAuditKey(key)
      this.lastMs = ms
      this.counter = counter
    }
    this.loaded = true
  }

  /** Records oldest first; see AuditQuery. */
  async list (query: AuditQuery = {}): Promise<AuditRecord[]> {
    const limit = query.limit ?? DEFAULT_AUDIT_LIMIT
    const range = query.sinceMs !== undefined ? { gte: auditTimeKey(query.sinceMs) } : {}
    const out: AuditRecord[] = []
    for await (const [key, raw] of this.store.sub.audit.iterator({ ...range, reverse: true, limit })) {
      try {
        out.push(JSON.parse(Buffer.from(raw).toString('utf8')) as AuditRecord)
      } catch {
        out.push({ at: new Date(parseAuditKey(key).ms).toISOString(), action: 'unreadable', actor: 'unknown', via: 'unknown', details: { key } })
      }
    }
    return out.reverse()
  }
}

const logs = new WeakMap<Store, AuditLog>()

/** The one audit writer of a store (two writers could give two records the same key). */
export function auditLogOf (store: Store): AuditLog {
  let log = logs.get(store)
  if (log === undefined) {
    log = new AuditLog(store)
    logs.set(store, log)
  }
  return log
}

/** The person running this CLI process, acting on the node folder directly. */
export function cliActor (): AuditActor {
  return { name: osUserName(), via: 'cli', auth: 'node-folder' }
}

/** `os.userInfo()` throws when the uid has no passwd entry (some containers). */
export function osUserName (): string {
  try {
    return userInfo().username
  } catch {
    return process.env.USER ?? process.env.LOGNAME ?? `uid-${process.getuid?.() ?? 'unknown'}`
  }
}

/** A client-given name, or `unknown` when it is missing or not a plain short name. */
export function actorName (name: string | undefined): string {
  if (name === undefined || name === '') return 'unknown'
  return ACTOR_NAME.test(name) || /^token:[\p{L}\p{N}_.@+-]{1,64}$/u.test(name) ? name : 'invalid'
}

/** An IP address as a socket reports it (v4, v6, v4-mapped v6); anything else is kept as `invalid`. */
function clientAddress (address: string): string {
  return /^[0-9a-f:.]{2,45}$/i.test(address) ? address : 'invalid'
}

/** Drops secret-looking keys and blanks anything URL-shaped, at any depth. */
function scrub (value: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(value)) {
    if (v === undefined || SECRET_KEY.test(k)) continue
    out[k] = scrubValue(v)
  }
  return out
}

function scrubValue (v: unknown): unknown {
  if (typeof v === 'string') return v.replace(URL_LIKE, '[url]')
  if (Array.isArray(v)) return v.map(scrubValue)
  if (v !== null && typeof v === 'object') return scrub(v as Record<string, unknown>)
  return v
}
