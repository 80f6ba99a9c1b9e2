import { resolve } from 'node:path'
import type { Command } from 'commander'
import { hfError, ErrorCodes } from '../../errors.js'
import { initNode } from '../../node/init-node.js'
import { collect, countriesArg, DIR_OPTION, portArg, resolveDir } from '../options.js'
import { print, printJson } from '../output.js'

export function registerInit (program: Command): void {
  program.command('init')
    .description('create a node folder: identity key (mode 0600), config, federation file, empty store')
    .option(...DIR_OPTION)
    .requiredOption('--name <name>', 'this hotline\'s name in the federation (e.g. EOKM)')
    .option('--country <cc...>', 'ISO 3166-1 alpha-2 countries this hotline is responsible for (comma-separated or repeated); required unless --mirror-of', countriesArg)
    .option('--listen <multiaddr>', 'libp2p listen address, repeatable (default /ip4/0.0.0.0/tcp/4001)', collect)
    .option('--announce <multiaddr>', 'address other members dial, repeatable (default: the listen address, with 0.0.0.0 read as 127.0.0.1, which needs --local; a port-0 listen address is not announced)', collect)
    .option('--local', 'allow an announce address on loopback or 0.0.0.0 (a federation on this machine only: demos, tests)')
    .option('--api-port <port>', 'admin API port (default 8480)', portArg)
    .option('--api-host <host>', 'admin API address (default 127.0.0.1); any other address gets a generated token, printed once')
    .option('--check-port <port>', 'hash check API port (default 8481)', portArg)
    .option('--check-host <host>', 'hash check API address for hosters (default 127.0.0.1; e.g. 0.0.0.0 behind a load balancer)')
    .option('--mirror-of <member>', 'make a read-only mirror of this member: follows the federation, publishes nothing, serves the check API')
    .option('--federation <file>', 'with --mirror-of: the member\'s federation file (copied in, with this mirror added)')
    .option('--json', 'print the result as JSON')
    .action(async (opts: { dir?: string, name: string, country?: string[], mirrorOf?: string, federation?: string, listen?: string[], announce?: string[], local?: boolean, apiPort?: number, apiHost?: string, checkPort?: number, checkHost?: string, json?: boolean }) => {
      if (opts.country === undefined && opts.mirrorOf === undefined) throw hfError(ErrorCodes.INVALID_ARGUMENT, '--country is required (a mirror, with --mirror-of, has none)')
      const result = await initNode({
        dir: resolveDir(opts.dir),
        name: opts.name,
        countries: opts.country ?? [],
        ...(opts.mirrorOf !== undefined ? { mirrorOf: opts.mirrorOf } : {}),
        ...(opts.federation !== undefined ? { federationFile: resolve(opts.federation) } : {}),
        listen: opts.listen,
        announce: opts.announce,
        local: opts.local === true,
        apiPort: opts.apiPort,
        apiHost: opts.apiHost,
        checkPort: opts.checkPort,
        ...(opts.checkHost !== undefined ? { checkHost: opts.checkHost } : {})
      })
      if (opts.json === true) return printJson(result)
      print([
        `created node ${opts.name} in ${result.dir}`,
        `peer ID:   ${result.peerId}`,
        `listen:    ${result.listen.join(', ')}`,
        `announce:  ${result.announce.join(', ')}`,
        ...(result.recoveryKey !== undefined
          ? [`recovery:  ${result.recoveryKey} (send it with the peer ID: members add it as --recovery-key)`,
              `MOVE ${result.recoveryKeyFile ?? ''} OFFLINE NOW (e.g. \`hashfed keys recovery-export --out /media/usb/recovery.key\`): it is the only way to revoke a stolen node key`]
          : []),
        `admin API: http://${result.apiHost.includes(':') ? `[${result.apiHost}]` : result.apiHost}:${result.apiPort}`,
        ...(result.apiToken !== undefined ? [`admin API token (shown once; kept in config.json, mode 0600): ${result.apiToken}`] : []),
        ...(result.mirrorOf !== undefined
          ? [`mirror of: ${result.mirrorOf} (read-only; serves the check API)`,
              'Add this mirror on every member (so they accept its connections):',
              `  hashfed federation add --name ${opts.name} --peer-id ${result.peerId} --mirror-of ${result.mirrorOf}${result.announce.map(a => ` --addr ${a}`).join('')}`]
          : ['Share the peer ID, countries and announce address with the other members; add theirs with `hashfed federation add`.'])
      ].join('\n') + '\n')
    })
}
