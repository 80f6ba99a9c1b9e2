import { hfError, ErrorCodes, isHashfedError, type ErrorCode } from '../errors.js'

/**
 * Why an inbound report message was refused. The `reason` is short and stable (it names a
 * counter and is sent back to the sender); the message says what to fix.
 */
export type RejectReason =
  | 'malformed' | 'bad-signature' | 'not-member' | 'relayed' | 'wrong-target' | 'not-party'
  | 'unknown-report' | 'id-conflict' | 'unknown-kind' | 'too-large' | 'internal'
  /** fails the validation a local submit applies (HF_INVALID_REPORT) */
  | 'invalid-report'
  /** a report for a country this node does not cover */
  | 'wrong-country'
  /** a status update by a hotline that is not responsible for the report */
  | 'not-responsible'
  /** a signed time outside the window the receiver accepts */
  | 'bad-time'
  /** the report already has MAX_STATUS_UPDATES updates */
  | 'too-many-updates'
  /** the member's inbound quota is spent for now (HF_RATE_LIMITED): retry later */
  | 'quota'

/**
 * Refusals that an honest member running this version never causes: each is an offence
 * that feeds the peer's penalties (net/peer-penalties), the same count as sync's. The others
 * can follow from a federation file that is not yet the same everywhere (wrong target or
 * country, a report retention already deleted), a badly set clock, or our own failure, and
 * are only refused: the sender keeps the message and retries.
 */
export const OFFENCES: ReadonlySet<RejectReason> = new Set<RejectReason>([
  'malformed', 'bad-signature', 'relayed', 'not-party', 'id-conflict', 'unknown-kind', 'too-large', 'invalid-report', 'not-responsible'
])

export function rejection (reason: RejectReason, message: string, code: ErrorCode = ErrorCodes.PROTOCOL): Error {
  return hfError(code, message, { reason })
}

/** The reason of a rejection error; anything unexpected counts as `internal`. */
export function rejectReason (err: unknown): RejectReason {
  if (isHashfedError(err) && typeof err.details?.reason === 'string') return err.details.reason as RejectReason
  return 'internal'
}
