import type { Command } from 'commander'
import type { NodeStatus } from '../../node/node-status.js'
import { statusOp } from '../../ops/node-ops.js'
import { withOps } from '../op-runner.js'
import { DIR_OPTION, resolveDir } from '../options.js'
import { print, printJson, safe, table } from '../output.js'
import { formatPeers } from './peers.js'

export function registerStatus (program: Command): void {
  program.command('status')
    .description('show the node: identity, countries, listen addresses, members with connected yes/no, store counts')
    .option(...DIR_OPTION)
    .option('--json', 'print JSON')
    .action(async (opts: { dir?: string, json?: boolean }) => {
      const status: NodeStatus = await withOps(resolveDir(opts.dir), async (ops) => await ops.run(statusOp, {}))
      if (opts.json === true) return printJson(status)
      print(formatStatus(status) + '\n')
    })
}

export function formatStatus (s: NodeStatus): string {
  // names, reasons and addresses come from the federation file and from members: `safe` escapes their controls
  const lines = [
    safe`node       ${s.name} (${s.running ? 'running' : 'not running'})`,
    safe`peer ID    ${s.peerId}`,
    safe`countries  ${s.countries.join(', ') || '-'}` + (s.mirrorOf !== undefined ? safe`  (mirror of ${s.mirrorOf})` : ''),
    safe`listen     ${s.listen.join(', ')}`,
    safe`admin API  ${s.adminUrl ?? '-'}`,
    safe`check API  ${s.checkUrl ?? '- (starts with the node)'}` + (s.checkUrl !== null ? ' (hosters check hashes here with a token: hashfed tokens create)' : ''),
    `store      ${s.store.hashes} hashes in ${s.store.batches} batches from ${s.origins.length} origins, ${s.store.reports} reports, ${s.store.outbox} in outbox`,
    `rejected   ${s.rejected.total} batches/messages failed verification${s.rejected.total > 0 ? ` (${Object.entries(s.rejected.byReason).map(([r, n]) => `${r}: ${n}`).join(', ')})` : ''}`,
    `refused    ${s.refused.total} connections from non-members`,
    `penalties  ${s.penalties.offences} offences, ${s.penalties.cutOffs} cut-offs, ${s.penalties.refused} connections refused while cut off`,
    ...s.penalties.cutOff.map(c => safe`CUT OFF    ${c.name} until ${c.until} (` + (c.offences > 0 ? safe`${c.offences} offences, last: ` : '') + safe`${c.reason})`),
    `reports    ${s.reports.inbound} inbound, ${s.reports.outbound} outbound, ${s.reports.unroutable} unroutable${s.reports.total > 0 ? ` (${Object.entries(s.reports.byStatus).filter(([, n]) => n > 0).map(([k, n]) => `${k} ${n}`).join(', ')})` : ''}`,
    ...(s.courier.setAside > 0 ? [`DAMAGED    ${s.courier.setAside} outbox/receipt rows did not decode: kept aside in the store (sublevel "aside"), not delivered`] : []),
    ...s.forks.map(f => safe`ALARM      fork: origin ${f.name} signed two different batches ${f.seq} (reported by ${f.reportedBy ?? '?'}, ${f.detectedAt})`),
    ...(s.revocations ?? []).map(r => safe`ALARM      revoked: origin ${r.name}'s recovery key revoked its batches from ${r.firstBadSeq} (${r.evidence.length} kept as evidence; hashfed keys status)`),
    ...(s.held ?? []).map(q => safe`ALARM      quarantine: ${q.ref} held since ${q.since} (${q.kind}: ${q.reason}); see hashfed quarantine list`),
    '',
    safe`federation ${s.federation}`,
    formatPeers(s.members),
    '',
    'origins',
    table(s.origins.map(o => ({ origin: o.name, seq: o.headSeq, entries: o.entries, retractions: o.retractions, head: o.headHash.slice(0, 16) })))
  ]
  return lines.join('\n')
}
