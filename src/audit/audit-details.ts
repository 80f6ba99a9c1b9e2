import type { ImportSummary } from '../lists/importer.js'
import type { ReportView } from '../reports/report-view.js'
import type { Member } from '../config/federation.js'

/**
 * What the audit log keeps of each operator action, the same whether the admin API or an
 * offline CLI did it. Never a reported URL, a note's text, a hash list's contents or a token.
 */

/** `file`: the path the offline CLI read, or the name an uploading client gave; `bytes`: an upload's size. */
export function importDetails (req: { file: string, bytes?: number, format: string, classification?: string, source?: string }, s: ImportSummary): Record<string, unknown> {
  return { file: req.file, bytes: req.bytes, format: req.format, classification: req.classification, source: req.source, added: s.added, updated: s.updated, retracted: s.retracted, rejected: s.rejectedCount, batches: s.batches }
}

export function retractDetails (ref: string, reason: string, res: { seq: number, retracted: number }): Record<string, unknown> {
  return { ref, reason, seq: res.seq, retracted: res.retracted }
}

export function reportSubmitDetails (v: ReportView): Record<string, unknown> {
  return { reportId: v.id, country: v.country, countrySource: v.countrySource, target: v.target, status: v.status }
}

export function reportUpdateDetails (v: ReportView, note: string | undefined): Record<string, unknown> {
  return { reportId: v.id, status: v.status, origin: v.origin, withNote: note !== undefined && note.trim() !== '' }
}

export function memberDetails (m: Member): Record<string, unknown> {
  return { name: m.name, peerId: m.peerId, countries: m.countries ?? [], addresses: m.addresses ?? [], mirrorOf: m.mirrorOf }
}
