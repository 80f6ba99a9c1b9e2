import { hfError, ErrorCodes } from '../errors.js'
import type { Member } from '../config/federation.js'
import { auditLogOf } from '../audit/audit-log.js'
import { defineOp, field, type Zod } from './operation.js'
import { okMembersSchema, ref } from './response-schemas.js'

const noInput = (z: Zod) => z.strictObject({})
const MAX_WAIT_MS = 60_000

export const statusOp = defineOp({
  name: 'status',
  summary: 'the node: identity, members, origins, forks, store counts, reports',
  authority: 'read',
  http: { method: 'GET', path: '/v1/status' },
  input: noInput,
  output: ref('NodeStatus'),
  run: async (c) => await c.status()
})

export const peersOp = defineOp({
  name: 'peers',
  summary: 'the other members: link, round-trip time, sync lag per origin, rejected messages, outbox depth',
  authority: 'read',
  http: { method: 'GET', path: '/v1/peers' },
  input: noInput,
  output: { type: 'object', required: ['peers'], properties: { peers: { type: 'array', items: ref('MemberStatus') } } },
  run: async (c) => ({ peers: await c.peers() })
})

export const federationListOp = defineOp({
  name: 'federation.list',
  summary: 'the federation\'s name and members',
  authority: 'read',
  http: { method: 'GET', path: '/v1/federation' },
  input: noInput,
  output: { type: 'object', required: ['name', 'members'], properties: { name: { type: 'string' }, members: { type: 'array', items: ref('Member') } } },
  run: async (c) => ({ name: c.ctx.federation.name, members: c.ctx.federation.members })
})

const memberInput = (z: Zod) => z.strictObject({
  name: z.string().min(1).max(64),
  peerId: z.string(),
  countries: z.array(z.string()).optional(),
  addresses: z.array(z.string()).optional(),
  mirrorOf: z.string().optional(),
  recoveryKey: z.string().optional()
})

export const federationAddOp = defineOp({
  name: 'federation.add',
  summary: 'add or replace a member (applied at once)',
  authority: 'change',
  http: { method: 'POST', path: '/v1/federation/members' },
  input: memberInput,
  output: okMembersSchema,
  run: async (c, member) => {
    await c.addMember(member as Member)
    return { ok: true, members: c.ctx.federation.members.length }
  },
  audit: (m) => ({ action: 'federation.add', details: { name: m.name, peerId: m.peerId, countries: m.countries ?? [], addresses: m.addresses ?? [], mirrorOf: m.mirrorOf } })
})

export const federationReloadOp = defineOp({
  name: 'federation.reload',
  summary: 're-read the federation file',
  authority: 'change',
  http: { method: 'POST', path: '/v1/federation/reload' },
  input: noInput,
  output: okMembersSchema,
  run: async (c) => ({ ok: await c.reloadFederationFile(), members: c.ctx.federation.members.length }),
  // a stopped node reads the file when it starts: nothing happened to record
  audit: (_i, out, c) => out.ok ? { action: 'federation.reload', details: { members: c.ctx.federation.members.map(m => m.name) } } : null
})

export const auditListOp = defineOp({
  name: 'audit.list',
  summary: 'operator actions, oldest first (read only)',
  authority: 'read',
  http: { method: 'GET', path: '/v1/audit' },
  input: (z) => z.strictObject({
    since: z.string().max(64).optional().meta({ description: 'a date (2025-01-31) or a period back from now (30d, 12h, 2w)' }),
    limit: field.integer(z, 1, 100_000).optional().meta({ description: 'the newest this many records (default 1000)' })
  }),
  output: { type: 'object', required: ['records'], properties: { records: { type: 'array', items: ref('AuditRecord') } } },
  run: async (c, q) => {
    // loaded here: a CLI command that only sends this to a running node never needs the reports code
    const { parseSince } = await import('../reports/report-service.js')
    return { records: await auditLogOf(c.ctx.store).list({ sinceMs: q.since !== undefined ? parseSince(q.since, Date.now()) : undefined, limit: q.limit }) }
  }
})

/**
 * Rotates the admin token without a restart: the new token is in the answer once and in
 * config.json (0600), where the CLI reads it.
 */
export const adminTokenOp = defineOp({
  name: 'admin.token',
  summary: 'generate or remove the admin API token (applies at once)',
  authority: 'change',
  http: { method: 'POST', path: '/v1/admin/token' },
  input: (z) => z.strictObject({ action: z.enum(['generate', 'clear']).meta({ description: 'generate a new token (the old one stops working at once) or remove it (loopback only)' }) }),
  output: { type: 'object', required: ['token', 'host'], properties: { token: { type: ['string', 'null'] }, host: { type: 'string' } } },
  run: async (c, { action }) => {
    const { changeApiAccess, generateApiToken } = await import('../config/api-token.js')
    const token = action === 'generate' ? generateApiToken() : null
    const res = await changeApiAccess(c.ctx.dir, { token })
    // a running node asks for its token per request: this switches at once
    if (token === null) delete c.ctx.config.api.token
    else c.ctx.config.api.token = token
    if (c.running) c.logger.info({ action }, 'admin API token changed')
    return { token, host: res.host }
  },
  audit: (_i, out) => ({ action: out.token !== null ? 'api.token.set' : 'api.token.clear', details: { host: out.host } })
})

/** Answers once this node holds batch `seq` of `origin` (or at the timeout): scripts wait for replication without polling. */
export const syncWaitOp = defineOp({
  name: 'sync.wait',
  summary: 'wait until this node holds an origin\'s batch',
  authority: 'read',
  http: { method: 'GET', path: '/v1/sync/wait' },
  input: (z) => z.strictObject({
    origin: z.string().meta({ description: 'member name or peer ID' }),
    seq: field.integer(z, 1, Number.MAX_SAFE_INTEGER),
    timeoutMs: field.integer(z, 0, MAX_WAIT_MS).default(10_000)
  }),
  output: { type: 'object', required: ['reached', 'seq'], properties: { reached: { type: 'boolean' }, seq: { type: 'integer' } } },
  run: async (c, q) => {
    const fed = c.ctx.federation
    const origin = fed.byMemberName(q.origin)?.peerId ?? fed.byPeerId(q.origin)?.peerId
    if (origin === undefined) throw hfError(ErrorCodes.NOT_FOUND, `no member "${q.origin}" in the federation`)
    const hashLog = await c.hashLog()
    const held = (): number => hashLog.head(origin)?.seq ?? 0
    if (held() >= q.seq) return { reached: true, seq: held() }
    return await new Promise<{ reached: boolean, seq: number }>((resolve) => {
      const done = (): void => {
        clearTimeout(timer)
        hashLog.off('batch', onBatch)
        resolve({ reached: held() >= q.seq, seq: held() })
      }
      const onBatch = (e: { origin: string, seq: number }): void => { if (e.origin === origin && e.seq >= q.seq) done() }
      const timer = setTimeout(done, q.timeoutMs)
      hashLog.on('batch', onBatch)
    })
  }
})

/**
 * Removes a member: out of the federation file, its connection closed, refused from now on.
 * The hash list it published that this node holds is kept as it is (the rule for removed
 * members' lists belongs to the key lifecycle; README "Removing a member").
 */
export const federationRemoveOp = defineOp({
  name: 'federation.remove',
  summary: 'remove a member (applied at once); the list it published is kept',
  authority: 'change',
  http: { method: 'POST', path: '/v1/federation/members/remove' },
  input: (z) => z.strictObject({ member: z.string().min(1).max(128).meta({ description: 'member name or peer ID' }) }),
  output: { type: 'object', required: ['removed', 'peerId', 'members', 'applied'], properties: { removed: { type: 'string' }, peerId: { type: 'string' }, members: { type: 'integer' }, applied: { type: 'boolean' } } },
  run: async (c, { member }) => {
    const { removed, members } = await c.removeMember(member)
    return { removed: removed.name, peerId: removed.peerId, members, applied: c.running }
  },
  audit: (_i, out) => ({ action: 'federation.remove', details: { name: out.removed, peerId: out.peerId } })
})
