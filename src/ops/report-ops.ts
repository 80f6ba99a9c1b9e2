import { CLASSIFICATIONS } from '../log/entry.js'
import { REPORT_MEDIA, type SubmitInput } from '../reports/report-input.js'
import { REPORT_STATUSES, UPDATE_STATUSES } from '../reports/report-status.js'
import { REOPEN_STATUSES } from '../reports/status-rules.js'
import { STATS_GROUPS } from '../reports/report-stats.js'
import type { ReportView } from '../reports/report-view.js'
import { defineOp, field, type Zod } from './operation.js'
import { ref } from './response-schemas.js'
import { parseWith } from './parse-input.js'
import { inputSchema } from './input-schema.js'
import { isHashfedError } from '../errors.js'
import type { SubmitOutcome } from '../reports/report-submit.js'

const noInput = (z: Zod) => z.strictObject({})
const anyObject = { type: 'object', additionalProperties: true } as const
const reportId = (z: Zod) => z.string().max(64)

const submitDetails = (v: ReportView): Record<string, unknown> => ({ reportId: v.id, country: v.country, countrySource: v.countrySource, target: v.target, status: v.status })

/** There is no field for the reporter's identity, and no unknown field passes. */
export const reportsSubmitOp = defineOp({
  name: 'reports.submit',
  summary: 'sign a URL report and route it to the hotline of the hosting country',
  authority: 'change',
  http: { method: 'POST', path: '/v1/reports', status: 201 },
  input: (z) => z.strictObject({
    url: z.string().min(1).max(8192),
    ip: z.string().max(64).optional(),
    country: z.string().max(8).optional(),
    hoster: z.string().max(256).optional(),
    asn: z.number().int().min(1).max(4294967295).optional(),
    classification: z.enum(CLASSIFICATIONS).optional(),
    media: z.enum(REPORT_MEDIA).optional(),
    hashes: z.array(z.string().max(400)).max(100).optional(),
    note: z.string().max(4096).optional()
  }),
  unknownFieldHint: '; hashfed keeps no reporter identity',
  output: ref('ReportView'),
  run: async (c, input) => await (await c.reports()).submit(input as SubmitInput),
  audit: (_i, v) => ({ action: 'reports.submit', details: submitDetails(v) })
})

/** Reports one batch request takes (each counts as one report everywhere: audit, outbox, the target's quota). */
export const MAX_SUBMIT_BATCH = 1000

/** An item of a batch's answer: the report made, or why this item was refused. */
export type BatchItemResult = { index: number } & ({ id: string, route: string } | { error: { code: string, message: string, details?: Record<string, unknown> } })

/**
 * Many reports in one request (an import from a hotline's case system, a day's queue): each item
 * is checked with the one-report schema and stored on its own, so a bad item is refused with
 * its own error and the others are kept. The answer lists every item in order.
 */
export const reportsSubmitBatchOp = defineOp({
  name: 'reports.submit-batch',
  summary: `sign and route up to ${MAX_SUBMIT_BATCH} URL reports; each item is checked and stored on its own (per-item errors)`,
  authority: 'change',
  http: { method: 'POST', path: '/v1/reports/batch', status: 200, bodyLimit: () => 16 * 1024 * 1024 },
  input: (z) => z.strictObject({
    reports: z.array(z.unknown()).min(1).max(MAX_SUBMIT_BATCH).meta({ description: 'reports as `POST /v1/reports` takes them (no reporter identity: an unknown field refuses that item)' })
  }),
  output: {
    type: 'object',
    required: ['submitted', 'refused', 'results'],
    properties: {
      submitted: { type: 'integer' },
      refused: { type: 'integer' },
      results: { type: 'array', items: { type: 'object', required: ['index'], properties: { index: { type: 'integer' }, id: { type: 'string' }, route: { type: 'string', enum: ['local', 'outbound', 'unroutable'] }, error: anyObject } } }
    }
  },
  run: async (c, { reports }) => {
    const results: BatchItemResult[] = []
    const valid: Array<{ index: number, input: unknown }> = []
    reports.forEach((item, index) => {
      try {
        valid.push({ index, input: parseWith(inputSchema(reportsSubmitOp), item, reportsSubmitOp.unknownFieldHint) })
      } catch (err) {
        if (!isHashfedError(err)) throw err
        results.push({ index, error: { code: err.code, message: err.message, ...(err.details !== undefined && { details: err.details }) } })
      }
    })
    const outcomes: SubmitOutcome[] = valid.length === 0 ? [] : await (await c.reports()).submitMany(valid.map(v => v.input))
    outcomes.forEach((o, i) => results.push(o.ok ? { index: valid[i].index, id: o.id, route: o.route } : { index: valid[i].index, error: o.error }))
    results.sort((a, b) => a.index - b.index)
    const submitted = results.filter(r => 'id' in r).length
    return { submitted, refused: results.length - submitted, results }
  },
  audit: (_i, out) => {
    const routes: Record<string, number> = {}
    const reportIds: string[] = []
    for (const r of out.results) if ('id' in r) { reportIds.push(r.id); routes[r.route] = (routes[r.route] ?? 0) + 1 }
    return out.submitted === 0 ? null : { action: 'reports.submit-batch', details: { submitted: out.submitted, refused: out.refused, routes, reportIds } }
  }
})

export const reportsListOp = defineOp({
  name: 'reports.list',
  summary: 'reports, newest first',
  authority: 'read',
  http: { method: 'GET', path: '/v1/reports' },
  input: (z) => z.strictObject({
    direction: z.enum(['inbound', 'outbound', 'unroutable']).optional(),
    status: z.enum(REPORT_STATUSES).optional(),
    // served by the report index's rows by hoster, ASN and country
    hoster: z.string().max(256).optional(),
    asn: field.integer(z, 1, 4294967295).optional(),
    country: z.string().max(8).optional(),
    limit: field.integer(z, 1, 100_000).optional()
  }),
  output: { type: 'object', required: ['reports'], properties: { reports: { type: 'array', items: ref('ReportView') } } },
  run: async (c, filter) => ({ reports: await (await c.reports()).list(filter) })
})

export const reportsStatsOp = defineOp({
  name: 'reports.stats',
  summary: 'counts by status, time to removal, hosters with reports open too long',
  authority: 'read',
  http: { method: 'GET', path: '/v1/reports/stats' },
  input: (z) => z.strictObject({ by: z.enum(STATS_GROUPS).optional(), since: z.string().max(64).optional() }),
  output: anyObject,
  run: async (c, q) => await (await c.reports()).stats(q)
})

export const reportsOutboxOp = defineOp({
  name: 'reports.outbox',
  summary: 'messages waiting for a receipt',
  authority: 'read',
  http: { method: 'GET', path: '/v1/reports/outbox' },
  input: (z) => z.strictObject({ limit: field.integer(z, 0, 1_000_000).optional().describe('items listed, oldest first (0: the depths only, no read of the queue)') }),
  output: { type: 'object', required: ['depth', 'byPeer', 'items'], properties: { depth: { type: 'integer' }, byPeer: { type: 'object', additionalProperties: { type: 'integer' } }, items: { type: 'array', items: anyObject } } },
  run: async (c, { limit }) => {
    const reports = await c.reports()
    // a poll of the depth reads nothing: listing a backlog decodes every item
    if (c.running && limit === 0) return { depth: reports.outboxDepth(), byPeer: reports.outbox.depthByPeer(), items: [] }
    const items = (await reports.outbox.list()).slice(0, limit)
    if (c.running) return { depth: reports.outboxDepth(), byPeer: reports.outbox.depthByPeer(), items }
    // a stopped node keeps no depth counters: the stored items are the queue
    const byPeer: Record<string, number> = {}
    for (const i of items) byPeer[i.targetPeerId] = (byPeer[i.targetPeerId] ?? 0) + 1
    return { depth: items.length, byPeer, items }
  }
})

export const reportsRejectionsOp = defineOp({
  name: 'reports.rejections',
  summary: 'inbound report messages refused since start',
  authority: 'read',
  http: { method: 'GET', path: '/v1/reports/rejections' },
  input: noInput,
  output: anyObject,
  run: async (c) => (await c.reports()).rejections()
})

export const reportsCountsOp = defineOp({
  name: 'reports.counts',
  summary: 'reports held by direction and status',
  authority: 'read',
  http: { method: 'GET', path: '/v1/reports/counts' },
  input: noInput,
  output: ref('ReportCounts'),
  run: async (c) => await (await c.reports()).reportCounts()
})

export const reportsRetentionOp = defineOp({
  name: 'reports.retention',
  summary: 'delete closed reports older than the retention period now (counts are kept)',
  authority: 'change',
  http: { method: 'POST', path: '/v1/reports/retention' },
  input: noInput,
  output: { type: 'object', required: ['deleted'], properties: { deleted: { type: 'integer' } } },
  run: async (c) => ({ deleted: await (await c.reports()).runRetention() }),
  audit: (_i, { deleted }) => ({ action: 'reports.retention', details: { deleted } })
})

export const reportsShowOp = defineOp({
  name: 'reports.show',
  summary: 'one report with its timeline',
  authority: 'read',
  http: { method: 'GET', path: '/v1/reports/:id' },
  input: (z) => z.strictObject({ id: reportId(z) }),
  output: ref('ReportView'),
  run: async (c, { id }) => await (await c.reports()).show(id)
})

export const reportsUpdateOp = defineOp({
  name: 'reports.update',
  summary: 'record progress on a report we are responsible for',
  authority: 'change',
  http: { method: 'POST', path: '/v1/reports/:id/status' },
  input: (z) => z.strictObject({ id: reportId(z), status: z.enum(UPDATE_STATUSES), note: z.string().max(4096).optional() }),
  output: ref('ReportView'),
  run: async (c, { id, status, note }) => await (await c.reports()).update(id, status, note),
  audit: ({ note }, v) => ({ action: 'reports.update', details: { reportId: v.id, status: v.status, origin: v.origin, withNote: note !== undefined && note.trim() !== '' } })
})

export const reportsReopenOp = defineOp({
  name: 'reports.reopen',
  summary: 'correct a report\'s status backwards (removed → assessed, …): an explicit reopen with a reason',
  authority: 'change',
  http: { method: 'POST', path: '/v1/reports/:id/reopen' },
  input: (z) => z.strictObject({ id: reportId(z), reason: z.string().min(1).max(4096), status: z.enum(REOPEN_STATUSES).optional() }),
  output: ref('ReportView'),
  run: async (c, { id, reason, status }) => await (await c.reports()).reopen(id, reason, status),
  audit: (_i, v) => ({ action: 'reports.reopen', details: { reportId: v.id, status: v.status, origin: v.origin } })
})

/** Offline data only (GeoIP, ASN, the CIDR table); DNS for a host name. */
export const traceOp = defineOp({
  name: 'trace',
  summary: 'where a URL or IP is hosted: addresses, country, AS number and name, the member responsible',
  authority: 'read',
  http: { method: 'GET', path: '/v1/trace' },
  input: (z) => z.strictObject({ target: z.string().min(1).max(8192).meta({ description: 'a URL, host name or IP address' }) }),
  output: anyObject,
  run: async (c, { target }) => await (await c.reports()).trace(target)
})
