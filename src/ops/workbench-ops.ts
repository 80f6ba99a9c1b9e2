import { hfError, ErrorCodes } from '../errors.js'
import { DisputeDecisions, type DisputeDecision } from '../check/dispute-decisions.js'
import { buildHosterReport, hosterReportCsv, HOSTER_REPORT_GROUPS, type HosterFact } from '../reports/hoster-report.js'
import { hosterReportHtml } from '../reports/hoster-report-html.js'
import { defineOp, field, type Zod } from './operation.js'

/** Operations the workbench (and the CLI) needs beyond the node's basic ones: dispute decisions, token usage, the hoster report. */

const noInput = (z: Zod) => z.strictObject({})
const str = { type: 'string' } as const
const int = { type: 'integer' } as const
/** every report the hoster report reads; a node holds at most its retention period's worth */
const HOSTER_REPORT_MAX = 10_000_000

/**
 * Accept: the hash was wrongly listed — retract it (the retraction replicates like any batch)
 * and record the decision; with `benign`, also publish the value as benign in the same write
 * (members that trust us then suppress its matches from other lists too). Reject: the listing
 * stands; the decision is recorded. The reason stays on this node (the audit log keeps only
 * that there was one); an acceptance without one gives the hoster's.
 */
export const disputesDecideOp = defineOp({
  name: 'disputes.decide',
  summary: 'accept a dispute (retract the hash; with benign, also publish it as benign in one write) or reject it, with a reason',
  authority: 'change',
  http: { method: 'POST', path: '/v1/disputes/:id/decision' },
  input: (z) => z.strictObject({ id: z.string().max(64), decision: z.enum(['accepted', 'rejected']), reason: z.string().trim().max(500).optional(), benign: z.boolean().optional() }),
  output: { type: 'object', required: ['id', 'decision', 'ref'], properties: { id: str, decision: str, ref: str, reason: str, at: str, retracted: int, seq: int, benign: { type: 'boolean' } } },
  run: async (c, { id, decision, reason, benign }) => {
    const dispute = (await (await c.feedback()).list({ all: true })).find(f => f.id === id)
    if (dispute === undefined) throw hfError(ErrorCodes.NOT_FOUND, `no feedback ${id} on this node (hashfed disputes list)`, { id })
    if (dispute.verdict !== 'disputed') throw hfError(ErrorCodes.INVALID_ARGUMENT, `feedback ${id} confirms the hash; only a dispute is decided`, { id })
    if (decision === 'rejected' && (reason === undefined || reason === '')) throw hfError(ErrorCodes.INVALID_ARGUMENT, 'a rejection needs a reason (--reason)')
    if (decision === 'rejected' && benign === true) throw hfError(ErrorCodes.INVALID_ARGUMENT, 'benign goes with an accepted dispute')
    const decisions = new DisputeDecisions(c.ctx.store)
    const earlier = await decisions.get(id)
    if (earlier !== null) throw hfError(ErrorCodes.INVALID_ARGUMENT, `dispute ${id} was ${earlier.decision} at ${earlier.at}`, { id, decision: earlier.decision })
    const why = reason !== undefined && reason !== '' ? reason : dispute.reason
    let written: { retracted: number, seq: number } | undefined
    const lists = decision === 'accepted' ? await c.hashLists() : null
    if (lists !== null && benign === true) written = await lists.benign([dispute.ref], `dispute accepted: ${why}`, { retract: true })
    else if (lists !== null && dispute.current) written = await lists.retract(dispute.ref, `dispute accepted: ${why}`)
    const record: DisputeDecision = { decision, reason: why, at: new Date().toISOString() }
    await decisions.put(id, record)
    return { id, ref: dispute.ref, ...record, ...(written !== undefined ? { retracted: written.retracted, seq: written.seq } : {}), ...(benign === true ? { benign: true } : {}) }
  },
  audit: (_i, out) => ({ action: 'disputes.decide', details: { id: out.id, ref: out.ref, decision: out.decision, benign: out.benign === true, retracted: out.retracted ?? 0, seq: out.seq ?? null } })
})

export const tokensUsageOp = defineOp({
  name: 'tokens.usage',
  summary: 'check API requests per token since the node started',
  authority: 'read',
  http: { method: 'GET', path: '/v1/tokens/usage' },
  input: noInput,
  output: { type: 'object', required: ['tokens', 'since'], properties: { since: { type: ['string', 'null'] }, tokens: { type: 'array', items: { type: 'object', properties: { name: str, prefix: str, requests: int, lastUsedAt: { type: ['string', 'null'] } } } } } },
  run: async (c) => ({ since: c.running ? new Date(Date.now() - process.uptime() * 1000).toISOString() : null, tokens: (await c.tokens()).usage() })
})

export const HOSTER_REPORT_FORMATS = ['json', 'csv', 'html'] as const

export const reportsHosterReportOp = defineOp({
  name: 'reports.hoster-report',
  summary: 'per hoster or ASN over a period: reports received, removed, median and p90 time to removal, still open past N days (JSON, CSV or a self-contained HTML page; no URLs)',
  authority: 'read',
  http: { method: 'GET', path: '/v1/reports/hoster-report' },
  transport: 'stream',
  input: (z) => z.strictObject({
    since: z.string().max(64).optional().meta({ description: 'a date (2025-01-31) or a period back from now (30d, 2w)' }),
    until: z.string().max(64).optional().meta({ description: 'end of the period (exclusive); default now' }),
    openDays: field.integer(z, 0, 3650).optional().meta({ description: 'count reports still open this many days after they were made (default reports.openAlertDays)' }),
    by: z.enum(HOSTER_REPORT_GROUPS).optional(),
    direction: z.enum(['inbound', 'outbound']).optional().meta({ description: 'only reports we handle (inbound) or made (outbound); default both' }),
    title: z.string().max(200).optional(),
    format: z.enum(HOSTER_REPORT_FORMATS).optional()
  }),
  output: { description: 'the report as JSON, CSV or HTML', content: { 'text/plain': { schema: str } } },
  run: async (c, q) => {
    const { parseSince } = await import('../reports/report-service.js')
    const now = Date.now()
    const reports = await c.reports()
    const views = await reports.list({ direction: q.direction, limit: HOSTER_REPORT_MAX })
    // only these fields go on: the report's URL, id and notes stay behind
    const facts: HosterFact[] = views.filter(v => v.status !== 'queued' && v.status !== 'unroutable').map(v => ({
      createdMs: Date.parse(v.createdAt), status: v.status, hoster: v.hoster, asn: v.asn, removalMs: v.timeToRemovalMs
    }))
    const report = buildHosterReport(facts, {
      by: q.by ?? 'hoster',
      sinceMs: q.since !== undefined ? parseSince(q.since, now) : undefined,
      untilMs: q.until !== undefined ? parseSince(q.until, now) : now,
      openDays: q.openDays ?? c.ctx.config.reports.openAlertDays,
      now,
      title: q.title
    })
    const format = q.format ?? 'json'
    const text = format === 'csv' ? hosterReportCsv(report) : format === 'html' ? hosterReportHtml(report) : JSON.stringify(report, null, 2) + '\n'
    return (async function * () { yield text })()
  }
})
