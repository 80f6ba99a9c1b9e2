import * as v1 from './check-schemas.js'
import { VIDEO_CHECK_RESPONSE } from './video-check-route.js'
import * as hma from './hma/hma-schemas.js'

export interface CheckApiDocInit {
  /** HMA route prefix (config check.hma.prefix), '' for HMA's own paths */
  prefix: string
  /** config check.hma.tokenHeader, when set */
  tokenHeader?: string
  maxImageBytes: number
  maxHashes: number
  rateLimit: number
}

type Schema = Record<string, unknown>
type Responses = Record<string, unknown>

const ERROR_TEXT: Record<number, string> = {
  400: 'invalid request: the message names the field or value',
  401: 'missing, unknown or revoked check token',
  404: 'no such bank or content',
  409: 'the bank_content_id names more than one entry of the bank (a collision): look up by signal',
  413: 'body or file larger than allowed, or too many hashes',
  415: 'body of a media type the route does not take: the message names the accepted types',
  429: 'over the per-token rate limit (Retry-After says when to retry), or too many images of this token waiting',
  503: 'the node is shutting down: retry on another node'
}

const json = (schema: unknown): Schema => ({ 'application/json': { schema } })

function errors (schema: unknown, statuses: number[]): Responses {
  return Object.fromEntries(statuses.map(s => [String(s), { description: ERROR_TEXT[s], content: json(schema) }]))
}

/** A query or path object schema as OpenAPI parameters. */
function parameters (where: 'query' | 'path', schema: { properties: Record<string, unknown>, required?: readonly string[] }): Schema[] {
  return Object.entries(schema.properties).map(([name, s]) => {
    const { description, ...rest } = s as { description?: string }
    return { name, in: where, required: where === 'path' || (schema.required?.includes(name) ?? false), schema: rest, ...(description !== undefined ? { description } : {}) }
  })
}

const upload = (maxImageBytes: number): Schema => ({
  required: true,
  description: `multipart/form-data with one file: field \`photo\` (JPEG, PNG, GIF, WebP; at most ${maxImageBytes} bytes) or \`video\` (file MD5 only). Held in memory, never written to disk.`,
  content: { 'multipart/form-data': { schema: hma.uploadBody } }
})

/**
 * The check port's OpenAPI 3.1 document (`GET /openapi.json`): our `/v1/*` routes and the
 * HMA routes under the configured prefix, with the request schemas the server validates with
 * and the response schemas the tests hold every answer to.
 */
export function checkApiDocument (init: CheckApiDocInit): Schema {
  const p = init.prefix
  const hmaErr = (...s: number[]): Responses => errors(hma.hmaError, s)
  const v1Err = (...s: number[]): Responses => errors(v1.errorResponse, s)
  const ok = (schema: unknown, description = 'answer'): Responses => ({ 200: { description, content: json(schema) } })
  const open: Schema[] = []
  const security: Schema[] = [{ bearer: [] }, ...(init.tokenHeader !== undefined ? [{ tokenHeader: [] }] : [])]
  const text = (example: string): Schema => ({ 'text/plain': { schema: { type: 'string' }, example } })
  return {
    openapi: '3.1.0',
    info: {
      title: 'hashfed check API',
      version: '1',
      description: 'Hash checks for hosters: our /v1 routes, and Meta\'s Hasher-Matcher-Actioner (OpenMediaMatch) API ' +
        `under "${p === '' ? '/' : p}" (README "For hosters running HMA"). At most ${init.rateLimit} requests per second per token.`
    },
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'a check token from `hashfed tokens create`' },
        ...(init.tokenHeader !== undefined ? { tokenHeader: { type: 'apiKey', in: 'header', name: init.tokenHeader, description: 'the same token, in the header an HMA proxy sends' } } : {})
      }
    },
    security,
    paths: {
      '/healthz': { get: { summary: 'liveness', security: open, responses: ok(v1.healthResponse) } },
      '/openapi.json': { get: { summary: 'this document', security: open, responses: ok({ type: 'object' }) } },
      '/v1/check': {
        post: {
          summary: `check up to ${init.maxHashes} hashes`,
          requestBody: { required: true, content: json(v1.checkBody) },
          responses: { ...ok(v1.checkResponse, 'results in query order'), ...v1Err(400, 401, 413, 415, 429, 503) }
        }
      },
      '/v1/check/image': {
        post: {
          summary: 'check an image: hashed in memory, then dropped',
          requestBody: { required: true, content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } }, 'image/*': { schema: { type: 'string', format: 'binary' } } } },
          responses: { ...ok(v1.imageCheckResponse), ...v1Err(400, 401, 413, 415, 429, 503) }
        }
      },
      '/v1/check/video': {
        post: {
          summary: 'check a video (raw body): its exact hashes and vPDQ, hashed in memory, then dropped; one at a time per token',
          requestBody: { required: true, content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } }, 'video/*': { schema: { type: 'string', format: 'binary' } } } },
          responses: { ...ok(VIDEO_CHECK_RESPONSE), ...v1Err(400, 401, 413, 415, 429, 503) }
        }
      },
      '/v1/check/file': {
        post: {
          summary: 'check any file (raw body) by its SHA-256, SHA-1 and MD5',
          requestBody: { required: true, content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } } },
          responses: { ...ok({ type: 'object', required: ['results'], properties: { results: VIDEO_CHECK_RESPONSE.properties.results } }), ...v1Err(400, 401, 413, 415, 429, 503) }
        }
      },
      '/v1/feedback': {
        post: {
          summary: 'confirm or dispute a match, to the hotlines that vouch for it',
          requestBody: { required: true, content: json(v1.feedbackBody) },
          responses: { 202: { description: 'sent to each origin', content: json(v1.feedbackResponse) }, ...v1Err(400, 401, 404, 413, 415, 429, 503) }
        }
      },
      [`${p}/h/hash`]: {
        get: {
          summary: 'HMA: hash a URL. Not served: this node never fetches URLs (POST the file)',
          responses: hmaErr(400, 401, 429, 503)
        },
        post: {
          summary: 'HMA: hash an uploaded file',
          parameters: parameters('query', hma.hashUploadQuery),
          requestBody: upload(init.maxImageBytes),
          responses: { ...ok(hma.hashResponse), ...hmaErr(400, 401, 413, 415, 429, 503) }
        }
      },
      [`${p}/m/raw_lookup`]: {
        get: {
          summary: 'HMA: the bank_content_ids matching a hash (switched-off lists are left out here too)',
          parameters: parameters('query', hma.rawLookupQuery),
          responses: { ...ok(hma.rawLookupResponse), ...hmaErr(400, 401, 429, 503) }
        }
      },
      [`${p}/m/lookup`]: {
        get: {
          summary: 'HMA: matches of a hash, by bank',
          parameters: parameters('query', hma.lookupQuery),
          responses: { ...ok(hma.lookupResponse), ...hmaErr(400, 401, 429, 503) }
        },
        post: {
          summary: 'HMA: hash an uploaded file and look up each signal type',
          parameters: parameters('query', hma.lookupUploadQuery),
          requestBody: upload(init.maxImageBytes),
          responses: { ...ok(hma.lookupUploadResponse), ...hmaErr(400, 401, 413, 415, 429, 503) }
        }
      },
      [`${p}/m/compare`]: {
        post: {
          summary: 'HMA: distance between two hashes per signal type',
          requestBody: { required: true, content: json(hma.compareBody) },
          responses: { ...ok(hma.compareResponse), ...hmaErr(400, 401, 413, 415, 429, 503) }
        }
      },
      [`${p}/m/index/status`]: {
        get: {
          summary: 'HMA: index status per signal type',
          parameters: parameters('query', hma.indexStatusQuery),
          responses: { ...ok(hma.indexStatusResponse), ...hmaErr(400, 401, 429, 503) }
        }
      },
      [`${p}/status`]: {
        get: {
          summary: 'HMA: readiness for load balancers (no token)',
          security: open,
          responses: { 200: { description: 'serving', content: text('I-AM-ALIVE') }, 503: { description: ERROR_TEXT[503], content: text('INDEX-NOT-LOADED') } }
        }
      },
      [`${p}/status/live`]: { get: { summary: 'HMA: liveness (no token)', security: open, responses: { 200: { description: 'alive', content: text('I-AM-ALIVE') } } } },
      [`${p}/c/banks`]: {
        get: { summary: 'HMA: banks (origins, and origins by classification)', responses: { ...ok(hma.banksResponse), ...hmaErr(400, 401, 429, 503) } }
      },
      [`${p}/c/bank/{bank_name}`]: {
        get: { summary: 'HMA: one bank', parameters: parameters('path', hma.bankParams), responses: { ...ok(hma.bankConfig), ...hmaErr(400, 401, 404, 429, 503) } }
      },
      [`${p}/c/bank/{bank_name}/content/{content_id}`]: {
        get: {
          summary: 'HMA: one entry of a bank, with its provenance (origin, signed batch, metadata)',
          parameters: [...parameters('path', hma.contentParams), ...parameters('query', hma.contentQuery)],
          responses: { ...ok(hma.bankContentResponse), ...hmaErr(400, 401, 404, 409, 429, 503) }
        }
      }
    }
  }
}
