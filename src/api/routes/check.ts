import type { FastifyInstance } from 'fastify'
import type { AdminNode } from '../admin-node.js'
import { ALGORITHMS } from '../../log/hash-value.js'
import { CLASSIFICATIONS } from '../../log/entry.js'
import type { CheckQuery } from '../../check/check-service.js'
import { CHECK_BYTES_PER_HASH } from '../../check/constants.js'
import { auditLogOf } from '../../audit/audit-log.js'
import { nodeRequestActor } from '../request-actor.js'

const originBody = {
  type: 'object',
  additionalProperties: false,
  required: ['origin'],
  properties: { origin: { type: 'string', minLength: 1, maxLength: 128, description: 'member name or peer ID' } }
} as const

const tokenBody = {
  type: 'object',
  additionalProperties: false,
  required: ['name'],
  properties: { name: { type: 'string', minLength: 1, maxLength: 64 } }
} as const

const createTokenBody = {
  type: 'object',
  additionalProperties: false,
  required: ['name'],
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 64 },
    token: { type: 'string', maxLength: 100, description: 'register this token instead of generating one (mirrors behind one load balancer share tokens)' }
  }
} as const

const checkBody = {
  type: 'object',
  additionalProperties: false,
  required: ['hashes'],
  properties: {
    hashes: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['algorithm', 'value'],
        properties: { algorithm: { type: 'string', maxLength: 16 }, value: { type: 'string', maxLength: 400 }, quality: { type: 'integer', minimum: 0, maximum: 100 } }
      }
    }
  }
} as const

const feedbackBody = {
  type: 'object',
  additionalProperties: false,
  required: ['ref', 'verdict'],
  properties: {
    ref: { type: 'string', maxLength: 400, description: 'ALG:VALUE of the stored hash' },
    verdict: { type: 'string', enum: ['confirmed', 'disputed'] },
    reason: { type: 'string', maxLength: 1000 }
  }
} as const

const addHashesBody = {
  type: 'object',
  additionalProperties: false,
  required: ['records'],
  properties: {
    records: {
      type: 'array',
      maxItems: 50_000,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['algorithm', 'value'],
        properties: { algorithm: { type: 'string', enum: [...ALGORITHMS] }, value: { type: 'string', maxLength: 400 }, quality: { type: 'integer', minimum: 0, maximum: 100 } }
      }
    },
    classification: { type: 'string', enum: [...CLASSIFICATIONS] },
    source: { type: 'string', maxLength: 200 }
  }
} as const

/** Match index, kill switch, check tokens, analyst checks, feedback and disputes, hashes of images. */
export function registerCheckRoutes (app: FastifyInstance, node: AdminNode): void {
  app.get('/v1/match/status', async () => node.match.status())

  for (const [verb, enabled] of [['disable', false], ['enable', true]] as const) {
    app.post(`/v1/match/${verb}`, { schema: { body: originBody } }, async (req) => {
      const res = await node.match.setEnabled((req.body as { origin: string }).origin, enabled)
      await auditLogOf(node.ctx.store).record(`match.${verb}`, { origin: res.name, peerId: res.peerId }, nodeRequestActor(req, node))
      return res
    })
  }

  app.get('/v1/tokens', async () => ({ tokens: node.check.tokens.list() }))

  app.post('/v1/tokens', { schema: { body: createTokenBody } }, async (req) => {
    const body = req.body as { name: string, token?: string }
    const res = await node.check.tokens.create(body.name, body.token !== undefined ? { token: body.token } : {})
    await auditLogOf(node.ctx.store).record('tokens.create', { name: res.info.name, prefix: res.info.prefix }, nodeRequestActor(req, node))
    return res
  })

  app.post('/v1/tokens/revoke', { schema: { body: tokenBody } }, async (req) => {
    const info = await node.check.tokens.revoke((req.body as { name: string }).name)
    await auditLogOf(node.ctx.store).record('tokens.revoke', { name: info.name, prefix: info.prefix }, nodeRequestActor(req, node))
    return info
  })

  // analysts' checks: the same service as the check API, without a token or rate limit
  app.post('/v1/check', { bodyLimit: Math.max(1024 * 1024, node.check.service.maxHashes * CHECK_BYTES_PER_HASH), schema: { body: checkBody } }, async (req) => {
    return { results: await node.check.service.check((req.body as { hashes: CheckQuery[] }).hashes) }
  })

  app.post('/v1/feedback', { schema: { body: feedbackBody } }, async (req, reply) => {
    const b = req.body as { ref: string, verdict: string, reason?: string }
    const sent = await node.check.feedback.send({ ...b, hoster: `analyst:${node.ctx.config.name}` })
    await auditLogOf(node.ctx.store).record('feedback.send', { ref: b.ref, verdict: b.verdict, origins: sent.map(s => s.name) }, nodeRequestActor(req, node))
    void reply.status(202)
    return { feedback: sent }
  })

  app.get('/v1/disputes', { schema: { querystring: { type: 'object', additionalProperties: false, properties: { all: { type: 'boolean' } } } } }, async (req) => {
    return { feedback: await node.check.feedback.list({ all: (req.query as { all?: boolean }).all === true }) }
  })

  app.post('/v1/hashes/add', { bodyLimit: 16 * 1024 * 1024, schema: { body: addHashesBody } }, async (req) => {
    const body = req.body as Parameters<AdminNode['hashLists']['addHashes']>[0]
    const res = await node.hashLists.addHashes(body)
    await auditLogOf(node.ctx.store).record('hashes.add', { records: body.records.length, classification: body.classification ?? null, source: body.source ?? null, ...res }, nodeRequestActor(req, node))
    return res
  })
}
