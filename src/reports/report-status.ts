import { pb } from '../proto/index.js'
import { hfError, ErrorCodes } from '../errors.js'

/** What the responsible hotline records, as users write it (`reports update --status`). */
export const UPDATE_STATUSES = ['assessed', 'notice-sent', 'removed', 'not-illegal', 'unreachable'] as const
export type UpdateStatus = typeof UPDATE_STATUSES[number]

/**
 * Every status a report can show: `queued` (outbound, no receipt yet), `unroutable` (no member
 * covers its country), `received` (the responsible hotline holds it), then the updates.
 */
export const REPORT_STATUSES = ['queued', 'unroutable', 'received', ...UPDATE_STATUSES] as const
export type ReportStatusName = typeof REPORT_STATUSES[number]

/** A closed report is finished with; retention deletes it after `retentionDays`. */
export const CLOSED_STATUSES: ReadonlySet<ReportStatusName> = new Set(['removed', 'not-illegal', 'unreachable'])
/** Open at the hoster: counted for the "open past openAlertDays" list. */
export const OPEN_STATUSES: ReadonlySet<ReportStatusName> = new Set(['received', 'assessed', 'notice-sent'])

const TO_ENUM: Record<UpdateStatus | 'received', number> = {
  received: pb.ReportStatus.RECEIVED,
  assessed: pb.ReportStatus.ASSESSED,
  'notice-sent': pb.ReportStatus.NOTICE_SENT,
  removed: pb.ReportStatus.REMOVED,
  'not-illegal': pb.ReportStatus.NOT_ILLEGAL_CONTENT,
  unreachable: pb.ReportStatus.UNREACHABLE
}
const FROM_ENUM = new Map<number, UpdateStatus | 'received'>(Object.entries(TO_ENUM).map(([k, v]) => [v, k as UpdateStatus | 'received']))

export function statusToEnum (name: UpdateStatus | 'received'): number {
  return TO_ENUM[name]
}

/** The name of a wire status; null for UNSPECIFIED or a number this version does not know. */
export function statusFromEnum (value: number): UpdateStatus | 'received' | null {
  return FROM_ENUM.get(value) ?? null
}

export function parseUpdateStatus (text: string): UpdateStatus {
  const name = text.trim().toLowerCase().replace(/_/g, '-')
  const found = (UPDATE_STATUSES as readonly string[]).includes(name) ? name as UpdateStatus : name === 'not-illegal-content' ? 'not-illegal' : null
  if (found === null) throw hfError(ErrorCodes.INVALID_ARGUMENT, `status: "${text}" is not one of ${UPDATE_STATUSES.join(', ')}`, { field: 'status' })
  return found
}

export function parseStatusFilter (text: string): ReportStatusName {
  const name = text.trim().toLowerCase()
  if (!(REPORT_STATUSES as readonly string[]).includes(name)) throw hfError(ErrorCodes.INVALID_ARGUMENT, `status: "${text}" is not one of ${REPORT_STATUSES.join(', ')}`, { field: 'status' })
  return name as ReportStatusName
}
