import type { NodeContext } from './node-context.js'
import type { HashfedNode, RefusedPeer } from './hashfed-node.js'

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
  store: { batches: number, reports: number, outbox: number }
  refused: { total: number, recent: RefusedPeer[] }
}

/** The node summary shown by `hashfed status` and GET /v1/status. */
export async function collectStatus (ctx: NodeContext, opts: { running: boolean, node?: HashfedNode }): Promise<NodeStatus> {
  const links = new Map((opts.node?.members.links() ?? []).map(l => [l.peerId, l]))
  const self = ctx.identity.peerId.toString()
  return {
    running: opts.running,
    name: ctx.config.name,
    peerId: self,
    countries: ctx.config.countries,
    ...(ctx.config.mirrorOf !== undefined ? { mirrorOf: ctx.config.mirrorOf } : {}),
    listen: opts.node?.listenAddresses() ?? ctx.config.listen,
    adminUrl: opts.node?.adminUrl ?? null,
    federation: ctx.federation.name,
    members: ctx.federation.members.map(m => {
      const link = links.get(m.peerId)
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
        lastError: link?.lastError ?? null
      }
    }),
    store: {
      batches: await ctx.store.count('batches'),
      reports: await ctx.store.count('reports'),
      outbox: await ctx.store.count('outbox')
    },
    refused: { total: opts.node?.refusedTotal ?? 0, recent: opts.node?.refused ?? [] }
  }
}
