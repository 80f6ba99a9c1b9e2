import type { Command } from 'commander'
import { verifyOp, type VerifyOpReport } from '../../ops/verify-op.js'
import { withOps } from '../op-runner.js'
import { DIR_OPTION, resolveDir } from '../options.js'
import { print, printJson, safe } from '../output.js'

/** Exit code of a verify that found a fault (a healthy store exits 0). */
export const VERIFY_FAULT_EXIT = 2

export function registerVerify (program: Command): void {
  program.command('verify')
    .description('re-verify every stored batch (signature, chain, seq, canonical bytes) and every index row, and the report index (rebuilt when damaged); reports the first fault and exits 2')
    .option(...DIR_OPTION)
    .option('--origin <name|peerId>', 'only this origin\'s log')
    .option('--json', 'print JSON')
    .action(async (opts: { dir?: string, origin?: string, json?: boolean }) => {
      const report = await withOps(resolveDir(opts.dir), async (ops) => await ops.run(verifyOp, opts.origin !== undefined ? { origin: opts.origin } : {}))
      if (!report.ok || report.reportIndex?.ok === false) process.exitCode = VERIFY_FAULT_EXIT
      if (opts.json === true) return printJson(report)
      print(formatVerify(report) + '\n')
    })
}

export function formatVerify (r: VerifyOpReport): string {
  const checked = `${r.origins} origins, ${r.batches} batches, ${r.entries} entries, ${r.indexRows} index rows, ${r.sourceRows} source rows in ${(r.ms / 1000).toFixed(1)} s`
  const lines = r.ok
    ? [`ok: ${checked}`]
    : [
        safe`FAULT (${r.fault.problem}) in the log of ${r.fault.origin || '?'}` + (r.fault.seq > 0 ? ` at batch ${r.fault.seq}` : ''),
        safe`  ${r.fault.message}`,
        `checked before it: ${checked}`
      ]
  const ri = r.reportIndex
  if (ri !== undefined) {
    if (ri.ok) lines.push(`report index ok: ${ri.reports} reports, ${ri.buckets} day buckets`)
    else {
      lines.push(`FAULT (report-index) ${ri.problems.length} problem(s) in the report index of ${ri.reports} reports${ri.repaired ? '; rebuilt from the reports' : ''}`)
      for (const p of ri.problems) lines.push(safe`  ${p}`)
    }
  }
  return lines.join('\n')
}
