import type { Command } from 'commander'
import { tokensCreateOp, tokensListOp, tokensRevokeOp } from '../../ops/check-ops.js'
import { withOps } from '../op-runner.js'
import { DIR_OPTION, resolveDir } from '../options.js'
import { print, printJson, safe, table } from '../output.js'

export function registerTokens (program: Command): void {
  const tokens = program.command('tokens').description('check API tokens, one per hoster (stored hashed; a token is shown once)')

  tokens.command('create')
    .description('create a token for a hoster and print it once')
    .requiredOption('--name <hoster>', 'the hoster (a company, never a person): letters, digits, . _ -')
    .option('--token-stdin', 'register the token read from stdin instead of making one (the same token on every mirror behind a load balancer)')
    .option(...DIR_OPTION)
    .option('--json', 'print JSON')
    .action(async (opts: { dir?: string, name: string, tokenStdin?: boolean, json?: boolean }) => {
      const given = opts.tokenStdin === true ? { token: (await readStdin()).trim() } : {}
      const res = await withOps(resolveDir(opts.dir), async (ops) => await ops.run(tokensCreateOp, { name: opts.name, ...given }))
      if (opts.tokenStdin === true) {
        if (opts.json === true) return printJson({ info: res.info })
        return print(safe`token registered for ${res.info.name} (${res.info.prefix}…)` + '\n')
      }
      if (opts.json === true) return printJson(res)
      print(safe`token for ${res.info.name} (shown once, store it now):` + '\n' + safe`${res.token}` + '\n')
    })

  tokens.command('revoke')
    .description('revoke a hoster\'s token: its requests get 401 at once')
    .argument('<name>', 'the hoster name')
    .option(...DIR_OPTION)
    .option('--json', 'print JSON')
    .action(async (name: string, opts: { dir?: string, json?: boolean }) => {
      const info = await withOps(resolveDir(opts.dir), async (ops) => await ops.run(tokensRevokeOp, { name }))
      if (opts.json === true) return printJson(info)
      print(safe`revoked the token of ${info.name} (${info.prefix}…)` + '\n')
    })

  tokens.command('list')
    .description('tokens with name, prefix, creation and revocation times')
    .option(...DIR_OPTION)
    .option('--json', 'print JSON')
    .action(async (opts: { dir?: string, json?: boolean }) => {
      const list = (await withOps(resolveDir(opts.dir), async (ops) => await ops.run(tokensListOp, {}))).tokens
      if (opts.json === true) return printJson(list)
      print(table(list.map(t => ({ name: t.name, prefix: `${t.prefix}…`, created: t.createdAt, revoked: t.revokedAt })), ['name', 'prefix', 'created', 'revoked']) + '\n')
    })
}

async function readStdin (): Promise<string> {
  let text = ''
  for await (const chunk of process.stdin) text += String(chunk)
  return text
}
