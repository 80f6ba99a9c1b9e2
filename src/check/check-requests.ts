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
