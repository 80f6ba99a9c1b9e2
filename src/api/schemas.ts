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
