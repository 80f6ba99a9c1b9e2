import type { FastifyRequest } from 'fastify'
import { hfError, ErrorCodes } from '../../errors.js'
import { CONTENT_TYPES, type ContentTypeName } from './signal-types.js'

export interface Upload {
  content: ContentTypeName
  /** the file's bytes: in memory only, dropped with the request */
  bytes: Buffer
}

const FIELD_NAMES = Object.keys(CONTENT_TYPES).join(' or ')

/** The 415 of every upload route, naming what it takes. */
export function notMultipart (): Error {
  return hfError(ErrorCodes.UNSUPPORTED_MEDIA, `send the file as multipart/form-data, in one file field named ${FIELD_NAMES} (e.g. curl -F photo=@image.jpg)`, { accepted: ['multipart/form-data'] })
}

/**
 * The one file of HMA's upload form (`POST /h/hash`, `POST /m/lookup`): its field name is the
 * content type. Read into memory by @fastify/multipart within the limits it was registered
 * with (one file, the image size limit, no other fields); nothing touches the disk.
 */
export async function readUpload (req: FastifyRequest): Promise<Upload> {
  if (!req.isMultipart()) throw notMultipart()
  let upload: Upload | undefined
  for await (const part of req.parts()) {
    if (part.type !== 'file') throw hfError(ErrorCodes.INVALID_ARGUMENT, `unexpected form field "${part.fieldname}": send one file field named ${FIELD_NAMES}`, { field: part.fieldname })
    if (upload !== undefined) throw hfError(ErrorCodes.INVALID_ARGUMENT, 'Only one file allowed per request')
    if (!(part.fieldname in CONTENT_TYPES)) {
      part.file.resume()
      throw hfError(ErrorCodes.INVALID_ARGUMENT, `no such content_type: '${part.fieldname}' (name the file field ${FIELD_NAMES})`, { field: part.fieldname })
    }
    const bytes = await part.toBuffer()
    upload = { content: part.fieldname as ContentTypeName, bytes }
  }
  if (upload === undefined || upload.bytes.length === 0) throw hfError(ErrorCodes.INVALID_ARGUMENT, `Missing multipart/form-data file upload (one file field named ${FIELD_NAMES})`)
  return upload
}
