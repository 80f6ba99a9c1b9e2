import type { Command } from 'commander'
import { initNode } from '../../node/init-node.js'
import { collect, countriesArg, DIR_OPTION, portArg, resolveDir } from '../options.js'
import { printJson } from '../output.js'

export function registerInit (program: Command): void {
  program.command('init')
    .description('create a node folder: identity key (mode 0600), config, federation file, empty store')
    .option(...DIR_OPTION)
    .requiredOption('--name <name>', 'this hotline\'s name in the federation (e.g. EOKM)')
    .requiredOption('--country <cc...>', 'ISO 3166-1 alpha-2 countries this hotline is responsible for (comma-separated or repeated)', countriesArg)
    .option('--listen <multiaddr>', 'libp2p listen address, repeatable (default /ip4/0.0.0.0/tcp/4001)', collect)
    .option('--announce <multiaddr>', 'address other members dial, repeatable (default: the listen address)', collect)
    .option('--api-port <port>', 'admin API port on 127.0.0.1 (default 8480)', portArg)
    .option('--check-port <port>', 'hash check API port (default 8481)', portArg)
    .option('--json', 'print the result as JSON')
    .action(async (opts: { dir?: string, name: string, country: string[], listen?: string[], announce?: string[], apiPort?: number, checkPort?: number, json?: boolean }) => {
      const result = await initNode({
        dir: resolveDir(opts.dir),
        name: opts.name,
        countries: opts.country,
        listen: opts.listen,
        announce: opts.announce,
        apiPort: opts.apiPort,
        checkPort: opts.checkPort
      })
      if (opts.json === true) return printJson(result)
      process.stdout.write([
        `created node ${opts.name} in ${result.dir}`,
        `peer ID:   ${result.peerId}`,
        `listen:    ${result.listen.join(', ')}`,
        `announce:  ${result.announce.join(', ')}`,
        `admin API: http://127.0.0.1:${result.apiPort}`,
        'Share the peer ID, countries and announce address with the other members; add theirs with `hashfed federation add`.'
      ].join('\n') + '\n')
    })
}
