// A year of URL reports at one node, written through ReportStore.write (the inbox's and the
// status updates' write path), for the report index test and the `reports` benchmark.
// Hosters get a Zipf-like share; each report gets a status timeline (assessed, notice sent,
// removed after hours to weeks, some never; some corrected back after a removal).
import { randomUUID } from 'node:crypto'
import { pb } from '../../src/proto/index.js'
import type { BatchOp } from '../../src/store/store.js'
import type { ReportStore, StoredReport } from '../../src/reports/report-store.js'
import { withUpdate } from '../../src/reports/report-timeline.js'
import { DAY_MS } from '../../src/reports/constants.js'
import { prng } from './crash.js'

const HOUR = 3_600_000
const SIG = new Uint8Array(64) // the index reads no signature: the year is not signed (see the benchmark)

export interface YearInit {
  reports: ReportStore
  /** the receiving hotline (author of the status updates, target of the inbound reports) */
  self: Uint8Array
  /** the foreign members that send reports */
  origins: Uint8Array[]
  count: number
  hosters: number
  endMs: number
  days?: number
  seed?: number
  /** share of reports we sent abroad (outbound, to origins[0]) and of unroutable ones */
  outbound?: number
  unroutable?: number
  /** reports per write (the inbox writes one; the final state is the same) */
  chunk?: number
  /**
   * write each report's last status only, not every step of its timeline (a bulk year in a
   * third of the time; the timeline stored is the same, the index sees one change per report)
   */
  lastOnly?: boolean
}

export interface Hoster { name: string, asn: number, country: string }

export function hosterTable (n: number): { hosters: Hoster[], pick: (u: number) => Hoster } {
  const hosters: Hoster[] = Array.from({ length: n }, (_, k) => ({
    name: `hoster-${k}`,
    asn: 64512 + Math.floor(k / 3),
    country: k % 10 === 9 ? ['BQ', 'CW', 'AW'][k % 3] : 'NL'
  }))
  const cum: number[] = []
  let total = 0
  for (let k = 0; k < n; k++) { total += 1 / (k + 1); cum.push(total) }
  const pick = (u: number): Hoster => {
    const x = u * total
    let lo = 0
    let hi = n - 1
    while (lo < hi) { const mid = (lo + hi) >> 1; if (cum[mid] < x) lo = mid + 1; else hi = mid }
    return hosters[lo]
  }
  return { hosters, pick }
}

/** Hours to weeks, log-normal: median ~18 h, a long tail into weeks. */
function removalDelay (u: () => number): number {
  const z = Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u())
  return Math.min(60 * DAY_MS, Math.max(HOUR / 4, Math.exp(Math.log(18 * HOUR) + 1.4 * z)))
}

function signed (body: Uint8Array): { body: Uint8Array, signature: Uint8Array } {
  return { body, signature: SIG }
}

/** Writes the year; returns the ids written. */
export async function generateYear (init: YearInit): Promise<string[]> {
  const rng = prng(init.seed ?? 1)
  const u = rng.next
  const days = init.days ?? 365
  const { pick } = hosterTable(init.hosters)
  const chunk = init.chunk ?? 500
  const ids: string[] = []
  for (let done = 0; done < init.count; done += chunk) {
    const arrive: BatchOp[] = []
    const updates: BatchOp[] = []
    const last = new Map<string, BatchOp>()
    for (let i = done; i < Math.min(init.count, done + chunk); i++) {
      const id = randomUUID()
      ids.push(id)
      const h = pick(u())
      const createdMs = Math.floor(init.endMs - u() * days * DAY_MS)
      const kind = u()
      const outbound = kind < (init.outbound ?? 0)
      const unroutable = !outbound && kind < (init.outbound ?? 0) + (init.unroutable ?? 0)
      const origin = outbound || unroutable ? init.self : init.origins[i % init.origins.length]
      const target = unroutable ? new Uint8Array() : outbound ? init.origins[0] : init.self
      const report = pb.UrlReport.encode({ version: 1, id, origin, target, url: `https://${h.name}.example.nl/${id}`, country: h.country, hoster: h.name, asn: h.asn, createdMs, countrySource: 'explicit' }).finish()
      const receivedMs = createdMs + Math.floor(u() * 60_000)
      if (unroutable) { arrive.push(init.reports.put(id, { report: signed(report), unroutable: true, updatedMs: createdMs })); continue }
      if (outbound) {
        const receipted = u() < 0.9
        arrive.push(init.reports.put(id, { report: signed(report), status: receipted ? pb.ReportStatus.RECEIVED : 0, updatedMs: receipted ? receivedMs : createdMs }))
        continue
      }
      let stored: StoredReport = pb.StoredReport.create({ report: signed(report), inbound: true, status: pb.ReportStatus.RECEIVED, updatedMs: receivedMs, receivedMs })
      arrive.push(init.reports.put(id, stored))
      let seq = 0
      let at = receivedMs
      const step = (status: number, afterMs: number): boolean => {
        at += Math.floor(afterMs)
        if (at >= init.endMs) return false
        const update = { reportId: id, author: init.self, seq: ++seq, status, note: '', atMs: at }
        stored = pb.StoredReport.create(withUpdate(stored, signed(pb.StatusUpdate.encode(update).finish()), pb.StatusUpdate.create(update), at))
        const op = init.reports.put(id, stored)
        if (init.lastOnly === true) last.set(id, op)
        else updates.push(op)
        return true
      }
      const r = u()
      if (!step(pb.ReportStatus.ASSESSED, HOUR / 2 + u() * 24 * HOUR)) continue
      if (r < 0.1) { step(pb.ReportStatus.NOT_ILLEGAL_CONTENT, u() * HOUR); continue }
      if (r < 0.13) { step(pb.ReportStatus.UNREACHABLE, u() * HOUR); continue }
      if (!step(pb.ReportStatus.NOTICE_SENT, HOUR + u() * 48 * HOUR)) continue
      if (r > 0.88) continue // never removed
      if (!step(pb.ReportStatus.REMOVED, removalDelay(u))) continue
      // corrections: the material came back up (assessed again), mostly removed once more
      if (r < 0.16 && step(pb.ReportStatus.ASSESSED, u() * 3 * DAY_MS) && r < 0.15 && step(pb.ReportStatus.NOTICE_SENT, u() * DAY_MS)) step(pb.ReportStatus.REMOVED, removalDelay(u))
    }
    updates.push(...last.values())
    await init.reports.write(arrive)
    if (updates.length > 0) await init.reports.write(updates)
  }
  return ids
}
