// JSON Schemas of the check API's own routes (/v1/*): Fastify validates requests with them and
// the OpenAPI document (openapi.ts) publishes them with the response shapes of check-service.ts.
import { ALGORITHMS } from '../log/hash-value.js'
import { CLASSIFICATIONS } from '../log/entry.js'
import { DIHEDRAL_TRANSFORMS } from '../hashing/pdq-dihedral.js'
import { z } from 'zod'
import { checkRequestSchema, hosterFeedbackSchema } from '../check/check-requests.js'

const algorithm = { type: 'string', maxLength: 16, description: `${ALGORITHMS.join(', ')} (aliases such as sha2 and pdna are read too)` } as const

/** Routes without query parameters refuse any, by name. */
export const noQuery = { type: 'object', additionalProperties: false, properties: {} } as const

/** The check and feedback request bodies: JSON Schema of the one declaration in check/check-requests.ts. */
export const checkBody = jsonSchemaOf(checkRequestSchema(z))
export const feedbackBody = jsonSchemaOf(hosterFeedbackSchema(z))

function jsonSchemaOf (schema: z.ZodType): Record<string, unknown> {
  const { $schema: _, ...json } = z.toJSONSchema(schema, { target: 'draft-7' }) as Record<string, unknown>
  return json
}

/** Where an entry was published: its origin's signed batch (seq, index in it, batch hash). */
export const batchRef = {
  type: 'object',
  additionalProperties: false,
  required: ['origin', 'seq', 'index', 'hash'],
  properties: { origin: { type: 'string' }, seq: { type: 'integer' }, index: { type: 'integer' }, hash: { type: 'string' } }
} as const

const classification = { type: 'string', enum: [...CLASSIFICATIONS] } as const

/** What an origin published with an entry: in match answers and in HMA's content provenance. */
export const entryMetadata = {
  classification,
  iwfCategory: { type: 'string' },
  vicsCategory: { type: 'integer' },
  ageBand: { type: 'string' },
  media: { type: 'string' },
  tags: { type: 'array', items: { type: 'string' } },
  source: { type: 'string' },
  quality: { type: 'integer' }
} as const

export const matchOrigin = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'peerId', 'batch'],
  properties: {
    name: { type: 'string', description: 'member name of the hotline (its peer ID when no longer a member)' },
    peerId: { type: 'string' },
    ...entryMetadata,
    lowQuality: { type: 'boolean', enum: [true], description: 'the stored PDQ hash has quality below 50' },
    batch: batchRef
  }
} as const

export const checkMatch = {
  type: 'object',
  additionalProperties: false,
  required: ['algorithm', 'value', 'distance', 'classification', 'origins'],
  properties: {
    algorithm: { type: 'string', enum: [...ALGORITHMS] },
    value: { type: 'string' },
    distance: { type: 'integer', minimum: 0 },
    classification: { ...classification, description: 'the most severe among the origins; "national" for hashes published without one (README)' },
    transform: { type: 'string', enum: DIHEDRAL_TRANSFORMS.filter(t => t !== 'original'), description: 'the query matched after this rotation or mirror of the stored image' },
    frame: {
      type: 'object',
      additionalProperties: false,
      required: ['frameNumber', 'timestamp'],
      description: 'a frame of a stored video (algorithm vpdq) matched the image',
      properties: { frameNumber: { type: 'integer', minimum: 0 }, timestamp: { type: 'number', minimum: 0 } }
    },
    origins: { type: 'array', items: matchOrigin },
    held: { type: 'boolean', enum: [true], description: 'the hash is held on this node (it matched too many hosters, or an operator held it): do not act on it as a match' },
    heldSince: { type: 'string', description: 'ISO 8601 time the hold began' },
    heldReason: { type: 'string' },
    suppressed: {
      type: 'object',
      additionalProperties: false,
      required: ['by', 'byPeerId', 'reason', 'benignValue', 'distance'],
      description: 'a trusted member published this value (or one within the benign PDQ distance) as benign',
      properties: { by: { type: 'string' }, byPeerId: { type: 'string' }, reason: { type: 'string' }, benignValue: { type: 'string' }, distance: { type: 'integer', minimum: 0 } }
    }
  }
} as const

export const checkResult = {
  type: 'object',
  additionalProperties: false,
  required: ['algorithm', 'value', 'matches'],
  properties: {
    algorithm: { type: 'string', enum: [...ALGORITHMS] },
    value: { type: 'string' },
    quality: { type: 'integer' },
    lowQuality: { type: 'boolean', enum: [true] },
    matches: { type: 'array', items: checkMatch },
    held: { type: 'boolean', enum: [true], description: 'a matched hash is held here: see heldMatches' },
    heldMatches: { type: 'array', items: checkMatch, description: 'matches on held hashes (not in matches)' },
    suppressed: { type: 'array', items: checkMatch, description: 'matches a trusted member\'s benign entry covers (not in matches)' }
  }
} as const

export const checkResponse = { type: 'object', additionalProperties: false, required: ['results'], properties: { results: { type: 'array', items: checkResult } } } as const

export const imageCheckResponse = {
  type: 'object',
  additionalProperties: false,
  required: ['image', 'results'],
  properties: {
    image: { type: 'object', additionalProperties: false, required: ['format', 'width', 'height'], properties: { format: { type: 'string' }, width: { type: 'integer' }, height: { type: 'integer' } } },
    results: { type: 'array', items: checkResult }
  }
} as const

export const feedbackResponse = {
  type: 'object',
  additionalProperties: false,
  required: ['feedback'],
  properties: { feedback: { type: 'array', items: { type: 'object', additionalProperties: false, required: ['id', 'origin'], properties: { id: { type: 'string' }, origin: { type: 'string' } } } } }
} as const

export const healthResponse = { type: 'object', additionalProperties: false, required: ['ok'], properties: { ok: { type: 'boolean' } } } as const

export const errorResponse = {
  type: 'object',
  additionalProperties: false,
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      additionalProperties: false,
      required: ['code', 'message'],
      properties: { code: { type: 'string', description: 'stable code, README "Error codes"' }, message: { type: 'string' }, details: { type: 'object' } }
    }
  }
} as const
