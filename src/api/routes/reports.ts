import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { HashfedNode } from '../../node/hashfed-node.js'
import { hfError, ErrorCodes } from '../../errors.js'
import { CLASSIFICATIONS } from '../../log/entry.js'
import { REPORT_MEDIA, type SubmitInput } from '../../reports/report-input.js'
import { REPORT_STATUSES, UPDATE_STATUSES } from '../../reports/report-status.js'
import { STATS_GROUPS } from '../../reports/report-stats.js'
import type { ListFilter, ReportDirection } from '../../reports/report-service.js'

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
export function registerReportRoutes (app: FastifyInstance, node: HashfedNode): void {
  app.post('/v1/reports', { schema: { body: submitReportSchema }, preValidation: refuseUnknown(submitReportSchema, 'body') }, async (req, reply) => {
    const view = await node.reports.submit(req.body as SubmitInput)
    return await reply.status(201).send(view)
  })

  app.get('/v1/reports', { schema: { querystring: listReportsQuerySchema }, preValidation: refuseUnknown(listReportsQuerySchema, 'query') }, async (req) => {
    const q = req.query as { direction?: ReportDirection, status?: string, limit?: number }
    const filter: ListFilter = { direction: q.direction, status: q.status, limit: q.limit }
    return { reports: await node.reports.list(filter) }
  })

  app.get('/v1/reports/stats', { schema: { querystring: reportStatsQuerySchema }, preValidation: refuseUnknown(reportStatsQuerySchema, 'query') }, async (req) => {
    return await node.reports.stats(req.query as { by?: string, since?: string })
  })

  app.get('/v1/reports/outbox', async () => ({
    depth: node.reports.outboxDepth(),
    byPeer: node.reports.outbox.depthByPeer(),
    items: await node.reports.outbox.list()
  }))

  app.get('/v1/reports/rejections', async () => node.reports.rejections())

  app.post('/v1/reports/retention', async () => ({ deleted: await node.reports.runRetention() }))

  app.get('/v1/reports/:id', { schema: { params: idParamsSchema } }, async (req) => {
    return await node.reports.show((req.params as { id: string }).id)
  })

  app.post('/v1/reports/:id/status', { schema: { params: idParamsSchema, body: updateReportSchema }, preValidation: refuseUnknown(updateReportSchema, 'body') }, async (req) => {
    const body = req.body as { status: string, note?: string }
    return await node.reports.update((req.params as { id: string }).id, body.status, body.note)
  })
}
