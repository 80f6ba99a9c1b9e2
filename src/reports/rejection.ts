import { hfError, ErrorCodes, isHashfedError, type ErrorCode } from '../errors.js'

/**
 * Why an inbound report message was refused. The `reason` is short and stable (it names a
 * counter and is sent back to the sender); the message says what to fix.
 */
export type RejectReason =
  | 'malformed' | 'bad-signature' | 'not-member' | 'relayed' | 'wrong-target' | 'not-party'
  | 'unknown-report' | 'id-conflict' | 'unknown-kind' | 'too-large' | 'internal'

export function rejection (reason: RejectReason, message: string, code: ErrorCode = ErrorCodes.PROTOCOL): Error {
  return hfError(code, message, { reason })
}

/** The reason of a rejection error; anything unexpected counts as `internal`. */
export function rejectReason (err: unknown): RejectReason {
  if (isHashfedError(err) && typeof err.details?.reason === 'string') return err.details.reason as RejectReason
  return 'internal'
}
