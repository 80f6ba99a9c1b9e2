import type { FastifyInstance } from 'fastify'
import { hfError, ErrorCodes } from '../../errors.js'
import { hashUpload } from './hashing.js'
import type { HmaContext } from './hma-context.js'
import { hashUploadQuery } from './hma-schemas.js'
import { readUpload } from './upload.js'

/** HMA's `/h` blueprint (OpenMediaMatch/blueprints/hashing.py). */
export function registerHashingRoutes (app: FastifyInstance, ctx: HmaContext): void {
  // HMA's GET fetches a URL; a node never fetches what a request names (no SSRF, no imagery pulled in)
  app.get('/h/hash', async () => {
    throw hfError(ErrorCodes.INVALID_ARGUMENT, 'this node never fetches URLs: POST the file to /h/hash as multipart/form-data (field photo or video)')
  })

  app.post('/h/hash', { schema: { querystring: hashUploadQuery } }, async (req) => {
    const upload = await readUpload(req)
    return await hashUpload(ctx.images, upload, (req.query as { types?: string }).types, req.hoster)
  })
}
