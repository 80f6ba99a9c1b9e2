import type { Command } from 'commander'
import type { MatchStatus } from '../../match/match-service.js'
import { matchDisableOp, matchEnableOp, matchStatusOp } from '../../ops/check-ops.js'
import { withOps } from '../op-runner.js'
import { registerMatchHold } from './quarantine.js'
import { DIR_OPTION, resolveDir } from '../options.js'
import { print, printJson, safe, table } from '../output.js'

export function registerMatch (program: Command): void {
  const match = program.command('match').description('the match index behind checks: status, and a per-origin kill switch that applies without restart')

  for (const [verb, enabled] of [['disable', false], ['enable', true]] as const) {
    match.command(verb)
      .description(enabled ? 'serve an origin\'s hashes in checks again' : 'stop serving an origin\'s hashes in checks (its list keeps replicating); kept in config match.disabledOrigins')
      .argument('<origin>', 'member name or peer ID')
      .option(...DIR_OPTION)
      .option('--json', 'print JSON')
      .action(async (origin: string, opts: { dir?: string, json?: boolean }) => {
        // on a stopped node the config is edited; the index is built when the node starts
        const res = await withOps(resolveDir(opts.dir), async (ops) => await ops.run(enabled ? matchEnableOp : matchDisableOp, { origin }))
        if (opts.json === true) return printJson(res)
        print(safe`${res.name}: matching ${res.enabled ? 'enabled' : 'disabled'} (${res.entries} hashes)` + '\n')
      })
  }

  registerMatchHold(match)

  match.command('status')
    .description('index sizes per algorithm, load time, thresholds, and each origin with its switch')
    .option(...DIR_OPTION)
    .option('--json', 'print JSON')
    .action(async (opts: { dir?: string, json?: boolean }) => {
      const status: MatchStatus & { running: boolean } = await withOps(resolveDir(opts.dir), async (ops) => ({ running: ops.running, ...await ops.run(matchStatusOp, {}) }))
      if (opts.json === true) return printJson(status)
      const lines = [
        status.running ? `index      loaded ${status.loaded.entries} references in ${status.loaded.ms} ms` : 'index      (node not running: built when it starts)',
        `thresholds pdq ${status.thresholds.pdq}, blockhash ${status.thresholds.blockhash}`
      ]
      if (status.running) {
        lines.push(table(Object.entries(status.counts).map(([algorithm, c]) => ({ algorithm, values: c.values, refs: c.refs }))))
      }
      lines.push('', table(status.origins.map(o => ({ origin: o.name, enabled: o.enabled, entries: o.entries, peerId: o.peerId }))))
      print(lines.join('\n') + '\n')
    })
}
