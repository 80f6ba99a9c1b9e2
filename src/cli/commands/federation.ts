import type { Command } from 'commander'
import type { Member } from '../../config/federation.js'
import { federationAddOp, federationListOp, federationReloadOp, federationRemoveOp } from '../../ops/node-ops.js'
import { withOps } from '../op-runner.js'
import { collect, countriesArg, DIR_OPTION, resolveDir } from '../options.js'
import { print, printJson, safe, shortPeerId, table } from '../output.js'

export function registerFederation (program: Command): void {
  const fed = program.command('federation').description('the member hotlines this node talks to (the federation file)')

  fed.command('add')
    .description('add a member, or replace the member of the same name; a running node applies it at once')
    .option(...DIR_OPTION)
    .requiredOption('--name <name>', 'the member hotline\'s name')
    .requiredOption('--peer-id <id>', 'its peer ID (printed by its `hashfed init`)')
    .option('--country <cc...>', 'ISO 3166-1 alpha-2 countries it is responsible for', countriesArg)
    .option('--addr <multiaddr>', 'address to dial it at, repeatable (e.g. /ip4/192.0.2.10/tcp/4001)', collect)
    .option('--mirror-of <member>', 'the member is a read-only mirror of this member')
    .option('--recovery-key <id>', 'its recovery key (printed by its `hashfed init`): the only key whose revocation of its signing key this node accepts')
    .action(async (opts: { dir?: string, name: string, peerId: string, country?: string[], addr?: string[], mirrorOf?: string, recoveryKey?: string }) => {
      const member: Member = {
        name: opts.name,
        peerId: opts.peerId,
        countries: opts.country ?? [],
        addresses: opts.addr ?? [],
        ...(opts.mirrorOf !== undefined ? { mirrorOf: opts.mirrorOf } : {}),
        ...(opts.recoveryKey !== undefined ? { recoveryKey: opts.recoveryKey } : {})
      }
      const res = await withOps(resolveDir(opts.dir), async (ops) => await ops.run(federationAddOp, { ...member }))
      print(safe`member ${opts.name} saved (${res.members} members)` + '\n')
    })

  fed.command('remove')
    .description('remove a member; a running node closes its connection and refuses it at once (the list it published is kept)')
    .argument('<member>', 'member name or peer ID')
    .option(...DIR_OPTION)
    .action(async (member: string, opts: { dir?: string }) => {
      const res = await withOps(resolveDir(opts.dir), async (ops) => await ops.run(federationRemoveOp, { member }))
      print(safe`member ${res.removed} (${res.peerId}) removed; ${res.members} members` + (res.applied ? ', applied to the running node' : '; the node reads the file when it starts') + '\n')
    })

  fed.command('list')
    .description('list the members')
    .option(...DIR_OPTION)
    .option('--json', 'print JSON')
    .action(async (opts: { dir?: string, json?: boolean }) => {
      const members: Member[] = (await withOps(resolveDir(opts.dir), async (ops) => await ops.run(federationListOp, {}))).members
      if (opts.json === true) return printJson(members)
      print(table(members.map(m => ({ name: m.name, peer: shortPeerId(m.peerId), countries: m.countries, addresses: m.addresses, mirrorOf: m.mirrorOf }))) + '\n')
    })

  fed.command('reload')
    .description('make a running node re-read its federation file after a hand edit (validated first)')
    .option(...DIR_OPTION)
    .action(async (opts: { dir?: string }) => {
      const res = await withOps(resolveDir(opts.dir), async (ops) => await ops.run(federationReloadOp, {}))
      print(res.ok ? `federation file reloaded: ${res.members} members\n` : 'node is not running; the file is read when it starts\n')
    })
}
