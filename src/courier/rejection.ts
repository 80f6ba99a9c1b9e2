import { hfError, ErrorCodes, isHashfedError, type ErrorCode } from '../errors.js'
import type { ReasonList } from '../observe/reasons.js'

/**
 * Why the courier refused an inbound message. The `reason` is short and stable (it names a
 * counter and is sent back to the sender); the message says what to fix. A kind's handlers
 * add reasons of their own (`InboxInit.reasons`); these are the ones the courier itself gives.
 */
export const COURIER_REJECT_REASONS = {
  malformed: 'the message does not decode or breaks the message rules',
  'bad-signature': 'the signature is not the signer\'s over the body',
  'not-member': 'the sender is not a federation member',
  relayed: 'the sender is not the signer of the record (members send their own records)',
  'wrong-target': 'the message is addressed to another member',
  'unknown-kind': 'a message kind this node does not accept',
  'too-large': 'over the size limits of a message',
  internal: 'our own failure to store it: the sender retries',
  quota: 'the member\'s inbound quota is spent for now (HF_RATE_LIMITED): retry later'
} as const satisfies ReasonList<string>

export type CourierRejectReason = keyof typeof COURIER_REJECT_REASONS

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
