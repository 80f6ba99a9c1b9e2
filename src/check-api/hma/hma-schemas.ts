// JSON Schemas of the HMA routes: Fastify validates requests with them and the OpenAPI
// document (../openapi.ts) publishes them. Shapes follow HMA's pydantic models
// (OpenMediaMatch/schemas/*.py); fields HMA lacks are our extensions, named in descriptions.
import { CLASSIFICATIONS } from '../../log/entry.js'
import { SIGNAL_TYPE_NAMES } from './signal-types.js'
import { batchRef, entryMetadata } from '../check-schemas.js'
export { noQuery } from '../check-schemas.js'

const signalType = { type: 'string', maxLength: 32, description: `signal type: ${SIGNAL_TYPE_NAMES.join(', ')} (vpdq: not yet)` } as const
const signal = { type: 'string', maxLength: 400, description: 'the hash, lower-case hex' } as const
const banks = { type: 'string', maxLength: 4000, description: 'comma-separated bank names: member names, optionally `<name>:<classification>`' } as const
const flag = (description: string): Record<string, unknown> => ({ type: 'boolean', description })
const seed = { type: 'string', maxLength: 200, description: 'accepted for HMA clients; unused (the kill switch is 0 or 1, no coin flip)' } as const
const bypassCoinflip = { type: 'boolean', description: 'accepted for HMA clients when false; true is refused (a switched-off list is never served)' } as const
const types = { type: 'string', maxLength: 200, description: 'comma-separated signal types to compute (default: all for the content type)' } as const

export const rawLookupQuery = {
  type: 'object',
  additionalProperties: false,
  required: ['signal_type', 'signal'],
  properties: { signal_type: signalType, signal, banks, include_distance: flag('list {bank_content_id, distance} objects instead of bare ids') }
} as const

export const lookupQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    signal_type: signalType,
    signal,
    banks,
    seed,
    bypass_coinflip: bypassCoinflip,
    url: { type: 'string', maxLength: 4000, description: 'refused: this node never fetches URLs; POST the file to /m/lookup' },
    content_type: { type: 'string', maxLength: 32, description: 'with url only; refused with it' },
    types
  }
} as const

export const hashUploadQuery = { type: 'object', additionalProperties: false, properties: { types } } as const

export const lookupUploadQuery = {
  type: 'object',
  additionalProperties: false,
  properties: { types, banks, seed, bypass_coinflip: bypassCoinflip }
} as const

export const indexStatusQuery = { type: 'object', additionalProperties: false, properties: { signal_type: signalType } } as const

export const bankParams = {
  type: 'object',
  additionalProperties: false,
  required: ['bank_name'],
  properties: { bank_name: { type: 'string', minLength: 1, maxLength: 200 } }
} as const

export const contentParams = {
  type: 'object',
  additionalProperties: false,
  required: ['bank_name', 'content_id'],
  properties: { bank_name: { type: 'string', minLength: 1, maxLength: 200 }, content_id: { type: 'integer', minimum: 1, maximum: Number.MAX_SAFE_INTEGER } }
} as const

export const contentQuery = {
  type: 'object',
  additionalProperties: false,
  properties: { include_signals: flag('add the entry\'s hash as `signals`'), include_metadata: flag('add `metadata` (default true)') }
} as const

export const compareBody = {
  type: 'object',
  minProperties: 1,
  maxProperties: 8,
  additionalProperties: { type: 'array', minItems: 2, maxItems: 2, items: signal },
  description: '{ "<signal type>": ["<hash>", "<hash>"] }'
} as const

export const uploadBody = {
  type: 'object',
  description: 'one file, in a field named after its content type; sent as multipart/form-data',
  minProperties: 1,
  maxProperties: 1,
  properties: { photo: { type: 'string', format: 'binary' }, video: { type: 'string', format: 'binary' } }
} as const

// responses

export const hmaError = {
  type: 'object',
  required: ['message'],
  properties: {
    message: { type: 'string' },
    code: { type: 'string', description: 'our stable error code (README "Error codes"); HMA sends message only' }
  }
} as const

export const classification = { type: 'string', enum: [...CLASSIFICATIONS], description: 'our extension: the origin\'s classification of the entry' } as const

export const match = {
  type: 'object',
  additionalProperties: false,
  required: ['bank_content_id', 'distance', 'classification'],
  properties: {
    bank_content_id: { type: 'integer', minimum: 1, maximum: Number.MAX_SAFE_INTEGER },
    distance: { type: 'string', description: 'Hamming distance for pdq and blockhash, "-" for exact types (as HMA)' },
    classification
  }
} as const

export const hashResponse = {
  type: 'object',
  description: 'one key per signal type computed',
  additionalProperties: { type: 'string', pattern: '^[0-9a-f]+$' }
} as const

export const rawLookupResponse = {
  type: 'object',
  additionalProperties: false,
  required: ['matches'],
  properties: { matches: { type: 'array', items: { oneOf: [{ type: 'integer', minimum: 1 }, match] } } }
} as const

export const lookupResponse = { type: 'object', description: '{ "<bank>": [match, …] }', additionalProperties: { type: 'array', items: match } } as const

export const lookupUploadResponse = { type: 'object', description: '{ "<signal type>": { "<bank>": [match, …] } }', additionalProperties: lookupResponse } as const

export const compareResponse = {
  type: 'object',
  description: '{ "<signal type>": [matches, {"distance": n}] }; exact types give an empty object',
  additionalProperties: {
    type: 'array',
    minItems: 2,
    maxItems: 2,
    items: { oneOf: [{ type: 'boolean' }, { type: 'object', additionalProperties: false, properties: { distance: { type: 'integer', minimum: 0 } } }] }
  }
} as const

export const indexStatusResponse = {
  type: 'object',
  additionalProperties: {
    type: 'object',
    additionalProperties: false,
    required: ['present', 'built_to', 'size'],
    properties: { present: { type: 'boolean' }, built_to: { type: 'integer', description: 'unix seconds: the index is live, so the time it last changed (or was loaded)' }, size: { type: 'integer', minimum: 0 } }
  }
} as const

export const bankConfig = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'matching_enabled_ratio'],
  properties: { name: { type: 'string' }, matching_enabled_ratio: { type: 'number', enum: [0, 1], description: 'the kill switch: 0 switched off, 1 matched' } }
} as const

export const banksResponse = { type: 'array', items: bankConfig } as const

export const provenance = {
  type: 'object',
  additionalProperties: false,
  required: ['origin', 'peerId', 'algorithm', 'value', 'classification', 'batch'],
  description: 'our provenance of the entry: who vouches for it and the signed batch that says so',
  properties: {
    origin: { type: 'string', description: 'member name of the hotline' },
    peerId: { type: 'string' },
    algorithm: { type: 'string' },
    value: { type: 'string' },
    ...entryMetadata,
    classification,
    batch: batchRef
  }
} as const

export const bankContentResponse = {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'disable_until_ts', 'bank'],
  properties: {
    id: { type: 'integer' },
    disable_until_ts: { type: 'integer', description: 'always 0: entries are retracted at the origin, not disabled' },
    bank: bankConfig,
    signals: { type: 'object', additionalProperties: { type: 'string' } },
    metadata: {
      type: 'object',
      additionalProperties: false,
      properties: {
        content_id: { type: 'string', description: 'the entry\'s source id, when the origin gave one' },
        json: provenance
      }
    }
  }
} as const
