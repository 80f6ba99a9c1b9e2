import type { Command } from 'commander'
import { auditLogOf, cliActor } from '../../audit/audit-log.js'
import { changeApiAccess, generateApiToken } from '../../config/api-token.js'
import { adminTokenOp } from '../../ops/node-ops.js'
import { withOps } from '../op-runner.js'
import { hfError, ErrorCodes } from '../../errors.js'
import { isLoopback } from '../../util/loopback.js'
import { withNode } from '../node-access.js'
import { DIR_OPTION, resolveDir } from '../options.js'
import { print, printJson } from '../output.js'

export function registerConfig (program: Command): void {
  const config = program.command('config').description('change the node config: admin API token and address')

  config.command('set-api-token')
    .description('generate a new admin API token (printed once, kept in config.json with mode 0600); a running node switches at once')
    .option(...DIR_OPTION)
    .option('--clear', 'remove the token instead (only while the admin API listens on loopback)')
    .option('--json', 'print JSON')
    .action(async (opts: { dir?: string, clear?: boolean, json?: boolean }) => {
      const action = opts.clear === true ? 'clear' : 'generate'
      const res = await withOps(resolveDir(opts.dir), async (ops) => await ops.run(adminTokenOp, { action }))
      if (opts.json === true) return printJson(res)
      print(res.token !== null
        ? `admin API token (shown once; kept in config.json, mode 0600): ${res.token}\nthe CLI on this machine reads it from the config; other clients send it as "Authorization: Bearer <token>"\n`
        : `admin API token removed; the admin API on ${res.host} needs none\n`)
    })

  config.command('set-api-host')
    .description('the address the admin API listens on (applies at the next start); any address but loopback gets a token if it has none')
    .argument('<host>', 'e.g. 127.0.0.1, 0.0.0.0, 10.0.0.5')
    .option(...DIR_OPTION)
    .option('--json', 'print JSON')
    .action(async (host: string, opts: { dir?: string, json?: boolean }) => {
      const res = await withNode(resolveDir(opts.dir), {
        remote: async () => { throw hfError(ErrorCodes.FORBIDDEN, 'the node is running: stop it, change the admin API address, and start it again (the address is bound at start)') },
        local: async (ctx) => {
          const token = !isLoopback(host) && ctx.config.api.token === undefined ? generateApiToken() : undefined
          await changeApiAccess(ctx.dir, { host, token })
          await auditLogOf(ctx.store).record('api.host.set', { host, tokenGenerated: token !== undefined }, cliActor())
          return { host, token: token ?? null }
        }
      })
      if (opts.json === true) return printJson(res)
      print(`admin API address set to ${res.host} (applies at the next start)\n`)
      if (res.token !== null) print(`admin API token (shown once; kept in config.json, mode 0600): ${res.token}\n`)
    })
}
