import type { Logger } from 'pino'
import { u64 } from '../log/uint64.js'
import { pb } from '../proto/index.js'
import { ErrorCodes } from '../errors.js'
import { peerIdFromBytes } from '../identity/identity.js'
import type { Courier } from '../courier/courier.js'
import { sameBytes, sentBy } from '../courier/signed-record.js'
import type { NodeContext } from '../context/node-context.js'
import { MAX_CLOCK_SKEW_MS, MAX_STATUS_UPDATES } from './constants.js'
import { openReport, openStatus, type StatusUpdate, type UrlReport } from './report-codec.js'
import { statusFromEnum } from './report-status.js'
import type { ReportStore } from './report-store.js'
import { withUpdate } from './report-timeline.js'
import { checkNote, checkSignedTime, UUID, validateReportRecord } from './report-validation.js'
import { decodeStoredReport, decodeTimeline } from './report-view.js'
import { rejection } from './rejection.js'
import { transitionError, type FromStatus } from './status-rules.js'

/**
 * The state machine (status-rules.ts) checked against the author's neighbouring updates by
 * sequence number. Updates can arrive out of order: a step is checked only where both ends
 * are held (seq 1 follows `received`).
 */
export function chainError (held: readonly StatusUpdate[], u: StatusUpdate): string | null {
  const name = (x: StatusUpdate): FromStatus => statusFromEnum(x.status) ?? 'received'
  const before = u.seq === 1 ? 'received' : held.find(t => t.seq === u.seq - 1)
  if (before !== undefined) {
    const wrong = transitionError(typeof before === 'string' ? before : name(before), name(u) as Exclude<FromStatus, 'received'>, u.reopen)
    if (wrong !== null) return wrong
  }
  const after = held.find(t => t.seq === u.seq + 1)
  return after === undefined ? null : transitionError(name(u), name(after) as Exclude<FromStatus, 'received'>, after.reopen)
}

/**
 * What this node accepts as the receiving hotline (reports addressed to it, status updates
 * of reports it sent) and what it keeps when a target receipts one of its reports.
 */
export function registerReportKinds (courier: Pick<Courier, 'register'>, deps: { ctx: NodeContext, logger: Logger, reports: ReportStore }): void {
  const { ctx, logger, reports } = deps
  const self = ctx.identity.peerId.toString()
  const member = (bytes: Uint8Array, what: string): string => {
    let peer: string
    try { peer = peerIdFromBytes(bytes).toString() } catch { throw rejection('malformed', `${what} is not a peer ID`) }
    // hotlines only: a mirror serves hash checks and neither reports nor handles reports
    if (!ctx.federation.isOrigin(peer)) throw rejection('not-member', `${what} ${peer} is not a member hotline of the federation`, ErrorCodes.NOT_A_MEMBER)
    return peer
  }

  courier.register<UrlReport>('report', {
    open: (signed, from, fromBytes) => {
      const r = openReport(signed, sentBy(fromBytes, (origin) => { member(origin, 'the report\'s origin') }))
      if (!sameBytes(r.target, ctx.identity.peerIdBytes)) throw rejection('wrong-target', `report ${r.id} is addressed to another hotline`)
      const id = UUID.test(r.id) ? r.id : '(bad id)'
      try {
        validateReportRecord(r, Date.now())
      } catch (err) {
        throw rejection('invalid-report', `report ${id}: ${(err as Error).message}`, ErrorCodes.INVALID_REPORT)
      }
      // the sender's federation file may be older than ours: refused, not an offence
      if (ctx.federation.forCountry(r.country)?.peerId !== self) throw rejection('wrong-country', `report ${id}: this hotline does not cover ${r.country}`, ErrorCodes.INVALID_REPORT)
      return { record: { author: r.origin, subject: r.id }, value: r }
    },
    store: async (r, signed, _from, now) => {
      const existing = await reports.get(r.id)
      if (existing !== undefined) {
        if (sameBytes(decodeStoredReport(existing).origin, r.origin)) return [] // the same report again (re-signed): keep the first
        throw rejection('id-conflict', `report id ${r.id} is already used by another origin`)
      }
      // names are looked up only for a line that is written (a backlog arrives at hundreds a second)
      if (logger.isLevelEnabled('info')) logger.info({ reportId: r.id, from: ctx.federation.nameOf(peerIdFromBytes(r.origin).toString()), country: r.country }, 'report received')
      return [reports.put(r.id, { report: signed, inbound: true, status: pb.ReportStatus.RECEIVED, updatedMs: now, receivedMs: now })]
    },
    // the target holds our report: keep its receipt with our copy
    delivered: async (item, receipt, record) => {
      const stored = await reports.get(item.subject)
      if (stored === undefined) return []
      const status = stored.status === pb.ReportStatus.REPORT_STATUS_UNSPECIFIED ? pb.ReportStatus.RECEIVED : stored.status
      if (logger.isLevelEnabled('info')) logger.info({ reportId: item.subject, target: ctx.federation.nameOf(peerIdFromBytes(item.target).toString()) }, 'report delivered')
      return [reports.put(item.subject, { ...stored, receipt, status, updatedMs: Math.max(u64(stored.updatedMs), u64(record.receivedMs)) })]
    }
  })

  courier.register<StatusUpdate>('status', {
    open: (signed, from, fromBytes) => {
      const u = openStatus(signed, sentBy(fromBytes, (author) => { member(author, 'the update\'s author') }))
      if (!UUID.test(u.reportId)) throw rejection('malformed', 'a status update names no report id')
      const status = statusFromEnum(u.status)
      let note = ''
      try { note = checkNote(u.note) } catch {}
      if (status === null || status === 'received' || u.seq < 1 || note !== u.note) throw rejection('malformed', `status update of ${u.reportId}: unknown status ${u.status}, seq ${u.seq}, or a note that is too long or not trimmed`)
      try {
        checkSignedTime('atMs', u.atMs, Date.now())
      } catch (err) {
        throw rejection('bad-time', `status update of ${u.reportId}: ${(err as Error).message}`)
      }
      return { record: { author: u.author, subject: u.reportId }, value: u }
    },
    store: async (u, signed, _from, now) => {
      const stored = await reports.get(u.reportId)
      if (stored === undefined) throw rejection('unknown-report', `no report ${u.reportId} here`)
      const r = decodeStoredReport(stored)
      // only the responsible hotline assesses, sends notices and sees removals
      if (sameBytes(u.author, r.origin)) throw rejection('not-responsible', `status update of ${u.reportId}: only the responsible hotline records a report's status, not its origin`, ErrorCodes.FORBIDDEN)
      if (!sameBytes(u.author, r.target)) throw rejection('not-party', `the author of a status update of ${u.reportId} is neither its origin nor its target`)
      if (u64(u.atMs) < u64(r.createdMs) - MAX_CLOCK_SKEW_MS) throw rejection('bad-time', `status update of ${u.reportId} is dated before the report was made`)
      if (decodeTimeline(stored).some(t => sameBytes(t.author, u.author) && t.seq === u.seq)) return []
      if (stored.timeline.length >= MAX_STATUS_UPDATES) throw rejection('too-many-updates', `report ${u.reportId} already has ${MAX_STATUS_UPDATES} status updates`)
      const wrong = chainError(decodeTimeline(stored).filter(t => sameBytes(t.author, u.author)), u)
      if (wrong !== null) throw rejection('bad-transition', `status update ${u.seq} of ${u.reportId}: ${wrong}`, ErrorCodes.INVALID_ARGUMENT)
      logger.info({ reportId: u.reportId, status: statusFromEnum(u.status), seq: u.seq }, 'report status received')
      return [reports.put(u.reportId, withUpdate(stored, signed, u, now))]
    }
  })
}
