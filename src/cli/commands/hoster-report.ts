import { createWriteStream } from 'node:fs'
import type { Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { Readable } from 'node:stream'
import type { Command } from 'commander'
import { reportsHosterReportOp } from '../../ops/workbench-ops.js'
import { withOps } from '../op-runner.js'
import { DIR_OPTION, resolveDir } from '../options.js'
import { print } from '../output.js'

/** `hashfed reports hoster-report`: the per-hoster table a hotline publishes (no URLs in it). */
export function registerHosterReport (reports: Command): void {
  reports.command('hoster-report')
    .description('per hoster (or ASN) over a period: received, removed, median and p90 time to removal, still open past N days; JSON, CSV or a self-contained HTML page to publish')
    .option(...DIR_OPTION)
    .option('--since <when>', 'reports created since a date (2025-01-31) or for a period (30d, 2w)')
    .option('--until <when>', 'reports created before this date (default: now)')
    .option('--open-days <n>', 'count reports still open this many days after they were made (default reports.openAlertDays)')
    .option('--by <group>', 'hoster | asn', 'hoster')
    .option('--direction <dir>', 'inbound (we handle) | outbound (we reported); default both')
    .option('--title <text>', 'the page\'s heading (HTML)')
    .option('--format <format>', 'json | csv | html', 'json')
    .option('-o, --output <file>', 'write to a file instead of stdout')
    .action(async (opts: { dir?: string, since?: string, until?: string, openDays?: string, by?: string, direction?: string, title?: string, format?: string, output?: string }) => {
      const input = { since: opts.since, until: opts.until, openDays: opts.openDays, by: opts.by, direction: opts.direction, title: opts.title, format: opts.format }
      await withOps(resolveDir(opts.dir), async (ops) => {
        const chunks = await ops.run(reportsHosterReportOp, input)
        const out: Writable = opts.output !== undefined ? createWriteStream(opts.output) : process.stdout
        await pipeline(Readable.from(chunks), out, { end: out !== process.stdout })
      })
      if (opts.output !== undefined) print(`hoster report written to ${opts.output}\n`)
    })
}
