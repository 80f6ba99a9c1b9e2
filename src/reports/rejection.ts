import { ErrorCodes, isHashfedError, type ErrorCode } from '../errors.js'
import { COURIER_REJECT_REASONS, rejection as courierRejection } from '../courier/rejection.js'
import { isReason, type ReasonList } from '../observe/reasons.js'

/**
 * Why an inbound report (or feedback) message was refused: the courier's own reasons and the
 * reports'. The `reason` is short and stable (it is the
 * `reason` label of hashfed_report_messages_rejected_total and is sent back to the sender);
 * the message says what to fix.
 */
export const REPORT_REJECT_REASONS = {
  ...COURIER_REJECT_REASONS,
  'not-party': 'the sender is not a party of the report it is about',
  'unknown-report': 'the report is not held here (retention may have deleted it)',
  'id-conflict': 'a different report under an id already held',
  'invalid-report': 'fails the validation a local submit applies (HF_INVALID_REPORT)',
  'wrong-country': 'a report for a country this node does not cover',
  'not-responsible': 'a status update by a hotline that is not responsible for the report',
  'bad-time': 'a signed time outside the window the receiver accepts',
  'too-many-updates': 'the report already has the most status updates a report may have',
  'bad-transition': 'a status update that breaks the status state machine (e.g. removed → assessed without a reopen)',
  'not-origin': 'a quarantine confirmation for a hash its signer does not vouch for',
  'unknown-hash': 'a quarantine confirmation for a hash nobody vouches for here (yet): retried'
} as const satisfies ReasonList<string>

export type ReportRejectReason = keyof typeof REPORT_REJECT_REASONS

/**
 * Refusals that an honest member running this version never causes: each is an offence
 * that feeds the peer's penalties (net/peer-penalties), the same count as sync's. The others
 * can follow from a federation file that is not yet the same everywhere (wrong target or
 * country, a report retention already deleted), a badly set clock, or our own failure, and
 * are only refused: the sender keeps the message and retries.
 */
const OFFENCE_LIST = [
  'malformed', 'bad-signature', 'relayed', 'not-party', 'id-conflict', 'unknown-kind', 'too-large', 'invalid-report', 'not-responsible', 'not-origin'
] as const satisfies readonly ReportRejectReason[]

export const OFFENCES: ReadonlySet<ReportRejectReason> = new Set<ReportRejectReason>(OFFENCE_LIST)

/** An offence of the report protocol as the penalties count it (prefixed `report:` there). */
export type ReportOffence = typeof OFFENCE_LIST[number] | 'quota-ignored'

/** The offences with their lines: OFFENCES, and a quota ignored. */
export const REPORT_OFFENCE_REASONS: ReasonList<ReportOffence> = {
  ...Object.fromEntries(OFFENCE_LIST.map(r => [r, REPORT_REJECT_REASONS[r]])) as Record<typeof OFFENCE_LIST[number], string>,
  'quota-ignored': 'report messages sent on while told to pause for the quota'
}

export function rejection (reason: ReportRejectReason, message: string, code: ErrorCode = ErrorCodes.PROTOCOL): Error {
  return courierRejection(reason, message, code)
}

/** The reason of a rejection error; anything unexpected counts as `internal`. */
export function rejectReason (err: unknown): ReportRejectReason {
  if (isHashfedError(err) && isReason(REPORT_REJECT_REASONS, err.details?.reason)) return err.details.reason as ReportRejectReason
  return 'internal'
}
