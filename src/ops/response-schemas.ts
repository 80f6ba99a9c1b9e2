/**
 * JSON schemas of admin API responses. They document the API (OpenAPI components, by `$id`)
 * and tests check real responses against them; they do not filter what is sent.
 */

const str = { type: 'string' } as const
const int = { type: 'integer' } as const
const bool = { type: 'boolean' } as const
const nullable = <T extends { type: string }>(s: T): Omit<T, 'type'> & { type: [T['type'], 'null'] } => ({ ...s, type: [s.type, 'null'] })
const strs = { type: 'array', items: str } as const
const counts = { type: 'object', additionalProperties: int } as const

export const hashfedErrorSchema = {
  $id: 'HashfedError',
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: {
        code: { type: 'string', pattern: '^HF_[A-Z_]+$', description: 'stable: switch on this, not on the message' },
        message: str,
        details: { type: 'object', additionalProperties: true }
      }
    }
  }
} as const

export const memberSchema = {
  $id: 'Member',
  type: 'object',
  required: ['name', 'peerId', 'countries', 'addresses'],
  properties: { name: str, peerId: str, countries: strs, addresses: strs, mirrorOf: str }
} as const

export const memberStatusSchema = {
  $id: 'MemberStatus',
  type: 'object',
  required: ['name', 'peerId', 'countries', 'self', 'connected', 'address', 'rttMs', 'connectedSince', 'lastError', 'reason', 'lastSyncAt', 'behind', 'rejected', 'rejectedReports', 'outbox'],
  properties: {
    name: str,
    peerId: str,
    countries: strs,
    mirrorOf: str,
    self: { ...bool, description: 'this row is the node itself' },
    connected: bool,
    address: nullable(str),
    rttMs: { ...nullable(int), description: 'last ping round-trip time, ms' },
    connectedSince: nullable({ type: 'string', format: 'date-time' }),
    lastError: nullable(str),
    reason: { ...nullable(str), description: 'why it is not connected, in plain words ("they refuse our key", "wrong peer ID: expected …, got …", "unreachable: …")' },
    lastSyncAt: { ...nullable({ type: 'string', format: 'date-time' }), description: 'last completed sync session with this peer' },
    behind: {
      type: 'array',
      description: 'per origin, how far we are behind the heads this peer announced',
      items: { type: 'object', required: ['origin', 'name', 'batches', 'entries'], properties: { origin: str, name: str, batches: int, entries: int } }
    },
    rejected: { ...int, description: 'batches and messages from this peer that failed verification, since start' },
    rejectedReports: { ...int, description: 'of `rejected`, report protocol messages' },
    outbox: { ...int, description: 'report messages waiting for this peer\'s receipt' }
  }
} as const

export const reportCountsSchema = {
  $id: 'ReportCounts',
  type: 'object',
  required: ['total', 'inbound', 'outbound', 'unroutable', 'byStatus'],
  properties: { total: int, inbound: int, outbound: int, unroutable: int, byStatus: counts, byDirection: { type: 'object', description: 'byStatus per direction', additionalProperties: counts } }
} as const

export const nodeStatusSchema = {
  $id: 'NodeStatus',
  type: 'object',
  required: ['running', 'name', 'peerId', 'countries', 'listen', 'adminUrl', 'federation', 'members', 'origins', 'forks', 'store', 'courier', 'rejected', 'refused', 'penalties', 'reports'],
  properties: {
    running: bool,
    name: str,
    peerId: str,
    countries: strs,
    mirrorOf: str,
    listen: strs,
    adminUrl: nullable(str),
    checkUrl: nullable(str),
    federation: str,
    members: { type: 'array', items: { $ref: 'MemberStatus#' } },
    origins: {
      type: 'array',
      items: { type: 'object', required: ['origin', 'name', 'headSeq', 'headHash', 'entries', 'retractions'], properties: { origin: str, name: str, headSeq: int, headHash: str, entries: int, retractions: int } }
    },
    forks: {
      type: 'array',
      items: { type: 'object', required: ['origin', 'name', 'seq', 'reportedBy', 'detectedAt'], properties: { origin: str, name: str, seq: int, reportedBy: nullable(str), detectedAt: str } }
    },
    revocations: {
      type: 'array',
      description: 'revocations applied here: an origin\'s recovery key took its batches from firstBadSeq out of the chain (the evidence)',
      items: {
        type: 'object',
        required: ['origin', 'name', 'firstBadSeq', 'revokedAt', 'evidence'],
        properties: { origin: str, name: str, firstBadSeq: int, revokedAt: str, evidence: { type: 'array', items: { type: 'object', required: ['seq', 'hash', 'entries'], properties: { seq: int, hash: str, entries: int } } } }
      }
    },
    store: { type: 'object', required: ['batches', 'hashes', 'reports', 'outbox'], properties: { batches: int, hashes: int, reports: int, outbox: int } },
    courier: {
      type: 'object',
      required: ['pending', 'setAside'],
      properties: {
        pending: { ...int, description: 'messages waiting for their target\'s receipt' },
        setAside: { ...int, description: 'outbox items or kept receipts that no longer decode: moved to the store\'s `aside` sublevel as evidence, not delivered' }
      }
    },
    rejected: { type: 'object', required: ['total', 'byReason'], properties: { total: int, byReason: counts, recent: { type: 'array', description: 'the latest sync rejections: peer, name, origin, reason, message, at (ms)', items: { type: 'object' } } } },
    refused: {
      type: 'object',
      required: ['total', 'recent'],
      properties: {
        total: int,
        recent: { type: 'array', items: { type: 'object', properties: { peerId: str, direction: { type: 'string', enum: ['inbound', 'outbound'] }, remoteAddr: str, at: int } } }
      }
    },
    penalties: {
      type: 'object',
      description: 'members cut off for repeated offences (failed verification, protocol breaches): refused until `until`',
      required: ['offences', 'byReason', 'cutOffs', 'refused', 'cutOff'],
      properties: {
        offences: { ...int, description: 'offences counted since start' },
        byReason: counts,
        cutOffs: { ...int, description: 'cut-offs since start' },
        refused: { ...int, description: 'connections refused because the peer was cut off, since start' },
        cutOff: {
          type: 'array',
          items: { type: 'object', required: ['peer', 'name', 'reason', 'offences', 'since', 'until'], properties: { peer: str, name: str, reason: str, offences: int, since: str, until: str } }
        }
      }
    },
    reports: { $ref: 'ReportCounts#' }
  }
} as const

export const reportViewSchema = {
  $id: 'ReportView',
  type: 'object',
  required: ['id', 'direction', 'local', 'status', 'url', 'country', 'countrySource', 'origin', 'originPeerId', 'target', 'createdAt', 'timeline'],
  properties: {
    id: { type: 'string', format: 'uuid' },
    direction: { type: 'string', enum: ['inbound', 'outbound'] },
    local: bool,
    status: str,
    url: str,
    ip: nullable(str),
    country: str,
    countrySource: str,
    hoster: nullable(str),
    asn: nullable(int),
    classification: nullable(str),
    media: nullable(str),
    hashes: strs,
    note: nullable(str),
    origin: str,
    originPeerId: str,
    target: nullable(str),
    targetPeerId: nullable(str),
    createdAt: str,
    receivedAt: nullable(str),
    updatedAt: nullable(str),
    removedAt: nullable(str),
    timeToRemovalMs: nullable(int),
    timeline: {
      type: 'array',
      items: {
        type: 'object',
        required: ['status', 'at', 'author', 'seq'],
        properties: { status: nullable(str), note: nullable(str), at: str, author: str, authorPeerId: str, seq: int }
      }
    }
  }
} as const

export const auditRecordSchema = {
  $id: 'AuditRecord',
  type: 'object',
  required: ['at', 'action', 'actor', 'via', 'details'],
  properties: {
    at: { type: 'string', format: 'date-time' },
    action: { ...str, description: 'e.g. hashes.import, hashes.retract, reports.submit, reports.update, federation.add, api.token.set' },
    actor: { ...str, description: 'OS user name the CLI sent, or unknown' },
    via: { ...str, description: 'cli, api, or token:<name>' },
    auth: { ...str, description: 'how the change was let in: token, loopback-no-token (admin API) or node-folder (offline CLI)' },
    address: { ...str, description: 'the admin API client\'s IP address' },
    details: { type: 'object', additionalProperties: true }
  }
} as const

/** Registered with `app.addSchema`: referenced as `{ $ref: '<$id>#' }`, listed as OpenAPI components. */
export const sharedSchemas = [hashfedErrorSchema, memberSchema, memberStatusSchema, reportCountsSchema, nodeStatusSchema, reportViewSchema, auditRecordSchema]

export const ref = (id: string): { $ref: string } => ({ $ref: `${id}#` })

export const okMembersSchema = { type: 'object', required: ['ok', 'members'], properties: { ok: bool, members: int } } as const
