import { SYNC_REJECT_REASONS, type SyncRejectReason } from '../sync/reject-reasons.js'
import { REPORT_OFFENCE_REASONS, type ReportOffence } from '../reports/rejection.js'
import type { ReasonList } from '../observe/reasons.js'

/** An offence the penalties count: every sync rejection, and the report protocol's offences prefixed `report:`. */
export type OffenceReason = SyncRejectReason | `report:${ReportOffence}`

/**
 * Every offence that counts towards cutting a member off: the `reason` label of
 * hashfed_peer_offences_total and the keys of `penalties.byReason` in status.
 */
export const OFFENCE_REASONS: ReasonList<OffenceReason> = {
  ...SYNC_REJECT_REASONS,
  ...Object.fromEntries(Object.entries(REPORT_OFFENCE_REASONS).map(([r, doc]) => [`report:${r}`, `report protocol: ${doc}`])) as Record<`report:${ReportOffence}`, string>
}
