import type { Command } from 'commander'
import type { MemberStatus } from '../../node/peer-status.js'
import { peersOp } from '../../ops/node-ops.js'
import { withOps } from '../op-runner.js'
import { DIR_OPTION, resolveDir } from '../options.js'
import { print, printJson, shortPeerId, table } from '../output.js'

export function registerPeers (program: Command): void {
  program.command('peers')
    .description('the other members: connected, address, round-trip time, last sync, entries behind per origin, rejected messages, outbox depth')
    .option(...DIR_OPTION)
    .option('--json', 'print JSON')
    .action(async (opts: { dir?: string, json?: boolean }) => {
      const peers: MemberStatus[] = (await withOps(resolveDir(opts.dir), async (ops) => await ops.run(peersOp, {}))).peers
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
