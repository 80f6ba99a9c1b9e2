import { z } from 'zod'
import { hfError, ErrorCodes, type HashfedError } from '../errors.js'

/**
 * The one validation of operation input, for the admin API and the offline CLI alike, so a bad
 * input gets the same code (HF_INVALID_ARGUMENT) and the same words wherever it is given.
 */
export function parseWith<S extends z.ZodObject> (schema: S, raw: unknown, hint?: string): z.output<S> {
  const res = schema.safeParse(raw ?? {})
  if (res.success) return res.data
  throw inputError(schema, res.error.issues[0], raw, hint)
}

function inputError (schema: z.ZodObject, issue: z.core.$ZodIssue, raw: unknown, hint?: string): HashfedError {
  const field = issue.path.map(String).join('.')
  const given = valueAt(raw, issue.path)
  const name = field === '' ? 'the request' : field
  switch (issue.code) {
    case 'unrecognized_keys': {
      const key = issue.keys[0]
      const at = field === '' ? key : `${field}.${key}`
      const allowed = field === '' ? Object.keys(schema.shape).join(', ') : 'see the API documentation'
      return hfError(ErrorCodes.INVALID_ARGUMENT, `unknown field "${at}" (allowed: ${allowed})${hint ?? ''}`, { field: at })
    }
    case 'invalid_value':
      if (given === undefined) return hfError(ErrorCodes.INVALID_ARGUMENT, `${name} is required`, { field })
      return hfError(ErrorCodes.INVALID_ARGUMENT, `${name}: ${JSON.stringify(given)} is not one of ${issue.values.map(String).join(', ')}`, { field })
    case 'invalid_type':
      if (given === undefined) return hfError(ErrorCodes.INVALID_ARGUMENT, `${name} is required`, { field })
      return hfError(ErrorCodes.INVALID_ARGUMENT, `${name}: expected ${issue.expected === 'int' || issue.expected === 'number' ? 'a number' : issue.expected}, got ${JSON.stringify(given)}`, { field })
    case 'too_small':
    case 'too_big': {
      const bound = issue.code === 'too_small' ? issue.minimum : issue.maximum
      const word = issue.code === 'too_small' ? 'at least' : 'at most'
      const unit = issue.origin === 'string' ? ' characters' : issue.origin === 'array' ? ' items' : ''
      return hfError(ErrorCodes.INVALID_ARGUMENT, `${name}: ${word} ${String(bound)}${unit}`, { field })
    }
    default:
      return hfError(ErrorCodes.INVALID_ARGUMENT, `${name}: ${issue.message}`, { field })
  }
}

function valueAt (raw: unknown, path: PropertyKey[]): unknown {
  let v = raw
  for (const k of path) v = v !== null && typeof v === 'object' ? (v as Record<PropertyKey, unknown>)[k] : undefined
  return v
}
