import { u64 } from '../log/uint64.js'
import { pb } from '../proto/index.js'
import { sameBytes, type Signed } from '../courier/signed-record.js'
import type { StatusUpdate } from './report-codec.js'
import type { StoredReport, StoredReportInit } from './report-store.js'
import { decodeStoredReport, decodeTimeline } from './report-view.js'

/**
 * The report with one more status update, kept in arrival order. The status shown is that of
 * the responsible hotline's update with the highest sequence number (its own order; updates
 * may arrive out of order, and a signed time decides nothing), and the removal time that of
 * its first REMOVED after its last reopen (status-rules.ts): a reopened report is open again
 * and counts no removal. Updates by anyone else (kept by older versions) count for nothing.
 */
export function withUpdate (stored: StoredReport, signed: Signed, update: StatusUpdate, now: number): StoredReportInit {
  const target = decodeStoredReport(stored).target
  const timeline = [...stored.timeline, signed]
  const updates = [...decodeTimeline(stored), update].filter(u => sameBytes(u.author, target)).sort((a, b) => a.seq - b.seq)
  const latest = updates[updates.length - 1]
  let removedMs = 0
  for (const u of updates) {
    if (u.reopen) removedMs = 0
    if (u.status === pb.ReportStatus.REMOVED && removedMs === 0) removedMs = u64(u.atMs)
  }
  return { ...stored, timeline, status: latest?.status ?? stored.status, removedMs, updatedMs: now }
}
