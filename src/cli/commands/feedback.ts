import type { Command } from 'commander'
import { VERDICTS, type FeedbackSent, type FeedbackView } from '../../check/feedback-service.js'
import { disputesListOp, feedbackSendOp } from '../../ops/check-ops.js'
import { disputesDecideOp } from '../../ops/workbench-ops.js'
import { withOps } from '../op-runner.js'
import { registerDisputeAccept } from './quarantine.js'
import { DIR_OPTION, resolveDir } from '../options.js'
import { print, printJson, safe, table } from '../output.js'

export function registerFeedback (program: Command): void {
  program.command('feedback')
    .description('tell the hotline(s) vouching for a hash that a match was right (confirmed) or wrong (disputed); signed, sent only to them')
    .requiredOption('--ref <ALG:VALUE>', 'the stored hash that matched (as `check` shows it)')
    .requiredOption('--verdict <verdict>', VERDICTS.join(' or '))
    .option('--reason <text>', 'why (required for disputed), e.g. "default WordPress theme image"')
    .option(...DIR_OPTION)
    .option('--json', 'print JSON')
    .action(async (opts: { dir?: string, ref: string, verdict: string, reason?: string, json?: boolean }) => {
      const req = { ref: opts.ref, verdict: opts.verdict, ...(opts.reason !== undefined ? { reason: opts.reason } : {}) }
      // on a stopped node: queued in the outbox, sent when the node starts
      const sent: FeedbackSent[] = (await withOps(resolveDir(opts.dir), async (ops) => await ops.run(feedbackSendOp, req))).feedback
      if (opts.json === true) return printJson(sent)
      for (const s of sent) print(safe`feedback ${s.id} ` + (s.delivery === 'stored' ? 'stored (we are the origin)' : safe`queued for ${s.name}`) + '\n')
    })

  const disputes = program.command('disputes').description('feedback hosters and members sent about our hashes')
  registerDisputeAccept(disputes)
  disputes.command('list')
    .description('disputed matches of our hashes, newest first (retract a wrong hash with `hashfed hashes retract`)')
    .option('--all', 'confirmations too')
    .option(...DIR_OPTION)
    .option('--json', 'print JSON')
    .action(async (opts: { dir?: string, all?: boolean, json?: boolean }) => {
      const list: FeedbackView[] = (await withOps(resolveDir(opts.dir), async (ops) => await ops.run(disputesListOp, opts.all === true ? { all: 'true' } : {}))).feedback
      if (opts.json === true) return printJson(list)
      print(table(list.map(f => ({ at: f.at, verdict: f.verdict, ref: f.ref, hoster: f.hoster, from: f.from, current: f.current, reason: f.reason })), ['at', 'verdict', 'ref', 'hoster', 'from', 'current', 'reason']) + '\n')
    })

  disputes.command('decide')
    .description('accept a dispute (retracts the hash) or reject it (the listing stands)')
    .argument('<id>', 'the feedback id (disputes list --json)')
    .requiredOption('--decision <decision>', 'accepted | rejected')
    .requiredOption('--reason <text>', 'why (kept on this node)')
    .option(...DIR_OPTION)
    .option('--json', 'print JSON')
    .action(async (id: string, opts: { dir?: string, decision: string, reason: string, json?: boolean }) => {
      const res = await withOps(resolveDir(opts.dir), async (ops) => await ops.run(disputesDecideOp, { id, decision: opts.decision, reason: opts.reason }))
      if (opts.json === true) return printJson(res)
      print(safe`dispute ${res.id} ${res.decision}` + (res.retracted !== undefined ? safe`; ${res.ref} retracted (batch ${String(res.seq)})` : '') + '\n')
    })
}
