import type { FastifyError, FastifyInstance } from 'fastify'
import multipart from '@fastify/multipart'
import { ErrorCodes, isHashfedError } from '../../errors.js'
import { errorStatus } from '../../http/error-reply.js'
import { translateCheckError } from '../error-translation.js'
import { registerCurationRoutes } from './curation-routes.js'
import { registerHashingRoutes } from './hashing-routes.js'
import type { HmaContext } from './hma-context.js'
import { registerMatchingRoutes } from './matching-routes.js'
import { registerStatusRoutes } from './status-routes.js'

export interface HmaRoutesInit extends HmaContext {
  /** config check.hma.prefix */
  prefix: string
  /** largest uploaded file */
  maxFileBytes: number
  /** the media types a route takes, by its URL (for the 415's message) */
  accepted: (url: string | undefined) => string[] | undefined
}

/**
 * Meta's Hasher-Matcher-Actioner API (OpenMediaMatch 2.0's blueprints) on the check port, in
 * its own scope: HMA's error body `{"message"}` (with our `code`), and multipart uploads read
 * into memory within limits (one file of at most maxFileBytes; one stray text field is let in
 * only so the 400 can name it).
 */
export async function registerHmaRoutes (app: FastifyInstance, init: HmaRoutesInit): Promise<void> {
  await app.register(async (scope) => {
    scope.setErrorHandler((raw: FastifyError, req, reply) => {
      const err = translateCheckError(raw, init.accepted(req.routeOptions.url), init.maxFileBytes) ?? raw
      if (isHashfedError(err)) {
        void reply.status(errorStatus(err.code)).send({ message: err.message, code: err.code })
        return
      }
      const e = err as FastifyError
      if (e.validation !== undefined) {
        void reply.status(400).send({ message: e.message, code: ErrorCodes.INVALID_ARGUMENT })
        return
      }
      if (e.statusCode === 413 || e.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
        void reply.status(413).send({ message: 'request body too large', code: ErrorCodes.TOO_LARGE })
        return
      }
      if (e.statusCode !== undefined && e.statusCode < 500) {
        void reply.status(e.statusCode).send({ message: e.message, code: ErrorCodes.INVALID_ARGUMENT })
        return
      }
      req.log.error({ err }, 'HMA request failed')
      void reply.status(500).send({ message: 'internal error', code: ErrorCodes.INTERNAL })
    })
    // one file, in memory (toBuffer in readUpload); a stray text field is let in only to be named in the 400
    await scope.register(multipart, { limits: { files: 1, fileSize: init.maxFileBytes, fields: 1, fieldSize: 1024, parts: 2, headerPairs: 100 } })
    registerHashingRoutes(scope, init)
    registerMatchingRoutes(scope, init)
    registerCurationRoutes(scope, init)
    registerStatusRoutes(scope, init.closing)
  }, { prefix: init.prefix })
}
