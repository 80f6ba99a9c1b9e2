import type { z } from 'zod'
import { MAX_FEEDBACK_REASON, VERDICTS } from './constants.js'

/**
 * The request bodies of a hash check and of feedback on a match, declared once for the check
 * API (hosters) and the admin API and CLI (analysts), with the same strictness everywhere.
 * Builders over the zod module: a CLI call that only talks to a running node never loads zod.
 */
type Zod = typeof z

export const checkQuerySchema = (z: Zod) => z.strictObject({
  algorithm: z.string().max(16),
  value: z.string().max(400),
  quality: z.number().int().min(0).max(100).optional()
})

export const checkRequestSchema = (z: Zod) => z.strictObject({ hashes: z.array(checkQuerySchema(z)) })

const verdictFields = (z: Zod) => ({
  verdict: z.enum(VERDICTS),
  reason: z.string().max(MAX_FEEDBACK_REASON).optional()
})

/** Admin API and CLI: the stored hash as `ALG:VALUE`, as `check` shows it. */
export const feedbackRequestSchema = (z: Zod) => z.strictObject({ ref: z.string().max(400).meta({ description: 'ALG:VALUE of the stored hash' }), ...verdictFields(z) })

/** Check API: the hoster names the hash by its two parts. */
export const hosterFeedbackSchema = (z: Zod) => z.strictObject({ algorithm: z.string().max(16), value: z.string().max(400), ...verdictFields(z) })

/**
 * True when `body` is a check request exactly as `checkRequestSchema` accepts it (every field
 * known, strings within their limits, quality an integer 0-100): the check API's hot path then
 * uses it as is. Anything else, valid or not, goes through the zod schema, which gives the
 * error message; so this only ever saves work, it never decides a refusal
 * (test/check/check-request-shape.test.ts holds it to the schema).
 */
export function isPlainCheckRequest (body: unknown): body is { hashes: Array<{ algorithm: string, value: string, quality?: number }> } {
  if (typeof body !== 'object' || body === null || Object.getPrototypeOf(body) !== Object.prototype) return false
  let fields = 0
  for (const k in body) if (k !== 'hashes' || ++fields > 1) return false
  const hashes = (body as { hashes?: unknown }).hashes
  if (!Array.isArray(hashes)) return false
  for (const h of hashes) {
    if (typeof h !== 'object' || h === null || Object.getPrototypeOf(h) !== Object.prototype) return false
    const { algorithm, value, quality } = h as { algorithm?: unknown, value?: unknown, quality?: unknown }
    if (typeof algorithm !== 'string' || algorithm.length > 16 || typeof value !== 'string' || value.length > 400) return false
    let n = 2
    if (quality !== undefined) {
      if (typeof quality !== 'number' || !Number.isInteger(quality) || quality < 0 || quality > 100) return false
      n = 3
    }
    for (const k in h) if ((k !== 'algorithm' && k !== 'value' && k !== 'quality') || --n < 0) return false
    if (n !== 0) return false
  }
  return true
}
