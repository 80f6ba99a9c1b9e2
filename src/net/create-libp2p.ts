import '../polyfill.js'
import { createLibp2p, type Libp2p } from 'libp2p'
import { tcp } from '@libp2p/tcp'
import { noise } from '@libp2p/noise'
import { yamux } from '@libp2p/yamux'
import { identify, type Identify } from '@libp2p/identify'
import { ping, type Ping } from '@libp2p/ping'
import { multiaddr } from '@multiformats/multiaddr'
import ipaddr from 'ipaddr.js'
import type { ConnectionGater, PrivateKey } from '@libp2p/interface'
import { INBOUND_UPGRADE_TIMEOUT_MS, MAX_INBOUND_PENDING_CONNECTIONS } from './constants.js'

export type HashfedLibp2p = Libp2p<{ identify: Identify, ping: Ping }>

export interface Libp2pInit {
  privateKey: PrivateKey
  listen: string[]
  gater: ConnectionGater
  /**
   * The members' addresses from the federation file: inbound connections from their IPs skip
   * the limits on pending handshakes, so outsiders holding sockets open cannot keep a member out.
   * @default []
   */
  reservedAddresses?: string[]
}

/**
 * TCP + Noise + yamux, identify and ping. Peers come only from the federation file: no discovery.
 *
 * Before a peer is authenticated it is only an address, so the pre-handshake defences are by
 * address: a short handshake deadline, more pending slots than libp2p's 10, and the members'
 * IPs on libp2p's allow list, which bypasses the pending-slot, per-host rate and connection
 * limits (still authenticated by Noise and admitted by the gater like any other connection).
 */
export async function createNodeLibp2p (init: Libp2pInit): Promise<HashfedLibp2p> {
  return await createLibp2p({
    privateKey: init.privateKey,
    addresses: { listen: init.listen },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    connectionGater: init.gater,
    connectionManager: {
      // members are few; the reconnect loop in MemberConnections owns redialling
      maxConnections: 300,
      reconnectRetries: 0,
      inboundUpgradeTimeout: INBOUND_UPGRADE_TIMEOUT_MS,
      maxIncomingPendingConnections: MAX_INBOUND_PENDING_CONNECTIONS,
      allow: reservedIps(init.reservedAddresses ?? [])
    },
    services: {
      identify: identify(),
      ping: ping()
    }
  })
}

/**
 * The IP part of each IP multiaddr (`/ip4/203.0.113.7/tcp/4001` → `/ip4/203.0.113.7`), once
 * each. DNS addresses are left out: an allow list entry is an IP range, and a name resolved
 * once at start could later point anywhere.
 */
export function reservedIps (addresses: string[]): string[] {
  const out = new Set<string>()
  for (const a of addresses) {
    let ip: { name: string, value?: string } | undefined
    try {
      ip = multiaddr(a).getComponents().find(c => c.name === 'ip4' || c.name === 'ip6')
    } catch {
      continue // validated with the federation file; nothing to reserve for an unparsable one
    }
    if (ip?.value !== undefined) out.add(`/${ip.name}/${ip.value}`)
  }
  return [...out]
}

/** What libp2p's connection manager keeps per allow list entry (an IpNet): only `contains` is used. */
interface AllowEntry { contains: (host: string) => boolean }

/**
 * Replaces the reserved member addresses of a running node, after a federation reload: libp2p
 * reads its allow list only when it is created, so the list is updated in place. That list is
 * libp2p's internal state (v3's ConnectionManager `allow`); returns false when it is not where
 * it was (a libp2p upgrade), and the caller says the change applies at the next start. The
 * slowloris e2e test covers this path, so such an upgrade fails a test rather than silently.
 */
export function reserveAddresses (libp2p: HashfedLibp2p, addresses: string[]): boolean {
  const manager = (libp2p as unknown as { components?: { connectionManager?: { allow?: unknown } } }).components?.connectionManager
  const list = manager?.allow
  if (!Array.isArray(list) || !list.every((e: unknown) => typeof (e as Partial<AllowEntry>)?.contains === 'function')) return false
  const ips = reservedIps(addresses).map(a => ipaddr.process(a.split('/')[2]).toString())
  const entries: AllowEntry[] = ips.map(ip => ({
    contains: (host: string) => ipaddr.isValid(host) && ipaddr.process(host).toString() === ip
  }))
  list.splice(0, list.length, ...entries)
  return true
}
