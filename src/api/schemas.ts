import type { FastifyRequest } from 'fastify'

/** JSON schemas of admin API request bodies (Fastify validates them; OpenAPI reuses them). */
export const memberBodySchema = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'peerId'],
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 64 },
    peerId: { type: 'string' },
    countries: { type: 'array', items: { type: 'string' } },
    addresses: { type: 'array', items: { type: 'string' } },
    mirrorOf: { type: 'string' }
  }
} as const

/** GET routes with no query parameters: an unknown one is refused like an unknown body field. */
export const noQuerySchema = { type: 'object', additionalProperties: false, properties: {} } as const

/** POST routes that take no fields: `{}` (what the CLI sends) or no body at all. */
export const noFieldsSchema = { type: 'object', additionalProperties: false, properties: {} } as const

/** preValidation of a `noFieldsSchema` route: a missing body counts as `{}` instead of failing "body must be object". */
export async function emptyBodyAsObject (req: FastifyRequest): Promise<void> {
  if (req.body === undefined || req.body === null) req.body = {}
}
