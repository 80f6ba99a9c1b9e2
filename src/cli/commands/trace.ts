import type { Command } from 'commander'
import type { HostTrace } from '../../reports/host-trace.js'
import { traceOp } from '../../ops/report-ops.js'
import { withOps } from '../op-runner.js'
import { DIR_OPTION, resolveDir } from '../options.js'
import { print, printJson, safe, table } from '../output.js'

function formatTrace (t: HostTrace): string {
  const lines = [
    safe`host        ${t.host}`,
    safe`country     ${t.country ?? '-'}` + (t.countrySource !== null ? safe` (${t.countrySource})` : ''),
    safe`AS          ${t.asn !== null ? `AS${t.asn}` : '-'}` + (t.asName !== null ? safe` ${t.asName}` : ''),
    safe`responsible ${t.responsible !== null ? `${t.responsible.name} (${t.responsible.peerId})` : '-'}`,
    '',
    table(t.addresses.map(a => ({ ip: a.ip, range: a.range, country: a.country, asn: a.asn !== null ? `AS${a.asn}` : null, 'as name': a.asName }))),
    ...t.notes.map(n => safe`note: ${n}`),
    '',
    safe`data: ${t.sources.country}; ${t.sources.asn}`
  ]
  return lines.join('\n')
}

export function registerTrace (program: Command): void {
  program.command('trace')
    .description('where a URL or IP is hosted: its addresses, country, AS number and name, and the member a report would go to (offline data; DNS for a host name)')
    .argument('<target>', 'a URL, host name or IP address')
    .option(...DIR_OPTION)
    .option('--json', 'print JSON')
    .action(async (target: string, opts: { dir?: string, json?: boolean }) => {
      const trace = await withOps(resolveDir(opts.dir), async (ops) => await ops.run(traceOp, { target }))
      if (opts.json === true) return printJson(trace)
      print(formatTrace(trace) + '\n')
    })
}
