import type { FastifyError } from 'fastify'
import { hfError, ErrorCodes } from '../errors.js'

/**
 * Framework errors of the check API as typed ones: the 415 names what the route takes (a
 * raw upload without Content-Type used to get a bare "Unsupported Media Type"), and the
 * multipart plugin's limits become 413 (HMA's one-file rule: 400).
 */
export function translateCheckError (err: FastifyError, accepted: string[] | undefined, maxFileBytes: number): Error | undefined {
  switch (err.code) {
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_INVALID_MULTIPART_CONTENT_TYPE':
      return hfError(ErrorCodes.UNSUPPORTED_MEDIA, accepted === undefined
        ? 'this route takes no request body'
        : `send Content-Type ${accepted.join(' or ')}`, { accepted: accepted ?? [] })
    case 'FST_REQ_FILE_TOO_LARGE':
      return hfError(ErrorCodes.TOO_LARGE, `the file is larger than ${maxFileBytes} bytes`, { maxBytes: maxFileBytes })
    case 'FST_FILES_LIMIT':
      return hfError(ErrorCodes.INVALID_ARGUMENT, 'Only one file allowed per request')
    case 'FST_PARTS_LIMIT':
    case 'FST_FIELDS_LIMIT':
      return hfError(ErrorCodes.TOO_LARGE, 'the form has more parts than one file')
    case 'FST_PROTO_VIOLATION':
    case 'FST_MP_PREMATURE_CLOSE':
      return hfError(ErrorCodes.INVALID_ARGUMENT, err.message)
    default:
      return undefined
  }
}
