import { InvalidArgumentError, type Command } from 'commander'
import { auditLogOf, type AuditRecord } from '../../audit/audit-log.js'
import { parseSince } from '../../reports/report-service.js'
import { withNode } from '../node-access.js'
import { DIR_OPTION, resolveDir } from '../options.js'
import { print, printJson, table } from '../output.js'

function limitArg (value: string): number {
  const n = Number(value)
  if (!Number.isInteger(n) || n < 1 || n > 100_000) throw new InvalidArgumentError('expected a whole number 1-100000')
  return n
}

export function registerAudit (program: Command): void {
  program.command('audit')
    .description('operator actions (imports, retractions, reports, federation and token changes), oldest first, with who did them; read only')
    .option(...DIR_OPTION)
    .option('--since <when>', 'records since a date (2025-01-31) or for a period (30d, 12h, 2w)')
    .option('--limit <n>', 'the newest n records (default 1000)', limitArg)
    .option('--json', 'print JSON')
    .action(async (opts: { dir?: string, since?: string, limit?: number, json?: boolean }) => {
      const sinceMs = opts.since !== undefined ? parseSince(opts.since, Date.now()) : undefined // bad input fails before the node is asked
      const query = new URLSearchParams()
      if (opts.since !== undefined) query.set('since', opts.since)
      if (opts.limit !== undefined) query.set('limit', String(opts.limit))
      const records = await withNode(resolveDir(opts.dir), {
        remote: async (client) => (await client.get<{ records: AuditRecord[] }>(`/v1/audit?${query.toString()}`)).records,
        local: async (ctx) => await auditLogOf(ctx.store).list({ sinceMs, limit: opts.limit })
      })
      if (opts.json === true) return printJson(records)
      print(table(records.map(r => ({
        at: r.at.slice(0, 19).replace('T', ' '),
        action: r.action,
        actor: r.actor,
        via: r.via,
        details: Object.entries(r.details).map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`).join(' ')
      }))) + '\n')
    })
}
