import type { FastifyInstance, RouteOptions } from 'fastify'
import swagger from '@fastify/swagger'
import { sharedSchemas } from '../ops/response-schemas.js'

export interface OpenApiInit {
  title: string
  version: string
  description?: string
}

const ERROR_RESPONSE = { description: 'an error with a stable code (see the README\'s error codes)', $ref: 'HashfedError#' }

/**
 * Makes the route schemas the API's documentation: registers @fastify/swagger (it must see
 * every route, so this runs before any is added), the shared component schemas, an error
 * response on every route, and GET /openapi.json.
 *
 * Responses are written with JSON.stringify, not compiled from their schemas: a compiled
 * serializer silently drops fields a schema does not list, and a field added to a view must
 * never vanish from the API because its documentation lagged behind.
 */
export async function registerOpenApi (app: FastifyInstance, init: OpenApiInit): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: { title: init.title, version: init.version, ...(init.description !== undefined ? { description: init.description } : {}) },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'config api.token; required when the API listens off loopback' } } },
      security: [{ bearer: [] }]
    },
    // component names are the schemas' $id, not def-0, def-1
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => typeof json.$id === 'string' ? json.$id : `def-${i}` }
  })
  for (const schema of sharedSchemas) app.addSchema(schema)
  app.setSerializerCompiler(() => (data) => JSON.stringify(data))
  app.addHook('onRoute', (route: RouteOptions) => {
    const schema = (route.schema ?? {}) as { hide?: boolean, response?: Record<string, unknown> }
    if (schema.hide === true) return
    route.schema = { ...schema, response: { '4xx': ERROR_RESPONSE, '5xx': ERROR_RESPONSE, ...schema.response } }
  })
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger())
}
