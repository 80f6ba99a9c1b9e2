import { pb } from '../proto/index.js'
import { u64 } from '../log/uint64.js'
import { peerIdFromBytes } from '../identity/identity.js'
import type { FederationView } from '../context/federation-view.js'
import type { StatusUpdate, UrlReport } from './report-codec.js'
import type { hashfed } from '../proto/index.js'
import { classificationName, hashRefText, mediaName } from './report-input.js'
import { statusFromEnum, type ReportStatusName, type UpdateStatus } from './report-status.js'
import type { ReportFact } from './report-stats.js'
import { decodeStored } from '../store/stored-record.js'
import { MAX_TIME_MS } from './constants.js'

type StoredReport = hashfed.v1.StoredReport

export interface TimelineEntry {
  status: UpdateStatus | 'received' | null
  note: string | null
  at: string
  /** member name of the hotline that made the update */
  author: string
  authorPeerId: string
  seq: number
}

/** A report as the API and CLI show it (JSON-friendly; times are ISO 8601). */
export interface ReportView {
  id: string
  /** inbound: we are the responsible hotline (`local` when we also reported it) */
  direction: 'inbound' | 'outbound'
  local: boolean
  status: ReportStatusName
  url: string
  ip: string | null
  country: string
  countrySource: string
  hoster: string | null
  asn: number | null
  classification: string | null
  media: string | null
  hashes: string[]
  note: string | null
  origin: string
  originPeerId: string
  target: string | null
  targetPeerId: string | null
  createdAt: string
  /** inbound: when it reached us; outbound: when the target's receipt says it arrived */
  receivedAt: string | null
  updatedAt: string | null
  removedAt: string | null
  /** from the report's creation to the hoster's removal */
  timeToRemovalMs: number | null
  timeline: TimelineEntry[]
}

/** A stored time as ISO text; null when unset or beyond what a Date holds (a damaged record must not break a listing). */
const iso = (value: Parameters<typeof u64>[0]): string | null => { const ms = u64(value); return ms > 0 && ms <= MAX_TIME_MS ? new Date(ms).toISOString() : null }
/** Peer IDs as text, remembered: a listing names the same few members hundreds of times. */
const peerTexts = new Map<string, string | null>()
const peerText = (bytes: Uint8Array | null | undefined): string | null => {
  if (bytes == null || bytes.length === 0) return null
  const key = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64')
  const known = peerTexts.get(key)
  if (known !== undefined || peerTexts.has(key)) return known ?? null
  let text: string | null
  try { text = peerIdFromBytes(bytes).toString() } catch { text = null }
  if (peerTexts.size >= 1024) peerTexts.clear() // members are few; anything else must not grow it
  peerTexts.set(key, text)
  return text
}

/** From the report's creation to the removal the responsible hotline recorded. */
function removalMs (stored: StoredReport, r: UrlReport): number | null {
  const removed = u64(stored.removedMs)
  return removed > 0 ? Math.max(0, removed - u64(r.createdMs)) : null
}

export function decodeStoredReport (stored: StoredReport): UrlReport {
  return decodeStored(pb.UrlReport, stored.report?.body ?? new Uint8Array(), 'a stored report')
}

export function decodeTimeline (stored: StoredReport): StatusUpdate[] {
  return stored.timeline.map(s => decodeStored(pb.StatusUpdate, s.body ?? new Uint8Array(), 'a stored status update'))
}

/** The status a report shows: see REPORT_STATUSES. */
export function viewStatus (stored: StoredReport): ReportStatusName {
  if (stored.unroutable) return 'unroutable'
  const named = statusFromEnum(stored.status)
  if (named !== null) return named
  return stored.inbound ? 'received' : 'queued'
}

export function toReportView (stored: StoredReport, federation: FederationView): ReportView {
  const r = decodeStoredReport(stored)
  const originPeerId = peerText(r.origin) ?? ''
  const targetPeerId = peerText(r.target)
  const receivedMs = stored.inbound
    ? u64(stored.receivedMs)
    : stored.receipt?.body != null ? u64(decodeStored(pb.Receipt, stored.receipt.body, 'a stored receipt').receivedMs) : 0
  const timeline = decodeTimeline(stored)
    .map(u => {
      const author = peerText(u.author) ?? ''
      return { status: statusFromEnum(u.status), note: u.note === '' ? null : u.note, at: iso(u.atMs) ?? '', author: federation.nameOf(author), authorPeerId: author, seq: u.seq }
    })
    .sort((a, b) => a.at.localeCompare(b.at) || a.seq - b.seq)
  return {
    id: r.id,
    direction: stored.inbound ? 'inbound' : 'outbound',
    local: stored.inbound && originPeerId === targetPeerId,
    status: viewStatus(stored),
    url: r.url,
    ip: r.ip === '' ? null : r.ip,
    country: r.country,
    countrySource: r.countrySource,
    hoster: r.hoster === '' ? null : r.hoster,
    asn: r.asn === 0 ? null : r.asn,
    classification: classificationName(r.classification),
    media: mediaName(r.media),
    hashes: r.hashes.map(hashRefText),
    note: r.note === '' ? null : r.note,
    origin: federation.nameOf(originPeerId),
    originPeerId,
    target: targetPeerId === null ? null : federation.nameOf(targetPeerId),
    targetPeerId,
    createdAt: iso(r.createdMs) ?? '',
    receivedAt: iso(receivedMs),
    updatedAt: iso(stored.updatedMs),
    removedAt: iso(stored.removedMs),
    timeToRemovalMs: removalMs(stored, r),
    timeline
  }
}

/** The anonymous statistics fact of a held report (no URL, no id). */
export function toReportFact (stored: StoredReport): ReportFact {
  const r = decodeStoredReport(stored)
  return {
    createdMs: u64(r.createdMs),
    status: viewStatus(stored),
    direction: stored.inbound ? 'inbound' : 'outbound',
    country: r.country,
    hoster: r.hoster === '' ? null : r.hoster,
    asn: r.asn === 0 ? null : r.asn,
    removalMs: removalMs(stored, r),
    count: 1
  }
}
