import type { Command } from 'commander'
import type { AuditRecord } from '../../audit/audit-log.js'
import { auditListOp } from '../../ops/node-ops.js'
import { withOps } from '../op-runner.js'
import { DIR_OPTION, resolveDir } from '../options.js'
import { print, printJson, table } from '../output.js'

export function registerAudit (program: Command): void {
  program.command('audit')
    .description('operator actions (imports, retractions, reports, federation and token changes), oldest first, with who did them; read only')
    .option(...DIR_OPTION)
    .option('--since <when>', 'records since a date (2025-01-31) or for a period (30d, 12h, 2w)')
    .option('--limit <n>', 'the newest n records (default 1000)')
    .option('--json', 'print JSON')
    .action(async (opts: { dir?: string, since?: string, limit?: string, json?: boolean }) => {
      const records: AuditRecord[] = (await withOps(resolveDir(opts.dir), async (ops) => await ops.run(auditListOp, { since: opts.since, limit: opts.limit }))).records
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
