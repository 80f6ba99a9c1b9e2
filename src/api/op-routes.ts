import { Readable } from 'node:stream'
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify'
import { z } from 'zod'
import { hfError, isHashfedError, ErrorCodes } from '../errors.js'
import type { AnyOperation, OpIO } from '../ops/operation.js'
import { pathParams } from '../ops/operation.js'
import { parseOpInput, runOperation } from '../ops/run-op.js'
import { inputSchema } from '../ops/input-schema.js'
import type { ComponentAccess } from '../node/component-access.js'
import type { AdminNode } from './admin-node.js'
import { nodeRequestActor } from './request-actor.js'
import { spoolUpload } from './upload-spool.js'
import { MAX_IMPORT_BYTES } from './constants.js'

/** Fastify does not validate operation input: `parseOpInput` does, with the words the CLI uses too. */
const notValidated = (): ((data: unknown) => true) => () => true

/**
 * Registers one admin route per operation of the table: its input is the query (GET) or the
 * JSON body (POST) plus the path's parameters, parsed by the operation's schema; the answer is
 * the operation's output; the audit record is written by the operation runner.
 */
export function registerOpRoutes (app: FastifyInstance, node: AdminNode, access: ComponentAccess, ops: readonly AnyOperation[]): void {
  for (const op of ops) {
    if (op.transport === 'upload') {
      registerUpload(app, node, access, op)
      continue
    }
    app.route({
      method: op.http.method,
      url: op.http.path,
      schema: openApiSchema(op),
      validatorCompiler: notValidated,
      ...(op.http.bodyLimit !== undefined ? { bodyLimit: op.http.bodyLimit(node.ctx) } : {}),
      handler: async (req: FastifyRequest, reply: FastifyReply) => {
        const out = await runOperation(op, access, rawInput(op, req), nodeRequestActor(req, node))
        if (op.transport === 'stream') return await reply.type('text/plain; charset=utf-8').send(Readable.from(out as AsyncIterable<string>))
        return await reply.status(op.http.status ?? 200).send(out)
      }
    } satisfies RouteOptions)
  }
}

/** The request's fields as the operation reads them: a GET's query or a POST's body, and the path's parameters. */
function rawInput (op: AnyOperation, req: FastifyRequest): unknown {
  const params = req.params as Record<string, string>
  const fields = op.http.method === 'GET' ? req.query : (req.body ?? {})
  if (pathParams(op).length === 0) return fields
  if (fields === null || typeof fields !== 'object' || Array.isArray(fields)) return fields
  for (const p of pathParams(op)) {
    if (p in fields) throw hfError(ErrorCodes.INVALID_ARGUMENT, `unknown field "${p}" (it is part of the path)`, { field: p })
  }
  return { ...fields, ...params }
}

/**
 * An upload: the input in the query, the file's bytes as the body (the node opens no path a
 * request names), spooled to the node's uploads folder and read from there; the answer is
 * NDJSON: progress lines, then one `summary` (or `error`) line.
 */
function registerUpload (app: FastifyInstance, node: AdminNode, access: ComponentAccess, op: AnyOperation): void {
  app.register(async (scope) => {
    scope.addContentTypeParser('application/octet-stream', (_req, payload, done) => { done(null, payload) })
    scope.route({
      method: 'POST',
      url: op.http.path,
      schema: openApiSchema(op),
      validatorCompiler: notValidated,
      handler: async (req, reply) => {
        parseOpInput(op, req.query) // a bad query is refused before the body is read
        if (req.body !== undefined && !(req.body instanceof Readable)) {
          throw hfError(ErrorCodes.INVALID_ARGUMENT, 'send the hash list\'s bytes as the body, with content-type application/octet-stream', { contentType: req.headers['content-type'] ?? null })
        }
        const upload = await spoolUpload(req.body, node.ctx.dir.uploads, MAX_IMPORT_BYTES)
        reply.hijack()
        const res = reply.raw
        res.writeHead(200, { 'content-type': 'application/x-ndjson' })
        const line = (obj: unknown): void => { res.write(JSON.stringify(obj) + '\n') }
        const io: OpIO = { upload: { open: upload.open, bytes: upload.bytes }, progress: (progress) => line({ progress }) }
        try {
          line({ summary: await runOperation(op, access, req.query, nodeRequestActor(req, node), io) })
        } catch (err) {
          line({ error: isHashfedError(err) ? { code: err.code, message: err.message, details: err.details } : { code: ErrorCodes.INTERNAL, message: 'internal error' } })
          if (!isHashfedError(err)) node.log.error({ err }, `${op.name} failed`)
        } finally {
          await upload.remove()
        }
        res.end()
      }
    })
  })
}

const jsonSchema = (schema: z.ZodType): Record<string, unknown> => z.toJSONSchema(schema, { target: 'openapi-3.0', io: 'input', unrepresentable: 'any' }) as Record<string, unknown>

/** The route's OpenAPI entry, from the operation's declaration. */
function openApiSchema (op: AnyOperation): Record<string, unknown> {
  const params = pathParams(op)
  const input = inputSchema(op)
  const fields = jsonSchema(params.length > 0 ? input.omit(Object.fromEntries(params.map(p => [p, true])) as never) : input)
  const response = op.output !== undefined ? { [op.http.status ?? 200]: op.output } : {}
  return {
    summary: op.summary,
    ...(op.http.method === 'GET' || op.transport === 'upload' ? { querystring: fields } : { body: fields }),
    ...(op.transport === 'upload' ? { consumes: ['application/octet-stream'], body: { description: 'the file\'s bytes' } } : {}),
    ...(params.length > 0 ? { params: { type: 'object', required: params, properties: Object.fromEntries(params.map(p => [p, jsonSchema(input.shape[p] as z.ZodType)])) } } : {}),
    response
  }
}
