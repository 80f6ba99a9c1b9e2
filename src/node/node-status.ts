import type { NodeContext } from '../context/node-context.js'
import type { NodeComponents } from './node-components.js'
import type { RefusedPeer } from '../net/connection-refusals.js'
import { openHashLog, type HashLog } from '../log/hash-log.js'
import { pino } from 'pino'
import { createReportService, type ReportCounts } from '../reports/report-service.js'
import type { HeldHash } from './node-snapshot.js'
import { memberRows, snapshotOf, type MemberStatus } from './peer-status.js'
import { decodeRevocation } from '../log/revocation.js'
import { parsePeerId, peerIdToBytes } from '../identity/identity.js'

/** sync rejections listed by status (the counters count all) */
const RECENT_SYNC_REJECTIONS = 20

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

/** An origin's recovery key revoked its batches from `firstBadSeq`: the batches taken out are the evidence. */
export interface RevocationAlarm {
  origin: string
  name: string
  firstBadSeq: number
  revokedAt: string
  /** batches taken out of the chain and kept (seq, batch hash hex, entries) */
  evidence: Array<{ seq: number, hash: string, entries: number }>
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
  /** the hash check API hosters call (null: the node is not running) */
  checkUrl: string | null
  federation: string
  members: MemberStatus[]
  origins: OriginStatus[]
  forks: ForkAlarm[]
  /** revocations applied here (key lifecycle): an alarm each */
  revocations: RevocationAlarm[]
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
  /** quarantine alarm: hashes held on this node (checks answer held: true for them) */
  held: HeldHash[]
}

/** The node summary shown by `hashfed status` and GET /v1/status (offline: from the store alone). */
export async function collectStatus (ctx: NodeContext, opts: { running: boolean, node?: NodeComponents, adminUrl?: string, checkUrl?: string }): Promise<NodeStatus> {
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
    const revoked = await log.revokedBatches()
    const revocations = fed.members.flatMap(m => log.keyHistory(m.peerId, peerIdToBytes(parsePeerId(m.peerId))).revocations.map(s => {
      const r = decodeRevocation(s)
      return {
        origin: m.peerId,
        name: m.name,
        firstBadSeq: r.firstBadSeq,
        revokedAt: new Date(r.createdMs).toISOString(),
        evidence: revoked.filter(b => b.origin === m.peerId && b.seq >= r.firstBadSeq).map(b => ({ seq: b.seq, hash: Buffer.from(b.hash).toString('hex'), entries: b.entries }))
      }
    }))
    const snap = await snapshotOf(ctx, node)
    // one pass over the reports (the dashboard asks every 2 s)
    const reports = await (node?.reports ?? createReportService({ ctx, logger: pino({ level: 'silent' }) })).reportCounts()
    return {
      running: opts.running,
      name: ctx.config.name,
      peerId: self,
      countries: ctx.config.countries,
      ...(ctx.config.mirrorOf !== undefined ? { mirrorOf: ctx.config.mirrorOf } : {}),
      listen: node?.listenAddresses() ?? ctx.config.listen,
      adminUrl: opts.adminUrl ?? null,
      checkUrl: opts.checkUrl ?? null,
      federation: fed.name,
      members: memberRows(ctx, snap),
      origins,
      forks,
      revocations,
      store: {
        batches: origins.reduce((n, o) => n + o.headSeq, 0),
        hashes: origins.reduce((n, o) => n + o.entries, 0),
        reports: reports.total,
        outbox: snap.outbox
      },
      courier: { pending: snap.outbox, setAside: snap.setAside },
      held: snap.held,
      rejected: {
        total: snap.sync.total,
        byReason: snap.sync.byReason,
        recent: snap.sync.recent.slice(-RECENT_SYNC_REJECTIONS).map(r => ({ peer: r.peer, origin: r.origin, reason: r.reason, message: r.message, at: r.at, name: fed.nameOf(r.peer) }))
      },
      refused: snap.refused,
      penalties: {
        ...snap.penalties,
        cutOff: snap.penalties.cutOff.map(c => ({ ...c, name: fed.nameOf(c.peer), since: new Date(c.since).toISOString(), until: new Date(c.until).toISOString() }))
      },
      reports
    }
  } finally {
    if (node === undefined) await log.close()
  }
}
