import type { FastifyError, FastifyInstance, FastifyRequest } from 'fastify'
import { ErrorCodes, isHashfedError, type ErrorCode } from '../errors.js'

/** HTTP status per error code; every error body is `{ error: { code, message, details? } }`. */
const STATUS: Partial<Record<ErrorCode, number>> = {
  HF_INVALID_ARGUMENT: 400,
  HF_INVALID_HASH: 400,
  HF_INVALID_FORMAT: 400,
  HF_INVALID_REPORT: 400,
  HF_UNKNOWN_COUNTRY: 422,
  HF_INVALID_FEDERATION: 400,
  HF_INVALID_CONFIG: 400,
  HF_NOT_FOUND: 404,
  HF_UNAUTHORIZED: 401,
  HF_FORBIDDEN: 403,
  HF_WRONG_HOST: 421,
  HF_CROSS_SITE: 403,
  HF_TOO_LARGE: 413,
  HF_INVALID_IMAGE: 400,
  HF_INVALID_VIDEO: 400,
  HF_VIDEO_DECODER_UNAVAILABLE: 503,
  HF_RATE_LIMITED: 429,
  HF_UNSUPPORTED_MEDIA: 415,
  HF_AMBIGUOUS: 409,
  HF_UNAVAILABLE: 503,
  HF_NODE_EXISTS: 409
}

/** The HTTP status of an error code (500 for codes that are not the client's doing). */
export function errorStatus (code: ErrorCode): number {
  return STATUS[code] ?? 500
}

export interface ErrorReplyOptions {
  /** turns a framework error into a typed one first (e.g. a 415 naming the route's accepted types) */
  translate?: (err: FastifyError, req: FastifyRequest) => Error | undefined
}

export function installErrorReplies (app: FastifyInstance, options: ErrorReplyOptions = {}): void {
  app.setErrorHandler((raw: FastifyError, req, reply) => {
    const err = (options.translate?.(raw, req) ?? raw) as FastifyError
    if (isHashfedError(err)) {
      void reply.status(STATUS[err.code] ?? 500).send({ error: { code: err.code, message: err.message, details: err.details } })
      return
    }
    if (err.validation !== undefined) {
      void reply.status(400).send({ error: { code: ErrorCodes.INVALID_ARGUMENT, message: err.message } })
      return
    }
    if (err.statusCode === 413 || err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      void reply.status(413).send({ error: { code: ErrorCodes.TOO_LARGE, message: 'request body too large' } })
      return
    }
    if (err.statusCode !== undefined && err.statusCode < 500) {
      void reply.status(err.statusCode).send({ error: { code: ErrorCodes.INVALID_ARGUMENT, message: err.message } })
      return
    }
    req.log.error({ err }, 'request failed')
    void reply.status(500).send({ error: { code: ErrorCodes.INTERNAL, message: 'internal error' } })
  })
  app.setNotFoundHandler((req, reply) => {
    void reply.status(404).send({ error: { code: ErrorCodes.NOT_FOUND, message: `no route ${req.method} ${req.url.split('?')[0]}` } })
  })
}
