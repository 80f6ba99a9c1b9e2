import type { Command } from 'commander'
import type { StoreVerifyReport } from '../../log/hash-log.js'
import { verifyOp } from '../../ops/verify-op.js'
import { withOps } from '../op-runner.js'
import { DIR_OPTION, resolveDir } from '../options.js'
import { print, printJson, safe } from '../output.js'

/** Exit code of a verify that found a fault (a healthy store exits 0). */
export const VERIFY_FAULT_EXIT = 2

export function registerVerify (program: Command): void {
  program.command('verify')
    .description('re-verify every stored batch (signature, chain, seq, canonical bytes) and every index row; reports the first fault and exits 2')
    .option(...DIR_OPTION)
    .option('--origin <name|peerId>', 'only this origin\'s log')
    .option('--json', 'print JSON')
    .action(async (opts: { dir?: string, origin?: string, json?: boolean }) => {
      const report = await withOps(resolveDir(opts.dir), async (ops) => await ops.run(verifyOp, opts.origin !== undefined ? { origin: opts.origin } : {}))
      if (!report.ok) process.exitCode = VERIFY_FAULT_EXIT
      if (opts.json === true) return printJson(report)
      print(formatVerify(report) + '\n')
    })
}

export function formatVerify (r: StoreVerifyReport): string {
  const checked = `${r.origins} origins, ${r.batches} batches, ${r.entries} entries, ${r.indexRows} index rows, ${r.sourceRows} source rows in ${(r.ms / 1000).toFixed(1)} s`
  if (r.ok) return `ok: ${checked}`
  const f = r.fault
  return [
    safe`FAULT (${f.problem}) in the log of ${f.origin || '?'}` + (f.seq > 0 ? ` at batch ${f.seq}` : ''),
    safe`  ${f.message}`,
    `checked before it: ${checked}`
  ].join('\n')
}
