import { Readable } from 'node:stream'
import type { FastifyInstance } from 'fastify'
import type { AdminNode } from '../admin-node.js'
import { hfError, isHashfedError, ErrorCodes } from '../../errors.js'
import { FORMAT_NAMES } from '../../formats/format.js'
import { ALGORITHMS } from '../../log/hash-value.js'
import { CLASSIFICATIONS } from '../../log/entry.js'
import { auditLogOf } from '../../audit/audit-log.js'
import { importDetails, retractDetails } from '../../audit/audit-details.js'
import { nodeRequestActor } from '../request-actor.js'
import { noQuerySchema } from '../schemas.js'
import { spoolUpload } from '../upload-spool.js'
import { MAX_IMPORT_BYTES } from '../constants.js'

const importQuery = {
  type: 'object',
  additionalProperties: false,
  required: ['format'],
  properties: {
    format: { type: 'string', enum: [...FORMAT_NAMES] },
    classification: { type: 'string', enum: [...CLASSIFICATIONS] },
    source: { type: 'string', maxLength: 200 },
    algorithm: { type: 'string', enum: [...ALGORITHMS] },
    name: { type: 'string', maxLength: 255, description: 'the file\'s name on the client, for the audit log' }
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
export function registerHashRoutes (app: FastifyInstance, node: AdminNode): void {
  // the list's bytes are the body: the node opens no path a request names
  app.register(async (scope) => {
    scope.addContentTypeParser('application/octet-stream', (_req, payload, done) => { done(null, payload) })
    scope.post('/v1/hashes/import', {
      schema: {
        summary: 'import a hash list into our origin log; the body is the file\'s bytes (application/octet-stream)',
        querystring: importQuery,
        // documentation only: no type, so the stream the parser hands on passes validation
        consumes: ['application/octet-stream'],
        body: { description: 'the hash list file\'s bytes' },
        response: { 200: { description: 'NDJSON: `{progress}` lines, then one `{summary}` or `{error}` line', content: { 'application/x-ndjson': { schema: { type: 'object', additionalProperties: true } } } } }
      }
    }, async (req, reply) => {
      const q = req.query as { format: string, classification?: string, source?: string, algorithm?: string, name?: string }
      if (req.body !== undefined && !(req.body instanceof Readable)) {
        throw hfError(ErrorCodes.INVALID_ARGUMENT, 'send the hash list\'s bytes as the body, with content-type application/octet-stream', { contentType: req.headers['content-type'] ?? null })
      }
      const upload = await spoolUpload(req.body, node.ctx.dir.uploads, MAX_IMPORT_BYTES)
      const importReq = { format: q.format, classification: q.classification, source: q.source, algorithm: q.algorithm }
      reply.hijack()
      const res = reply.raw
      res.writeHead(200, { 'content-type': 'application/x-ndjson' })
      const line = (obj: unknown): void => { res.write(JSON.stringify(obj) + '\n') }
      try {
        const summary = await node.hashLists.import(importReq, upload.open, (progress) => line({ progress }))
        await auditLogOf(node.ctx.store).record('hashes.import', importDetails({ ...importReq, file: q.name ?? 'upload', bytes: upload.bytes }, summary), nodeRequestActor(req, node))
        line({ summary })
      } catch (err) {
        line({ error: isHashfedError(err) ? { code: err.code, message: err.message, details: err.details } : { code: ErrorCodes.INTERNAL, message: 'internal error' } })
        if (!isHashfedError(err)) node.log.error({ err }, 'import failed')
      } finally {
        await upload.remove()
      }
      res.end()
    })
  })

  app.get('/v1/hashes/export', {
    schema: { summary: 'the current set in a format', querystring: exportQuery, response: { 200: { description: 'the file, streamed', content: { 'text/plain': { schema: { type: 'string' } } } } } }
  }, async (req, reply) => {
    const q = req.query as { format: string, origin?: string, algorithm?: string }
    const chunks = node.hashLists.export(q)
    return await reply.type('text/plain; charset=utf-8').send(Readable.from(chunks))
  })

  app.post('/v1/hashes/retract', {
    schema: { summary: 'retract one of our hashes', body: retractBody, response: { 200: { type: 'object', required: ['retracted', 'seq'], properties: { retracted: { type: 'integer' }, seq: { type: 'integer' } } } } }
  }, async (req) => {
    const { ref, reason } = req.body as { ref: string, reason: string }
    const res = await node.hashLists.retract(ref, reason)
    await auditLogOf(node.ctx.store).record('hashes.retract', retractDetails(ref, reason, res), nodeRequestActor(req, node))
    return res
  })

  app.get('/v1/hashes/show', {
    schema: {
      summary: 'which origins vouch for a hash',
      querystring: { type: 'object', additionalProperties: false, required: ['ref'], properties: { ref: { type: 'string', maxLength: 400 } } },
      response: { 200: { type: 'object', required: ['algorithm', 'value', 'origins'], properties: { algorithm: { type: 'string' }, value: { type: 'string' }, origins: { type: 'array', items: { type: 'object', additionalProperties: true } } } } }
    }
  }, async (req) => {
    return await node.hashLists.show((req.query as { ref: string }).ref)
  })

  app.get('/v1/hashes/origins', {
    schema: {
      summary: 'per origin: entries, retractions, head',
      querystring: noQuerySchema,
      response: {
        200: {
          type: 'object',
          required: ['origins'],
          properties: { origins: { type: 'array', items: { type: 'object', properties: { origin: { type: 'string' }, name: { type: 'string' }, entries: { type: 'integer' }, retractions: { type: 'integer' }, headSeq: { type: 'integer' }, headHash: { type: 'string' }, logEntries: { type: 'integer' } } } } }
        }
      }
    }
  }, async () => ({ origins: node.hashLists.listOrigins() }))

  app.get('/v1/hashes/forks', {
    schema: {
      summary: 'fork evidence: an origin signed two different batches for one sequence number',
      querystring: noQuerySchema,
      response: {
        200: {
          type: 'object',
          required: ['forks'],
          properties: { forks: { type: 'array', items: { type: 'object', properties: { origin: { type: 'string' }, name: { type: 'string' }, seq: { type: 'integer' }, keptHash: { type: 'string' }, refusedHash: { type: 'string' }, reportedBy: { type: ['string', 'null'] }, detectedAt: { type: 'string' } } } } }
        }
      }
    }
  }, async () => {
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
