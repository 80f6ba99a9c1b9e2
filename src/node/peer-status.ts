import type { NodeContext } from '../context/node-context.js'
import { offlineSnapshot, takeSnapshot, type MemberSnapshot, type NodeSnapshot, type SnapshotSource } from './node-snapshot.js'

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
  /** why it is not connected, in plain words; null when connected or for ourselves */
  reason: string | null
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

/** A node's snapshot, or the store's when it is stopped. */
export async function snapshotOf (ctx: NodeContext, node?: SnapshotSource): Promise<NodeSnapshot> {
  return node !== undefined ? takeSnapshot(node) : await offlineSnapshot(ctx)
}

/**
 * One row per federation member (ourselves included, `self: true`): link, sync and outbox
 * state as `hashfed peers`, `hashfed status` and GET /v1/peers show it.
 */
export function memberRows (ctx: NodeContext, snapshot: NodeSnapshot): MemberStatus[] {
  return snapshot.members.map(s => memberRow(ctx, s))
}

function memberRow (ctx: NodeContext, s: MemberSnapshot): MemberStatus {
  const { member: m, link, sync } = s
  return {
    name: m.name,
    peerId: m.peerId,
    countries: m.countries,
    ...(m.mirrorOf !== undefined ? { mirrorOf: m.mirrorOf } : {}),
    self: s.self,
    connected: link?.connected ?? false,
    address: link?.address ?? m.addresses[0] ?? null,
    rttMs: link?.rttMs ?? null,
    connectedSince: link?.connectedSince != null ? new Date(link.connectedSince).toISOString() : null,
    lastError: link?.lastError ?? sync?.lastError ?? null,
    reason: s.self || link?.connected === true ? null : link?.reason ?? 'the node is not running',
    lastSyncAt: sync?.lastSyncAt != null ? new Date(sync.lastSyncAt).toISOString() : null,
    behind: s.behind.map(b => ({ ...b, name: ctx.federation.nameOf(b.origin) })),
    rejected: s.rejectedSync + s.rejectedReports,
    rejectedReports: s.rejectedReports,
    outbox: s.outbox
  }
}

/** Every member, ourselves included (offline: nothing connected, the outbox as stored). */
export async function collectMembers (ctx: NodeContext, node?: SnapshotSource): Promise<MemberStatus[]> {
  return memberRows(ctx, await snapshotOf(ctx, node))
}

/** The other members only: `hashfed peers` and GET /v1/peers. */
export async function collectPeers (ctx: NodeContext, node?: SnapshotSource): Promise<MemberStatus[]> {
  return (await collectMembers(ctx, node)).filter(m => !m.self)
}
