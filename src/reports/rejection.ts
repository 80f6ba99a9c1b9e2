import { ErrorCodes, type ErrorCode } from '../errors.js'
import { COURIER_OFFENCES, rejection as courierRejection, type CourierRejectReason } from '../courier/rejection.js'

/**
 * Why an inbound report message was refused: the courier's own reasons and the reports'.
 * The `reason` is short and stable (it names a counter and is sent back to the sender).
 */
export type RejectReason = CourierRejectReason
  | 'not-party' | 'unknown-report' | 'id-conflict'
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

/**
 * Refusals that an honest member running this version never causes: each is an offence
 * that feeds the peer's penalties (net/peer-penalties), the same count as sync's. The others
 * can follow from a federation file that is not yet the same everywhere (wrong target or
 * country, a report retention already deleted), a badly set clock, or our own failure, and
 * are only refused: the sender keeps the message and retries.
 */
export const OFFENCES: ReadonlySet<string> = new Set<string>([...COURIER_OFFENCES, 'not-party', 'id-conflict', 'invalid-report', 'not-responsible'])

export function rejection (reason: RejectReason, message: string, code: ErrorCode = ErrorCodes.PROTOCOL): Error {
  return courierRejection(reason, message, code)
}
