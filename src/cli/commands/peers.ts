import type { Command } from 'commander'
import type { MemberStatus } from '../../node/peer-status.js'
import { withNode } from '../node-access.js'
import { DIR_OPTION, resolveDir } from '../options.js'
import { print, printJson, shortPeerId, table } from '../output.js'

export function registerPeers (program: Command): void {
  program.command('peers')
    .description('the other members: connected, address, round-trip time, last sync, entries behind per origin, rejected messages, outbox depth')
    .option(...DIR_OPTION)
    .option('--json', 'print JSON')
    .action(async (opts: { dir?: string, json?: boolean }) => {
      const peers = await withNode(resolveDir(opts.dir), {
        remote: async (client) => (await client.get<{ peers: MemberStatus[] }>('/v1/peers')).peers,
        local: async (ctx) => await (await import('../../node/peer-status.js')).collectPeers(ctx)
      })
      if (opts.json === true) return printJson(peers)
      print(formatPeers(peers) + '\n')
    })
}

/** The peer table of `hashfed peers` and `hashfed status`. */
export function formatPeers (peers: MemberStatus[]): string {
  return table(peers.map(m => ({
    name: m.name + (m.self ? ' (self)' : ''),
    peer: shortPeerId(m.peerId),
    countries: m.mirrorOf !== undefined ? `mirror of ${m.mirrorOf}` : m.countries,
    connected: m.self ? '-' : m.connected,
    address: m.address,
    rtt: m.rttMs !== null ? `${m.rttMs} ms` : null,
    'last sync': m.lastSyncAt !== null ? m.lastSyncAt.slice(0, 19).replace('T', ' ') : null,
    behind: m.behind.length === 0 ? (m.self ? '-' : 0) : m.behind.map(b => `${b.name}: ${b.entries}`).join(', '),
    rejected: m.rejected,
    outbox: m.self ? '-' : m.outbox
  })))
}
