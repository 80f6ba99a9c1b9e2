import { pino } from 'pino'
import type { NodeContext } from '../context/node-context.js'
import type { Member } from '../config/federation.js'
import type { MemberLink } from '../net/member-connections.js'
import type { RefusedPeer } from '../net/connection-refusals.js'
import type { PeerSyncState, SyncRejection } from '../sync/replicator.js'
import type { Rejected } from '../observe/rejection-counter.js'
import type { SyncRejectReason } from '../sync/reject-reasons.js'
import type { CutOff, PeerPenalties } from '../net/peer-penalties.js'
import type { MemberConnections } from '../net/member-connections.js'
import type { ConnectionRefusals } from '../net/connection-refusals.js'
import type { Replicator } from '../sync/replicator.js'
import { createReportService, type ReportService } from '../reports/report-service.js'
import type { OffenceReason } from './offence-reasons.js'
import type { QuarantineService } from '../check/quarantine-service.js'

/** A hash held on this node: the quarantine alarm of status and the dashboard. */
export interface HeldHash { ref: string, kind: 'auto' | 'operator', since: string, hosters: number, matches: number, reason: string, confirmedBy?: string }

/** One member as the node sees it now. */
export interface MemberSnapshot {
  member: Member
  self: boolean
  link?: MemberLink
  sync?: PeerSyncState
  /** per origin, how far we are behind the heads this member announced (only origins behind) */
  behind: Array<{ origin: string, batches: number, entries: number }>
  /** sync batches and sessions of this member refused */
  rejectedSync: number
  /** report-protocol messages of this member refused */
  rejectedReports: number
  /** messages in our outbox waiting for this member's receipt */
  outbox: number
  cutOff: boolean
}

/**
 * The live state of a node, read once from its components: what `status`, `peers`, the
 * dashboard and the node's per-member metrics show. Per-member rejections and the lag per
 * member are computed here and nowhere else. A stopped node's snapshot comes from the store
 * alone (`offlineSnapshot`): nothing connected, nothing counted, the outbox as stored.
 */
export interface NodeSnapshot {
  members: MemberSnapshot[]
  sync: { total: number, byReason: Record<string, number>, recent: Array<Rejected<SyncRejectReason, SyncRejection>> }
  refused: { total: number, recent: RefusedPeer[] }
  penalties: { offences: number, byReason: Record<string, number>, cutOffs: number, refused: number, cutOff: CutOff[] }
  /** messages waiting in the outbox, to all members */
  outbox: number
  /** damaged outbox/receipt rows the courier set aside (kept as evidence) */
  setAside: number
  /** hashes held by the false-positive quarantine (automatic or operator) */
  held: HeldHash[]
}

/** The parts of the running node a snapshot reads (NodeComponents has them). */
export interface SnapshotSource {
  ctx: NodeContext
  members: Pick<MemberConnections, 'links'>
  replicator: Pick<Replicator, 'rejections' | 'peerLag' | 'peerState'>
  reports: Pick<ReportService, 'rejections' | 'outboxDepth' | 'courier'>
  penalties: Pick<PeerPenalties<OffenceReason>, 'offences' | 'cutOffsTotal' | 'isCutOff' | 'list'>
  refusals: Pick<ConnectionRefusals, 'counter' | 'recent'>
  check?: { quarantine: Pick<QuarantineService, 'list'> }
}

export function takeSnapshot (node: SnapshotSource): NodeSnapshot {
  const { federation } = node.ctx
  const self = node.ctx.identity.peerId.toString()
  const links = new Map(node.members.links().map(l => [l.peerId, l]))
  const reportRejections = node.reports.rejections().byPeer
  const syncRejections = node.replicator.rejections
  const behind = new Map<string, MemberSnapshot['behind']>()
  for (const { peer, ...lag } of node.replicator.peerLag()) {
    if (lag.batches > 0) behind.set(peer, [...(behind.get(peer) ?? []), lag])
  }
  const refusals = node.refusals.counter
  const penalties = node.penalties
  return {
    members: federation.members.map(m => ({
      member: m,
      self: m.peerId === self,
      link: links.get(m.peerId),
      sync: node.replicator.peerState(m.peerId),
      behind: behind.get(m.peerId) ?? [],
      rejectedSync: syncRejections.ofPeer(m.peerId),
      rejectedReports: reportRejections[m.peerId] ?? 0,
      outbox: node.reports.outboxDepth(m.peerId),
      cutOff: penalties.isCutOff(m.peerId)
    })),
    sync: { total: syncRejections.total, byReason: Object.fromEntries(syncRejections.byReason), recent: syncRejections.recent() },
    refused: { total: refusals.count('not-member'), recent: node.refusals.recent() },
    penalties: {
      offences: penalties.offences.total,
      byReason: Object.fromEntries(penalties.offences.byReason),
      cutOffs: penalties.cutOffsTotal,
      refused: refusals.count('cut-off'),
      cutOff: penalties.list()
    },
    outbox: node.reports.outboxDepth(),
    setAside: node.reports.courier.status().setAside,
    held: (node.check?.quarantine.list() ?? []).map(h => ({ ref: h.ref, kind: h.kind, since: new Date(h.sinceMs).toISOString(), hosters: h.hosters, matches: h.matches, reason: h.reason }))
  }
}

/** A stopped node: members from the federation file, the outbox depth from the store. */
export async function offlineSnapshot (ctx: NodeContext): Promise<NodeSnapshot> {
  const items = await createReportService({ ctx, logger: pino({ level: 'silent' }) }).outbox.list()
  const depth = new Map<string, number>()
  for (const i of items) depth.set(i.targetPeerId, (depth.get(i.targetPeerId) ?? 0) + 1)
  const self = ctx.identity.peerId.toString()
  return {
    members: ctx.federation.members.map(m => ({ member: m, self: m.peerId === self, behind: [], rejectedSync: 0, rejectedReports: 0, outbox: depth.get(m.peerId) ?? 0, cutOff: false })),
    sync: { total: 0, byReason: {}, recent: [] },
    refused: { total: 0, recent: [] },
    penalties: { offences: 0, byReason: {}, cutOffs: 0, refused: 0, cutOff: [] },
    // every row, decodable or not, as status always counted them
    outbox: await ctx.store.count('outbox'),
    setAside: await ctx.store.count('aside'),
    held: []
  }
}
