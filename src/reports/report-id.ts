import { hfError, ErrorCodes } from '../errors.js'
import { UUID } from './report-validation.js'

/** The shortest prefix of a report id accepted (the dashboard shows 8 characters). */
export const MIN_ID_PREFIX = 8

/**
 * A full report id from the id or any unique prefix of MIN_ID_PREFIX+ characters (as shown
 * in lists). HF_NOT_FOUND when nothing matches, HF_INVALID_ARGUMENT when the prefix is
 * ambiguous or too short.
 */
export function resolveReportId (text: string, ids: Iterable<string>): string {
  const id = text.trim().toLowerCase()
  if (UUID.test(id)) return id
  if (!/^[0-9a-f-]+$/.test(id)) throw hfError(ErrorCodes.NOT_FOUND, `no report ${text.slice(0, 80)} on this node: a report id is a UUID or its first ${MIN_ID_PREFIX}+ characters`, { id: text.slice(0, 80) })
  if (id.length < MIN_ID_PREFIX) throw hfError(ErrorCodes.INVALID_ARGUMENT, `report id "${id}" is too short: give at least ${MIN_ID_PREFIX} characters`, { field: 'id' })
  const matches: string[] = []
  for (const candidate of ids) {
    if (candidate.startsWith(id)) matches.push(candidate)
    if (matches.length > 5) break
  }
  if (matches.length === 0) throw hfError(ErrorCodes.NOT_FOUND, `no report ${id} on this node`, { id })
  if (matches.length > 1) {
    throw hfError(ErrorCodes.INVALID_ARGUMENT, `report id "${id}" is ambiguous: it starts ${matches.length > 5 ? 'more than 5' : matches.length} reports (${matches.slice(0, 5).join(', ')}); give more characters`, { field: 'id', matches: matches.slice(0, 5) })
  }
  return matches[0]
}
