import type { NodeContext } from './node-context.js'
import type { HashfedNode, RefusedPeer } from './hashfed-node.js'
import { openHashLog, type HashLog } from '../log/hash-log.js'
import { pino } from 'pino'
import { createReportService, type ReportCounts } from '../reports/report-service.js'
import { collectMembers } from './peer-status.js'

/** sync rejections listed by status (the counters count all) */
const RECENT_SYNC_REJECTIONS = 20

export interface OriginLag {
  origin: string
  name: string
  batches: number
  entries: number
}

export interface MemberStatus {
  name: string
  peerId: string
  countries: string[]
  mirrorOf?: string
  self: boolean
  connected: boolean
  address: string | null
  rttMs: number | null
  connectedSince: string | null
  lastError: string | null
  /** last sync session with this peer that completed */
  lastSyncAt: string | null
  /** per origin, how far we are behind the heads this peer announced */
  behind: OriginLag[]
  /** batches and messages from this peer that failed verification */
  rejected: number
  /** of `rejected`, report-protocol messages (reports, status updates, feedback) */
  rejectedReports: number
  /** messages in our reports outbox waiting for this peer's receipt */
  outbox: number
}

export interface OriginStatus {
  origin: string
  name: string
  headSeq: number
  headHash: string
  entries: number
  retractions: number
}

export interface ForkAlarm {
  origin: string
  name: string
  seq: number
  reportedBy: string | null
  detectedAt: string
}

export interface PenaltyStatus {
  offences: number
  byReason: Record<string, number>
  cutOffs: number
  refused: number
  /** cut off now: refused until `until` */
  cutOff: Array<{ peer: string, name: string, reason: string, offences: number, since: string, until: string }>
}

export interface NodeStatus {
  running: boolean
  name: string
  peerId: string
  countries: string[]
  mirrorOf?: string
  listen: string[]
  adminUrl: string | null
  federation: string
  members: MemberStatus[]
  origins: OriginStatus[]
  forks: ForkAlarm[]
  store: { batches: number, hashes: number, reports: number, outbox: number }
  /** messages waiting for a receipt; damaged outbox/seen rows the courier kept aside */
  courier: { pending: number, setAside: number }
  /** sync batches that failed verification; `recent`: the latest few (dashboard), oldest first */
  rejected: { total: number, byReason: Record<string, number>, recent?: Array<{ peer: string, name: string, origin: string | null, reason: string, message: string, at: number }> }
  refused: { total: number, recent: RefusedPeer[] }
  /** members cut off for repeated offences, and the offences counted */
  penalties: PenaltyStatus
  /** reports held, by direction and status */
  reports: ReportCounts
}

/** The node summary shown by `hashfed status` and GET /v1/status (offline: from the store alone). */
export async function collectStatus (ctx: NodeContext, opts: { running: boolean, node?: HashfedNode }): Promise<NodeStatus> {
  const node = opts.node
  const log: HashLog = node?.hashLog ?? await openHashLog({ store: ctx.store })
  try {
    const self = ctx.identity.peerId.toString()
    const fed = ctx.federation
    const origins = log.listOrigins().map(o => ({
      origin: o.origin, name: fed.nameOf(o.origin), headSeq: o.headSeq, headHash: Buffer.from(o.headHash).toString('hex'), entries: o.entries, retractions: o.retractions
    }))
    const forks = (await log.forks()).map(f => ({
      origin: f.origin, name: fed.nameOf(f.origin), seq: f.seq, reportedBy: f.reportedBy ?? null, detectedAt: new Date(f.detectedMs).toISOString()
    }))
    const rejectedByReason = Object.fromEntries(node?.replicator.rejectedByReason ?? [])
    // one pass over the reports (the dashboard asks every 2 s); a running node knows its outbox depth
    const reports = await (node?.reports ?? createReportService({ ctx, logger: pino({ level: 'silent' }) })).reportCounts()
    const outbox = node !== undefined ? node.reports.outboxDepth() : await ctx.store.count('outbox')
    const setAside = node !== undefined ? node.reports.courier.status().setAside : await ctx.store.count('aside')
    return {
      running: opts.running,
      name: ctx.config.name,
      peerId: self,
      countries: ctx.config.countries,
      ...(ctx.config.mirrorOf !== undefined ? { mirrorOf: ctx.config.mirrorOf } : {}),
      listen: node?.listenAddresses() ?? ctx.config.listen,
      adminUrl: node?.adminUrl ?? null,
      federation: fed.name,
      members: await collectMembers(ctx, node),
      origins,
      forks,
      store: {
        batches: origins.reduce((n, o) => n + o.headSeq, 0),
        hashes: origins.reduce((n, o) => n + o.entries, 0),
        reports: reports.total,
        outbox
      },
      courier: { pending: outbox, setAside },
      rejected: {
        total: Object.values(rejectedByReason).reduce((a, b) => a + b, 0),
        byReason: rejectedByReason,
        recent: (node?.replicator.recentRejections ?? []).slice(-RECENT_SYNC_REJECTIONS).map(r => ({ ...r, name: fed.nameOf(r.peer) }))
      },
      refused: { total: node?.refusedTotal ?? 0, recent: node?.refused ?? [] },
      penalties: {
        offences: node?.penalties.offencesTotal ?? 0,
        byReason: Object.fromEntries(node?.penalties.offencesByReason ?? []),
        cutOffs: node?.penalties.cutOffsTotal ?? 0,
        refused: node?.penalties.refusedTotal ?? 0,
        cutOff: (node?.penalties.list() ?? []).map(c => ({ ...c, name: fed.nameOf(c.peer), since: new Date(c.since).toISOString(), until: new Date(c.until).toISOString() }))
      },
      reports
    }
  } finally {
    if (node === undefined) await log.close()
  }
}
