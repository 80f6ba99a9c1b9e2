import type { Command } from 'commander'
import { membersCosignOp, membersProposalsOp, membersProposeOp } from '../../ops/membership-ops.js'
import { withOps } from '../op-runner.js'
import { collect, countriesArg, DIR_OPTION, resolveDir } from '../options.js'
import { print, printJson, safe, table } from '../output.js'

export function registerMembers (program: Command): void {
  const members = program.command('members').description('membership changes that travel: propose, co-sign, list (applied where the federation file\'s membershipQuorum is met)')

  members.command('proposals')
    .description('proposed changes, their votes, and whether this node applied them')
    .option(...DIR_OPTION)
    .option('--json', 'print JSON')
    .action(async (opts: { dir?: string, json?: boolean }) => {
      const res = await withOps(resolveDir(opts.dir), async (ops) => await ops.run(membersProposalsOp, {}))
      if (opts.json === true) return printJson(res)
      print(table(res.proposals.map(p => ({ id: p.id, action: p.action, name: p.name, proposer: p.proposer, votes: p.votes.join(','), counted: `${p.counted}/${p.required ?? '-'}`, applied: p.applied }))) + '\n')
    })

  members.command('propose')
    .description('propose adding (or with --remove, removing) a member; our vote goes with it to every member')
    .option(...DIR_OPTION)
    .requiredOption('--name <name>', 'the member\'s name')
    .requiredOption('--peer-id <id>', 'its peer ID')
    .option('--remove', 'propose removing it')
    .option('--country <cc...>', 'countries it is responsible for', countriesArg)
    .option('--addr <multiaddr>', 'address to dial it at, repeatable', collect)
    .option('--recovery-key <id>', 'its recovery key')
    .option('--json', 'print JSON')
    .action(async (opts: { dir?: string, name: string, peerId: string, remove?: boolean, country?: string[], addr?: string[], recoveryKey?: string, json?: boolean }) => {
      const res = await withOps(resolveDir(opts.dir), async (ops) => await ops.run(membersProposeOp, {
        action: opts.remove === true ? 'remove' : 'add', name: opts.name, peerId: opts.peerId, countries: opts.country, addresses: opts.addr, ...(opts.recoveryKey !== undefined ? { recoveryKey: opts.recoveryKey } : {})
      }))
      if (opts.json === true) return printJson(res)
      print(safe`proposal ${res.id}: ${res.action} ${res.name}; ${res.counted} of ${res.required ?? 'no quorum'} votes here${res.applied ? ', applied' : ''}` + '\n')
    })

  members.command('cosign')
    .description('vote for a proposal (by id)')
    .argument('<id>', 'proposal id')
    .option(...DIR_OPTION)
    .option('--json', 'print JSON')
    .action(async (id: string, opts: { dir?: string, json?: boolean }) => {
      const res = await withOps(resolveDir(opts.dir), async (ops) => await ops.run(membersCosignOp, { id }))
      if (opts.json === true) return printJson(res)
      print(safe`voted for ${res.id} (${res.action} ${res.name}); ${res.counted} of ${res.required ?? 'no quorum'} votes here${res.applied ? ', applied' : ''}` + '\n')
    })
}
