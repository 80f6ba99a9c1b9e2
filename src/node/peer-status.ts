import { pino } from 'pino'
import type { NodeContext } from '../context/node-context.js'
import type { NodeComponents } from './node-components.js'
import { createReportService } from '../reports/report-service.js'

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

/**
 * One row per federation member (ourselves included, `self: true`): link, sync and outbox
 * state as `hashfed peers`, `hashfed status` and GET /v1/peers show it. Offline (no `node`)
 * nothing is connected and the outbox depth is read from the store.
 */
export async function collectMembers (ctx: NodeContext, node?: NodeComponents): Promise<MemberStatus[]> {
  const links = new Map((node?.members.links() ?? []).map(l => [l.peerId, l]))
  const self = ctx.identity.peerId.toString()
  const fed = ctx.federation
  const outbox = node !== undefined ? (peer: string) => node.reports.outboxDepth(peer) : await storedOutboxDepth(ctx)
  const reportRejections = node?.reports.rejections().byPeer ?? {}
  return fed.members.map(m => {
    const link = links.get(m.peerId)
    const sync = node?.replicator.peerState(m.peerId)
    const rejectedReports = reportRejections[m.peerId] ?? 0
    return {
      name: m.name,
      peerId: m.peerId,
      countries: m.countries,
      ...(m.mirrorOf !== undefined ? { mirrorOf: m.mirrorOf } : {}),
      self: m.peerId === self,
      connected: link?.connected ?? false,
      address: link?.address ?? m.addresses[0] ?? null,
      rttMs: link?.rttMs ?? null,
      connectedSince: link?.connectedSince != null ? new Date(link.connectedSince).toISOString() : null,
      lastError: link?.lastError ?? sync?.lastError ?? null,
      lastSyncAt: sync?.lastSyncAt != null ? new Date(sync.lastSyncAt).toISOString() : null,
      behind: (node?.replicator.behind(m.peerId) ?? []).map(b => ({ ...b, name: fed.nameOf(b.origin) })),
      rejected: (sync?.rejected ?? 0) + rejectedReports,
      rejectedReports,
      outbox: outbox(m.peerId)
    }
  })
}

/** The other members only: `hashfed peers` and GET /v1/peers. */
export async function collectPeers (ctx: NodeContext, node?: NodeComponents): Promise<MemberStatus[]> {
  return (await collectMembers(ctx, node)).filter(m => !m.self)
}

async function storedOutboxDepth (ctx: NodeContext): Promise<(peer: string) => number> {
  const items = await createReportService({ ctx, logger: pino({ level: 'silent' }) }).outbox.list()
  const depth = new Map<string, number>()
  for (const i of items) depth.set(i.targetPeerId, (depth.get(i.targetPeerId) ?? 0) + 1)
  return (peer) => depth.get(peer) ?? 0
}
