import { hfError, ErrorCodes, isHashfedError, type ErrorCode } from '../errors.js'

/**
 * Why the courier refused an inbound message. The `reason` is short and stable (it names a
 * counter and is sent back to the sender); the message says what to fix. A kind's handlers
 * add reasons of their own (any string); these are the ones the courier itself gives.
 */
export type CourierRejectReason =
  | 'malformed' | 'bad-signature' | 'not-member' | 'relayed' | 'wrong-target' | 'unknown-kind' | 'too-large' | 'internal'
  /** the member's inbound quota is spent for now (HF_RATE_LIMITED): retry later */
  | 'quota'

/**
 * Refusals that an honest member running this version never causes: each is an offence that
 * feeds the peer's penalties. A kind adds its own (`InboxInit.offences`).
 */
export const COURIER_OFFENCES: ReadonlySet<string> = new Set<CourierRejectReason>(['malformed', 'bad-signature', 'relayed', 'unknown-kind', 'too-large'])

export function rejection (reason: string, message: string, code: ErrorCode = ErrorCodes.PROTOCOL): Error {
  return hfError(code, message, { reason })
}

/** The reason of a rejection error; anything unexpected counts as `internal`. */
export function rejectReason (err: unknown): string {
  if (isHashfedError(err) && typeof err.details?.reason === 'string') return err.details.reason
  return 'internal'
}
