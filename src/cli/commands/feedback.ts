import type { Command } from 'commander'
import { openHashLog } from '../../log/hash-log.js'
import type { NodeContext } from '../../context/node-context.js'
import { Courier } from '../../courier/courier.js'
import { KeyedLock } from '../../util/lock.js'
import { FeedbackService, VERDICTS, type FeedbackSent, type FeedbackView } from '../../check/feedback-service.js'
import { createLogger } from '../../util/logger.js'
import { auditLogOf, cliActor } from '../../audit/audit-log.js'
import { withNode } from '../node-access.js'
import { DIR_OPTION, resolveDir } from '../options.js'
import { print, printJson, safe, table } from '../output.js'

/** Feedback on a stopped node: queued in the outbox, sent when the node starts. */
async function offlineFeedback<T> (ctx: NodeContext, fn: (svc: FeedbackService) => Promise<T>): Promise<T> {
  const logger = createLogger({ component: 'feedback' }, process.stderr)
  logger.level = 'warn'
  const hashLog = await openHashLog({ store: ctx.store, logger })
  try {
    const courier = new Courier({ store: ctx.store, identity: ctx.identity, locks: new KeyedLock(), logger, isMember: (p) => ctx.federation.isMember(p) })
    return await fn(new FeedbackService({ store: ctx.store, identity: ctx.identity, hashLog, courier, nameOf: (p) => ctx.federation.nameOf(p), logger }))
  } finally {
    await hashLog.close()
  }
}

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
      const sent = await withNode(resolveDir(opts.dir), {
        remote: async (client) => (await client.post<{ feedback: FeedbackSent[] }>('/v1/feedback', req)).feedback,
        local: async (ctx) => await offlineFeedback(ctx, async (svc) => {
          const sent = await svc.send({ ...req, hoster: `analyst:${ctx.config.name}` })
          await auditLogOf(ctx.store).record('feedback.send', { ref: req.ref, verdict: req.verdict, origins: sent.map(s => s.name) }, cliActor())
          return sent
        })
      })
      if (opts.json === true) return printJson(sent)
      for (const s of sent) print(safe`feedback ${s.id} ` + (s.delivery === 'stored' ? 'stored (we are the origin)' : safe`queued for ${s.name}`) + '\n')
    })

  const disputes = program.command('disputes').description('feedback hosters and members sent about our hashes')
  disputes.command('list')
    .description('disputed matches of our hashes, newest first (retract a wrong hash with `hashfed hashes retract`)')
    .option('--all', 'confirmations too')
    .option(...DIR_OPTION)
    .option('--json', 'print JSON')
    .action(async (opts: { dir?: string, all?: boolean, json?: boolean }) => {
      const list = await withNode(resolveDir(opts.dir), {
        remote: async (client) => (await client.get<{ feedback: FeedbackView[] }>(`/v1/disputes${opts.all === true ? '?all=true' : ''}`)).feedback,
        local: async (ctx) => await offlineFeedback(ctx, async (svc) => await svc.list({ all: opts.all }))
      })
      if (opts.json === true) return printJson(list)
      print(table(list.map(f => ({ at: f.at, verdict: f.verdict, ref: f.ref, hoster: f.hoster, from: f.from, current: f.current, reason: f.reason })), ['at', 'verdict', 'ref', 'hoster', 'from', 'current', 'reason']) + '\n')
    })
}

