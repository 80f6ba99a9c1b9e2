import { BATCH_REJECT_REASONS } from '../log/batch.js'
import { isHashfedError } from '../errors.js'
import { isReason, type ReasonList } from '../observe/reasons.js'

/**
 * Why sync refused a batch or a session of a peer: the `reason` label of
 * hashfed_sync_batches_rejected_total, the keys of `rejected.byReason` in status, and the
 * offence reasons sync feeds the penalties. The batch reasons come from the log's verifier.
 */
export const SYNC_REJECT_REASONS = {
  ...BATCH_REJECT_REASONS,
  replay: 'a batch from before the requested range, served again',
  'foreign-heads': 'too many heads of origins that are not federation members',
  protocol: 'a message out of order or not allowed in the session (sync protocol breach)',
  abandoned: 'the peer ended the stream with requested ranges undelivered',
  'no-progress': 'nothing of a requested range stored for the session idle time',
  'peer-error': 'the peer answered a request it announced with an error',
  timeout: 'the peer sent or read nothing in time',
  flood: 'more sync sessions open at once than a peer may have',
  internal: 'a failure without a reason of its own (counted so that it is seen)'
} as const satisfies ReasonList<string>

export type SyncRejectReason = keyof typeof SYNC_REJECT_REASONS

/**
 * Why a session ended: a listed reason, `stream` when the connection or stream broke (nobody's
 * offence, not counted), `internal` for a typed error without a listed reason.
 */
export function syncErrorReason (err: unknown): SyncRejectReason | 'stream' {
  if (!isHashfedError(err)) return 'stream'
  const reason = err.details?.reason
  if (reason === 'stream') return 'stream'
  return isReason(SYNC_REJECT_REASONS, reason) ? reason : 'internal'
}
