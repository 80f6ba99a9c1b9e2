import type { Command } from 'commander'
import { readFile } from 'node:fs/promises'
import { hfError, ErrorCodes } from '../../errors.js'
import { benignListOp, hashesBenignOp } from '../../ops/quarantine-ops.js'
import { withOps } from '../op-runner.js'
import { DIR_OPTION, resolveDir } from '../options.js'
import { print, printJson } from '../output.js'

// apart from quarantine.ts: `hashes` registers it, and an import should not load the
// workbench operations (hoster reports) that the quarantine commands need

interface Opts { dir?: string, json?: boolean }

/** `hashfed hashes benign` */
export function registerBenign (hashes: Command): void {
  hashes.command('benign')
    .description('publish signed benign entries (values that are not abuse material, e.g. a CMS default image) in our log; trusting nodes suppress matches on them')
    .argument('[refs...]', 'ALG:VALUE …')
    .option('--file <path>', 'a benign list: one ALG:VALUE per line (# comments)')
    .option('--reason <text>', 'why, e.g. "WordPress default theme image" (required to publish)')
    .option('--withdraw', 'withdraw our benign entries for these values')
    .option('--list', 'list the benign entries known here instead')
    .option(...DIR_OPTION).option('--json', 'print JSON')
    .action(async (refs: string[], opts: Opts & { file?: string, reason?: string, withdraw?: boolean, list?: boolean }) => {
      if (opts.list === true) return printJson(await withOps(resolveDir(opts.dir), async (ops) => await ops.run(benignListOp, {})))
      if (opts.reason === undefined) throw hfError(ErrorCodes.INVALID_ARGUMENT, '--reason: say why the values are benign')
      const all = [...refs]
      if (opts.file !== undefined) {
        for (const line of (await readFile(opts.file, 'utf8')).split('\n')) {
          const t = line.replace(/#.*/, '').trim()
          if (t !== '') all.push(t)
        }
      }
      const reason = opts.reason
      const res = await withOps(resolveDir(opts.dir), async (ops) => await ops.run(hashesBenignOp, { refs: all, reason, ...(opts.withdraw === true ? { withdraw: true } : {}) }))
      if (opts.json === true) return printJson(res)
      print(`${res.entries} benign ${opts.withdraw === true ? 'withdrawals' : 'entries'} in batch ${res.seq}\n`)
    })
}
