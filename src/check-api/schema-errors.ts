import type { FastifySchemaValidationError } from 'fastify'

/**
 * Fastify's `schemaErrorFormatter` for the check API: a refused field is named (Ajv's own
 * message says only "must NOT have additional properties"), with the fields that are known.
 * Needs Ajv's `verbose` option for `parentSchema`.
 */
export function schemaErrorMessage (errors: FastifySchemaValidationError[], dataVar: string): Error {
  const e = errors[0] as FastifySchemaValidationError & { parentSchema?: { properties?: Record<string, unknown> } }
  const where = `${dataVar}${e.instancePath ?? ''}`
  if (e.keyword === 'additionalProperties') {
    const field = String((e.params as { additionalProperty?: string }).additionalProperty)
    const known = Object.keys(e.parentSchema?.properties ?? {})
    return new Error(`${where}: unknown field "${field}"${known.length > 0 ? ` (known: ${known.join(', ')})` : ''}`)
  }
  return new Error(`${where} ${e.message ?? 'is invalid'}`)
}
