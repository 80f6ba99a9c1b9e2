import type { Command } from 'commander'
import type { NodeStatus } from '../../node/node-status.js'
import { withNode } from '../node-access.js'
import { DIR_OPTION, resolveDir } from '../options.js'
import { printJson, table } from '../output.js'
import { formatPeers } from './peers.js'

export function registerStatus (program: Command): void {
  program.command('status')
    .description('show the node: identity, countries, listen addresses, members with connected yes/no, store counts')
    .option(...DIR_OPTION)
    .option('--json', 'print JSON')
    .action(async (opts: { dir?: string, json?: boolean }) => {
      const status = await withNode(resolveDir(opts.dir), {
        remote: async (client) => await client.get<NodeStatus>('/v1/status'),
        local: async (ctx) => await (await import('../../node/node-status.js')).collectStatus(ctx, { running: false })
      })
      if (opts.json === true) return printJson(status)
      process.stdout.write(formatStatus(status) + '\n')
    })
}

export function formatStatus (s: NodeStatus): string {
  const lines = [
    `node       ${s.name} (${s.running ? 'running' : 'not running'})`,
    `peer ID    ${s.peerId}`,
    `countries  ${s.countries.join(', ') || '-'}${s.mirrorOf !== undefined ? `  (mirror of ${s.mirrorOf})` : ''}`,
    `listen     ${s.listen.join(', ')}`,
    `admin API  ${s.adminUrl ?? '-'}`,
    `store      ${s.store.hashes} hashes in ${s.store.batches} batches from ${s.origins.length} origins, ${s.store.reports} reports, ${s.store.outbox} in outbox`,
    `rejected   ${s.rejected.total} batches/messages failed verification${s.rejected.total > 0 ? ` (${Object.entries(s.rejected.byReason).map(([r, n]) => `${r}: ${n}`).join(', ')})` : ''}`,
    `refused    ${s.refused.total} connections from non-members`,
    `penalties  ${s.penalties.offences} offences, ${s.penalties.cutOffs} cut-offs, ${s.penalties.refused} connections refused while cut off`,
    ...s.penalties.cutOff.map(c => `CUT OFF    ${c.name} until ${c.until} (${c.offences > 0 ? `${c.offences} offences, last: ` : ''}${c.reason})`),
    `reports    ${s.reports.inbound} inbound, ${s.reports.outbound} outbound, ${s.reports.unroutable} unroutable${s.reports.total > 0 ? ` (${Object.entries(s.reports.byStatus).filter(([, n]) => n > 0).map(([k, n]) => `${k} ${n}`).join(', ')})` : ''}`,
    ...s.forks.map(f => `ALARM      fork: origin ${f.name} signed two different batches ${f.seq} (reported by ${f.reportedBy ?? '?'}, ${f.detectedAt})`),
    '',
    `federation ${s.federation}`,
    formatPeers(s.members),
    '',
    'origins',
    table(s.origins.map(o => ({ origin: o.name, seq: o.headSeq, entries: o.entries, retractions: o.retractions, head: o.headHash.slice(0, 16) })))
  ]
  return lines.join('\n')
}
