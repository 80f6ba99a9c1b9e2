import type { FastifyReply, FastifyRequest } from 'fastify'
import { hfError, ErrorCodes } from '../errors.js'

/**
 * `preValidation` of JSON routes: the raw-upload parsers (octet-stream, image/*, multipart) are
 * registered for the whole port, so without this a JSON route would parse an upload and answer
 * a schema error instead of the 415 that names what it takes.
 */
export function requireJson (req: FastifyRequest, _reply: FastifyReply, done: (err?: Error) => void): void {
  const type = req.headers['content-type']
  if (type === undefined || type === 'application/json' || type.startsWith('application/json;')) { done(); return }
  done(hfError(ErrorCodes.UNSUPPORTED_MEDIA, 'send Content-Type application/json', { accepted: ['application/json'] }))
}
