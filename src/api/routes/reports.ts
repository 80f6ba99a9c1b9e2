import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { AdminNode } from '../admin-node.js'
import { hfError, ErrorCodes } from '../../errors.js'
import { CLASSIFICATIONS } from '../../log/entry.js'
import { REPORT_MEDIA, type SubmitInput } from '../../reports/report-input.js'
import { REPORT_STATUSES, UPDATE_STATUSES } from '../../reports/report-status.js'
import { STATS_GROUPS } from '../../reports/report-stats.js'
import type { ListFilter, ReportDirection } from '../../reports/report-service.js'
import { auditLogOf } from '../../audit/audit-log.js'
import { reportSubmitDetails, reportUpdateDetails } from '../../audit/audit-details.js'
import { nodeRequestActor } from '../request-actor.js'
import { emptyBodyAsObject, noFieldsSchema, noQuerySchema } from '../schemas.js'
import { ref } from '../response-schemas.js'

const anyObject = { type: 'object', additionalProperties: true } as const

/** POST /v1/reports. There is no field for the reporter's identity, and no unknown field passes. */
export const submitReportSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['url'],
  properties: {
    url: { type: 'string', minLength: 1, maxLength: 8192 },
    ip: { type: 'string', maxLength: 64 },
    country: { type: 'string', maxLength: 8 },
    hoster: { type: 'string', maxLength: 256 },
    asn: { type: 'integer', minimum: 1, maximum: 4294967295 },
    classification: { type: 'string', enum: [...CLASSIFICATIONS] },
    media: { type: 'string', enum: [...REPORT_MEDIA] },
    hashes: { type: 'array', maxItems: 100, items: { type: 'string', maxLength: 400 } },
    note: { type: 'string', maxLength: 4096 }
  }
} as const

export const updateReportSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['status'],
  properties: {
    status: { type: 'string', enum: [...UPDATE_STATUSES] },
    note: { type: 'string', maxLength: 4096 }
  }
} as const

export const listReportsQuerySchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    direction: { type: 'string', enum: ['inbound', 'outbound', 'unroutable'] },
    status: { type: 'string', enum: [...REPORT_STATUSES] },
    limit: { type: 'integer', minimum: 1, maximum: 100000 }
  }
} as const

export const reportStatsQuerySchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    by: { type: 'string', enum: [...STATS_GROUPS] },
    since: { type: 'string', maxLength: 64 }
  }
} as const

const idParamsSchema = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', maxLength: 64 } }
} as const

/**
 * Fastify's validator drops properties a schema does not list (removeAdditional) instead of
 * refusing them; a report must refuse them, so that a `reporter` or `email` sent by a client
 * is an error the client sees, never silently accepted.
 */
function refuseUnknown (schema: { properties: Record<string, unknown> }, part: 'body' | 'query') {
  const known = new Set(Object.keys(schema.properties))
  return async (req: FastifyRequest): Promise<void> => {
    const value = req[part]
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return
    for (const key of Object.keys(value)) {
      if (!known.has(key)) {
        throw hfError(ErrorCodes.INVALID_ARGUMENT, `unknown field "${key}" (allowed: ${[...known].join(', ')})${part === 'body' ? '; hashfed keeps no reporter identity' : ''}`, { field: key })
      }
    }
  }
}

/** The reports API: thin wrappers over `node.reports`, so the CLI and API share one behaviour. */
export function registerReportRoutes (app: FastifyInstance, node: AdminNode): void {
  app.post('/v1/reports', { schema: { summary: 'sign a URL report and route it to the hotline of the hosting country', body: submitReportSchema, response: { 201: ref('ReportView') } }, preValidation: refuseUnknown(submitReportSchema, 'body') }, async (req, reply) => {
    const view = await node.reports.submit(req.body as SubmitInput)
    await auditLogOf(node.ctx.store).record('reports.submit', reportSubmitDetails(view), nodeRequestActor(req, node))
    return await reply.status(201).send(view)
  })

  app.get('/v1/reports', { schema: { summary: 'reports, newest first', querystring: listReportsQuerySchema, response: { 200: { type: 'object', required: ['reports'], properties: { reports: { type: 'array', items: ref('ReportView') } } } } }, preValidation: refuseUnknown(listReportsQuerySchema, 'query') }, async (req) => {
    const q = req.query as { direction?: ReportDirection, status?: string, limit?: number }
    const filter: ListFilter = { direction: q.direction, status: q.status, limit: q.limit }
    return { reports: await node.reports.list(filter) }
  })

  app.get('/v1/reports/stats', { schema: { summary: 'counts by status, time to removal, hosters with reports open too long', querystring: reportStatsQuerySchema, response: { 200: anyObject } }, preValidation: refuseUnknown(reportStatsQuerySchema, 'query') }, async (req) => {
    return await node.reports.stats(req.query as { by?: string, since?: string })
  })

  app.get('/v1/reports/outbox', {
    schema: {
      summary: 'messages waiting for a receipt',
      querystring: noQuerySchema,
      response: { 200: { type: 'object', required: ['depth', 'byPeer', 'items'], properties: { depth: { type: 'integer' }, byPeer: { type: 'object', additionalProperties: { type: 'integer' } }, items: { type: 'array', items: anyObject } } } }
    }
  }, async () => ({
    depth: node.reports.outboxDepth(),
    byPeer: node.reports.outbox.depthByPeer(),
    items: await node.reports.outbox.list()
  }))

  app.get('/v1/reports/rejections', { schema: { summary: 'inbound report messages refused since start', querystring: noQuerySchema, response: { 200: anyObject } } }, async () => node.reports.rejections())

  /** report queues for the dashboard: totals by direction and by status */
  app.get('/v1/reports/counts', { schema: { summary: 'reports held by direction and status', querystring: noQuerySchema, response: { 200: ref('ReportCounts') } } }, async () => await node.reports.reportCounts())

  app.post('/v1/reports/retention', {
    schema: { summary: 'delete closed reports older than the retention period now (counts are kept)', body: noFieldsSchema, response: { 200: { type: 'object', required: ['deleted'], properties: { deleted: { type: 'integer' } } } } },
    preValidation: emptyBodyAsObject
  }, async (req) => {
    const deleted = await node.reports.runRetention()
    await auditLogOf(node.ctx.store).record('reports.retention', { deleted }, nodeRequestActor(req, node))
    return { deleted }
  })

  app.get('/v1/reports/:id', { schema: { summary: 'one report with its timeline', params: idParamsSchema, querystring: noQuerySchema, response: { 200: ref('ReportView') } } }, async (req) => {
    return await node.reports.show((req.params as { id: string }).id)
  })

  app.post('/v1/reports/:id/status', { schema: { summary: 'record progress on a report we are responsible for', params: idParamsSchema, body: updateReportSchema, response: { 200: ref('ReportView') } }, preValidation: refuseUnknown(updateReportSchema, 'body') }, async (req) => {
    const body = req.body as { status: string, note?: string }
    const view = await node.reports.update((req.params as { id: string }).id, body.status, body.note)
    await auditLogOf(node.ctx.store).record('reports.update', reportUpdateDetails(view, body.note), nodeRequestActor(req, node))
    return view
  })
}
