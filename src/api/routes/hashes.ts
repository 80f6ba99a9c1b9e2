import { Readable } from 'node:stream'
import type { FastifyInstance } from 'fastify'
import type { HashfedNode } from '../../node/hashfed-node.js'
import { isHashfedError, ErrorCodes } from '../../errors.js'
import { FORMAT_NAMES } from '../../formats/format.js'
import { ALGORITHMS } from '../../log/hash-value.js'
import { CLASSIFICATIONS } from '../../log/entry.js'

const importBody = {
  type: 'object',
  additionalProperties: false,
  required: ['path', 'format'],
  properties: {
    path: { type: 'string', minLength: 1, description: 'absolute path of the file on the node\'s machine' },
    format: { type: 'string', enum: [...FORMAT_NAMES] },
    classification: { type: 'string', enum: [...CLASSIFICATIONS] },
    source: { type: 'string', maxLength: 200 },
    algorithm: { type: 'string', enum: [...ALGORITHMS] }
  }
} as const

const exportQuery = {
  type: 'object',
  additionalProperties: false,
  required: ['format'],
  properties: {
    format: { type: 'string', enum: [...FORMAT_NAMES] },
    origin: { type: 'string' },
    algorithm: { type: 'string', enum: [...ALGORITHMS] }
  }
} as const

const retractBody = {
  type: 'object',
  additionalProperties: false,
  required: ['ref', 'reason'],
  properties: { ref: { type: 'string', maxLength: 400 }, reason: { type: 'string', minLength: 1, maxLength: 500 } }
} as const

/** Hash-list routes. Import answers NDJSON: progress lines, then one `summary` (or `error`) line. */
export function registerHashRoutes (app: FastifyInstance, node: HashfedNode): void {
  app.post('/v1/hashes/import', { schema: { body: importBody } }, async (req, reply) => {
    const body = req.body as { path: string, format: string, classification?: string, source?: string, algorithm?: string }
    reply.hijack()
    const res = reply.raw
    res.writeHead(200, { 'content-type': 'application/x-ndjson' })
    const line = (obj: unknown): void => { res.write(JSON.stringify(obj) + '\n') }
    try {
      const summary = await node.hashLists.import(body, (progress) => line({ progress }))
      line({ summary })
    } catch (err) {
      line({ error: isHashfedError(err) ? { code: err.code, message: err.message, details: err.details } : { code: ErrorCodes.INTERNAL, message: 'internal error' } })
      if (!isHashfedError(err)) node.log.error({ err }, 'import failed')
    }
    res.end()
  })

  app.get('/v1/hashes/export', { schema: { querystring: exportQuery } }, async (req, reply) => {
    const q = req.query as { format: string, origin?: string, algorithm?: string }
    const chunks = node.hashLists.export(q)
    return await reply.type('text/plain; charset=utf-8').send(Readable.from(chunks))
  })

  app.post('/v1/hashes/retract', { schema: { body: retractBody } }, async (req) => {
    const { ref, reason } = req.body as { ref: string, reason: string }
    return await node.hashLists.retract(ref, reason)
  })

  app.get('/v1/hashes/show', { schema: { querystring: { type: 'object', required: ['ref'], properties: { ref: { type: 'string' } } } } }, async (req) => {
    return await node.hashLists.show((req.query as { ref: string }).ref)
  })

  app.get('/v1/hashes/origins', async () => ({ origins: node.hashLists.listOrigins() }))

  app.get('/v1/hashes/forks', async () => {
    const forks = await node.hashLog.forks()
    return {
      forks: forks.map(f => ({
        origin: f.origin,
        name: node.ctx.federation.nameOf(f.origin),
        seq: f.seq,
        keptHash: Buffer.from(f.keptHash).toString('hex'),
        refusedHash: Buffer.from(f.refusedHash).toString('hex'),
        reportedBy: f.reportedBy ?? null,
        detectedAt: new Date(f.detectedMs).toISOString()
      }))
    }
  })
}
