import type { Command } from 'commander'
import { openHashLog } from '../../log/hash-log.js'
import type { NodeContext } from '../../context/node-context.js'
import { MatchService, type MatchStatus, type OriginMatchStatus } from '../../match/match-service.js'
import { createLogger } from '../../util/logger.js'
import { auditLogOf, cliActor } from '../../audit/audit-log.js'
import { withNode } from '../node-access.js'
import { DIR_OPTION, resolveDir } from '../options.js'
import { print, printJson, safe, table } from '../output.js'

/** The kill switch on a stopped node: the config is edited; the index is built when the node starts. */
async function offlineMatch<T> (ctx: NodeContext, fn: (svc: MatchService) => Promise<T>): Promise<T> {
  const logger = createLogger({ component: 'match' }, process.stderr)
  logger.level = 'warn'
  const hashLog = await openHashLog({ store: ctx.store, logger })
  try {
    return await fn(new MatchService({ ctx, hashLog, logger }))
  } finally {
    await hashLog.close()
  }
}

export function registerMatch (program: Command): void {
  const match = program.command('match').description('the match index behind checks: status, and a per-origin kill switch that applies without restart')

  for (const [verb, enabled] of [['disable', false], ['enable', true]] as const) {
    match.command(verb)
      .description(enabled ? 'serve an origin\'s hashes in checks again' : 'stop serving an origin\'s hashes in checks (its list keeps replicating); kept in config match.disabledOrigins')
      .argument('<origin>', 'member name or peer ID')
      .option(...DIR_OPTION)
      .option('--json', 'print JSON')
      .action(async (origin: string, opts: { dir?: string, json?: boolean }) => {
        const res = await withNode(resolveDir(opts.dir), {
          remote: async (client) => await client.post<OriginMatchStatus>(`/v1/match/${verb}`, { origin }),
          local: async (ctx) => await offlineMatch(ctx, async (svc) => {
            const res = await svc.setEnabled(origin, enabled)
            await auditLogOf(ctx.store).record(`match.${verb}`, { origin: res.name, peerId: res.peerId }, cliActor())
            return res
          })
        })
        if (opts.json === true) return printJson(res)
        print(safe`${res.name}: matching ${res.enabled ? 'enabled' : 'disabled'} (${res.entries} hashes)` + '\n')
      })
  }

  match.command('status')
    .description('index sizes per algorithm, load time, thresholds, and each origin with its switch')
    .option(...DIR_OPTION)
    .option('--json', 'print JSON')
    .action(async (opts: { dir?: string, json?: boolean }) => {
      const status = await withNode<MatchStatus & { running: boolean }>(resolveDir(opts.dir), {
        remote: async (client) => ({ running: true, ...await client.get<MatchStatus>('/v1/match/status') }),
        local: async (ctx) => await offlineMatch(ctx, async (svc) => ({ running: false, ...svc.status() }))
      })
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
