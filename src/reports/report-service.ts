import { randomUUID } from 'node:crypto'
import { u64 } from '../log/uint64.js'
import { isAbsolute, join } from 'node:path'
import type { Logger } from 'pino'
import { pb } from '../proto/index.js'
import { hfError, ErrorCodes } from '../errors.js'
import { normaliseCountry } from '../config/country.js'
import { parsePeerId, peerIdFromBytes, peerIdToBytes } from '../identity/identity.js'
import type { HashfedLibp2p } from '../net/create-libp2p.js'
import type { NodeContext } from '../node/node-context.js'
import { DAY_MS, MAX_NOTE_LENGTH, MAX_TIME_MS, MAX_URL_LENGTH } from './constants.js'
import { createCountryResolver, type CountryResolver } from './country-resolver.js'
import { Inbox } from './inbox.js'
import { Outbox, type OutboxInit } from './outbox.js'
import { openReport, openStatus, sameBytes, signReport, signStatus, type Signed, type StatusUpdate, type UrlReport } from './report-codec.js'
import { checkSubmitFields, parseReportDetails, type SubmitInput } from './report-input.js'
import { serveReportProtocol } from './report-protocol.js'
import { archiveRange, factsFromArchive, summarise, type ArchiveBucket, type ReportFact, type ReportStats, type StatsGroupBy, STATS_GROUPS } from './report-stats.js'
import { parseStatusFilter, parseUpdateStatus, REPORT_STATUSES, statusFromEnum, statusToEnum, type ReportStatusName } from './report-status.js'
import { ReportStore, type StoredReport, type StoredReportInit } from './report-store.js'
import { decodeStoredReport, decodeTimeline, toReportFact, toReportView, viewStatus, type ReportView } from './report-view.js'
import { rejection } from './rejection.js'
import { Retention } from './retention.js'

export interface ReportServiceInit {
  ctx: NodeContext
  logger: Logger
  /** absent offline (CLI without a running node): reports are stored and queued, not sent */
  libp2p?: HashfedLibp2p
  /** @default a resolver over config `reports.cidrTable` / `reports.geoipMmdb` */
  resolver?: CountryResolver
  /** outbox tuning (tests) */
  outbox?: Pick<OutboxInit, 'retryMinMs' | 'retryMaxMs' | 'concurrency'>
}

export type ReportDirection = 'inbound' | 'outbound' | 'unroutable'

export interface ListFilter {
  direction?: ReportDirection
  status?: string
  /** newest first; @default 1000 */
  limit?: number
}

export interface StatsQuery {
  by?: string
  /** ISO date/time, or a duration back from now: `30d`, `12h`, `2w` */
  since?: string
}

export interface ReportCounts {
  total: number
  inbound: number
  outbound: number
  unroutable: number
  byStatus: Record<ReportStatusName, number>
  /** the same counts split by direction (the dashboard's queue table) */
  byDirection: Record<ReportDirection, Record<ReportStatusName, number>>
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/
const DEFAULT_LIST_LIMIT = 1000

/**
 * URL reports: routes each to the one member responsible for its hosting country, delivers
 * it through the durable outbox with signed receipts, records the responsible hotline's
 * status updates and carries them back to the origin, and keeps the statistics.
 *
 * Feedback (hash check) uses the same machinery: `inbox.register('feedback', …)` on the
 * receiving side, `outbox.send(origin, { feedback }, …)` and `outbox.onDelivered('feedback', …)`
 * on the sending side.
 */
export class ReportService {
  readonly reports: ReportStore
  readonly outbox: Outbox
  readonly inbox: Inbox
  readonly retention: Retention
  private readonly resolver: CountryResolver
  private readonly self: string
  private readonly inflight = new Set<Promise<unknown>>()
  private unserve: (() => Promise<void>) | null = null

  constructor (private readonly init: ReportServiceInit) {
    const { ctx, logger } = init
    const config = ctx.config.reports
    this.self = ctx.identity.peerId.toString()
    this.reports = new ReportStore(ctx.store)
    this.resolver = init.resolver ?? createCountryResolver({
      cidrTable: config.cidrTable,
      geoipMmdb: config.geoipMmdb === undefined || isAbsolute(config.geoipMmdb) ? config.geoipMmdb : join(ctx.dir.root, config.geoipMmdb)
    })
    this.outbox = new Outbox({ store: ctx.store, locks: this.reports.locks, logger, libp2p: init.libp2p, nameOf: (p) => ctx.federation.nameOf(p), ...init.outbox })
    this.inbox = new Inbox({ store: ctx.store, identity: ctx.identity, locks: this.reports.locks, logger, isMember: (p) => ctx.federation.isMember(p) })
    this.retention = new Retention({ store: ctx.store, reports: this.reports, logger, retentionDays: config.retentionDays })
    this.registerHandlers()
  }

  /** Serves `/hashfed/report/1.0.0`, starts delivering the outbox and the retention timer. */
  async start (): Promise<void> {
    const { libp2p, logger } = this.init
    if (libp2p === undefined) throw hfError(ErrorCodes.INTERNAL, 'the report service needs libp2p to start')
    this.unserve = await serveReportProtocol({
      libp2p,
      logger,
      answer: async (message, from) => await this.track(this.inbox.answer(message, from)),
      onUnreadable: (from, reason, text) => this.inbox.unreadable(from, reason, text)
    })
    await this.outbox.start()
    await this.reroute()
    this.retention.start()
  }

  async stop (): Promise<void> {
    await this.unserve?.().catch(() => {})
    await this.retention.stop()
    await this.outbox.stop()
    await Promise.allSettled([...this.inflight])
  }

  private async track<T> (p: Promise<T>): Promise<T> {
    this.inflight.add(p)
    try { return await p } finally { this.inflight.delete(p) }
  }

  // ------------------------------------------------------------ submit and route

  /** Signs and routes a new report; see the class comment. Throws HF_INVALID_REPORT, HF_INVALID_HASH, HF_UNKNOWN_COUNTRY. */
  async submit (input: SubmitInput): Promise<ReportView> {
    const { ctx, logger } = this.init
    if (ctx.config.mirrorOf !== undefined) throw hfError(ErrorCodes.FORBIDDEN, `this node is a mirror of ${ctx.config.mirrorOf}; submit reports at that member`)
    if (input === null || typeof input !== 'object') throw hfError(ErrorCodes.INVALID_REPORT, 'url: a URL is required', { field: 'url' })
    checkSubmitFields(input)
    const details = parseReportDetails(input)
    const where = await this.resolver.resolve({ url: input.url, ip: input.ip, country: input.country, hoster: input.hoster, asn: input.asn })
    const member = ctx.federation.forCountry(where.country)
    const id = randomUUID()
    const now = Date.now()
    const signed = signReport(ctx.identity, {
      version: 1,
      id,
      origin: ctx.identity.peerIdBytes,
      target: member !== undefined ? peerIdBytes(member.peerId) : new Uint8Array(),
      url: input.url.trim(),
      ip: where.ip ?? '',
      country: where.country,
      hoster: where.hoster ?? '',
      asn: where.asn ?? 0,
      ...details,
      createdMs: now,
      countrySource: where.source
    })
    const route = await this.route(id, signed, member?.peerId ?? null, now)
    logger.info({ reportId: id, country: where.country, countrySource: where.source, route, target: member?.name ?? null }, 'report submitted')
    logger.debug({ reportId: id, url: input.url }, 'report URL')
    return await this.show(id)
  }

  /** Stores a signed report for its route: our own inbound queue, the outbox, or unroutable. */
  private async route (id: string, signed: Signed, target: string | null, now: number): Promise<'local' | 'outbound' | 'unroutable'> {
    if (target === null) {
      await this.reports.write([this.reports.put(id, { report: signed, unroutable: true, updatedMs: now })])
      return 'unroutable'
    }
    if (target === this.self) {
      await this.reports.write([this.reports.put(id, { report: signed, inbound: true, status: pb.ReportStatus.RECEIVED, updatedMs: now, receivedMs: now })])
      return 'local'
    }
    await this.outbox.send(target, { report: signed }, { subject: id, with: [this.reports.put(id, { report: signed, updatedMs: now })] })
    return 'outbound'
  }

  /**
   * Routes unroutable reports whose country a member now covers (after a federation edit);
   * runs at start. Returns how many were routed.
   */
  async reroute (): Promise<number> {
    const { ctx, logger } = this.init
    let routed = 0
    for await (const [id, stored] of this.reports.entries()) {
      if (!stored.unroutable) continue
      const r = decodeStoredReport(stored)
      const member = ctx.federation.forCountry(r.country)
      if (member === undefined) continue
      await this.reports.locks.run(id, async () => {
        const props = pb.UrlReport.toObject(r) as UrlReport
        const signed = signReport(ctx.identity, { ...props, target: peerIdBytes(member.peerId) })
        const route = await this.route(id, signed, member.peerId, Date.now())
        logger.info({ reportId: id, country: r.country, route, target: member.name }, 'unroutable report routed')
        routed++
      })
    }
    return routed
  }

  // ------------------------------------------------------------ status updates

  /** Records a status of a report we are responsible for; signed, kept, and sent back to the origin. */
  async update (id: string, statusText: string, note?: string): Promise<ReportView> {
    const { ctx, logger } = this.init
    const status = parseUpdateStatus(statusText)
    const text = (note ?? '').trim()
    if (text.length > MAX_NOTE_LENGTH || text.includes('\u0000')) throw hfError(ErrorCodes.INVALID_ARGUMENT, `note: text of at most ${MAX_NOTE_LENGTH} characters`, { field: 'note' })
    await this.reports.locks.run(id, async () => {
      const stored = await this.mustGet(id)
      if (!stored.inbound) {
        throw hfError(ErrorCodes.FORBIDDEN, `report ${id} is ${stored.unroutable ? 'unroutable' : `handled by ${this.targetName(stored)}`}; only the responsible hotline records its status`)
      }
      const r = decodeStoredReport(stored)
      const seq = decodeTimeline(stored).filter(u => sameBytes(u.author, ctx.identity.peerIdBytes)).reduce((m, u) => Math.max(m, u.seq), 0) + 1
      const update = { reportId: id, author: ctx.identity.peerIdBytes, seq, status: statusToEnum(status), note: text, atMs: Date.now() }
      const signed = signStatus(ctx.identity, update)
      const ops = [this.reports.put(id, withUpdate(stored, signed, pb.StatusUpdate.create(update), update.atMs))]
      const origin = peerIdFromBytes(r.origin).toString()
      if (origin === this.self) await this.reports.write(ops)
      else await this.outbox.send(origin, { status: signed }, { subject: id, with: ops })
      logger.info({ reportId: id, status, seq, origin: ctx.federation.nameOf(origin) }, 'report status updated')
    })
    return await this.show(id)
  }

  // ------------------------------------------------------------ inbound handlers

  private registerHandlers (): void {
    const { ctx, logger } = this.init
    const member = (bytes: Uint8Array, what: string): string => {
      let peer: string
      try { peer = peerIdFromBytes(bytes).toString() } catch { throw rejection('malformed', `${what} is not a peer ID`) }
      // hotlines only: a mirror serves hash checks and neither reports nor handles reports
      if (!ctx.federation.isOrigin(peer)) throw rejection('not-member', `${what} ${peer} is not a member hotline of the federation`, ErrorCodes.NOT_A_MEMBER)
      return peer
    }

    this.inbox.register<UrlReport>('report', {
      open: (signed, from) => {
        const r = openReport(signed)
        const origin = member(r.origin, 'the report\'s origin')
        if (origin !== from) throw rejection('relayed', `report ${r.id} was signed by ${ctx.federation.nameOf(origin)} but sent by ${ctx.federation.nameOf(from)}; reports are never relayed`)
        if (!sameBytes(r.target, ctx.identity.peerIdBytes)) throw rejection('wrong-target', `report ${r.id} is addressed to another hotline`)
        const problem = reportProblem(r)
        if (problem !== null) throw rejection('malformed', `report ${UUID.test(r.id) ? r.id : '(bad id)'}: ${problem}`)
        return { record: { author: r.origin, subject: r.id }, value: r }
      },
      store: async (r, signed, _from, now) => {
        const existing = await this.reports.get(r.id)
        if (existing !== undefined) {
          if (sameBytes(decodeStoredReport(existing).origin, r.origin)) return [] // the same report again (re-signed): keep the first
          throw rejection('id-conflict', `report id ${r.id} is already used by another origin`)
        }
        logger.info({ reportId: r.id, from: ctx.federation.nameOf(peerIdFromBytes(r.origin).toString()), country: r.country }, 'report received')
        return [this.reports.put(r.id, { report: signed, inbound: true, status: pb.ReportStatus.RECEIVED, updatedMs: now, receivedMs: now })]
      }
    })

    this.inbox.register<StatusUpdate>('status', {
      open: (signed, from) => {
        const u = openStatus(signed)
        const author = member(u.author, 'the update\'s author')
        if (author !== from) throw rejection('relayed', `a status update of ${u.reportId} was signed by ${ctx.federation.nameOf(author)} but sent by ${ctx.federation.nameOf(from)}`)
        if (!UUID.test(u.reportId)) throw rejection('malformed', 'a status update names no report id')
        const status = statusFromEnum(u.status)
        if (status === null || status === 'received' || u.seq < 1 || u.note.length > MAX_NOTE_LENGTH || u64(u.atMs) > MAX_TIME_MS) throw rejection('malformed', `status update of ${u.reportId}: unknown status ${u.status}, seq ${u.seq}, note too long or time out of range`)
        return { record: { author: u.author, subject: u.reportId }, value: u }
      },
      store: async (u, signed, _from, now) => {
        const stored = await this.reports.get(u.reportId)
        if (stored === undefined) throw rejection('unknown-report', `no report ${u.reportId} here`)
        const r = decodeStoredReport(stored)
        if (!sameBytes(u.author, r.target) && !sameBytes(u.author, r.origin)) throw rejection('not-party', `the author of a status update of ${u.reportId} is neither its origin nor its target`)
        if (decodeTimeline(stored).some(t => sameBytes(t.author, u.author) && t.seq === u.seq)) return []
        logger.info({ reportId: u.reportId, status: statusFromEnum(u.status), seq: u.seq }, 'report status received')
        return [this.reports.put(u.reportId, withUpdate(stored, signed, u, now))]
      }
    })

    // the target holds our report: keep its receipt with our copy
    this.outbox.onDelivered('report', async (item, receipt, record) => {
      const stored = await this.reports.get(item.subject)
      if (stored === undefined) return []
      const status = stored.status === pb.ReportStatus.REPORT_STATUS_UNSPECIFIED ? pb.ReportStatus.RECEIVED : stored.status
      logger.info({ reportId: item.subject, target: ctx.federation.nameOf(peerIdFromBytes(item.target).toString()) }, 'report delivered')
      return [this.reports.put(item.subject, { ...stored, receipt, status, updatedMs: Math.max(u64(stored.updatedMs), u64(record.receivedMs)) })]
    })
  }

  // ------------------------------------------------------------ reading

  async show (id: string): Promise<ReportView> {
    return toReportView(await this.mustGet(id), this.init.ctx.federation)
  }

  async list (filter: ListFilter = {}): Promise<ReportView[]> {
    const status = filter.status !== undefined ? parseStatusFilter(filter.status) : undefined
    const limit = filter.limit ?? DEFAULT_LIST_LIMIT
    const matched: StoredReport[] = []
    for await (const [, stored] of this.reports.entries()) {
      if (filter.direction !== undefined && directionOf(stored) !== filter.direction) continue
      if (status !== undefined && viewStatus(stored) !== status) continue
      matched.push(stored)
    }
    return matched
      .map(s => toReportView(s, this.init.ctx.federation))
      .sort((a, b) => b.createdAt.localeCompare(a.createdAt) || a.id.localeCompare(b.id))
      .slice(0, limit)
  }

  /** Counts for `hashfed status` and metrics (a scan of the reports). */
  async reportCounts (): Promise<ReportCounts> {
    const zero = (): Record<ReportStatusName, number> => Object.fromEntries(REPORT_STATUSES.map(s => [s, 0])) as Record<ReportStatusName, number>
    const counts: ReportCounts = { total: 0, inbound: 0, outbound: 0, unroutable: 0, byStatus: zero(), byDirection: { inbound: zero(), outbound: zero(), unroutable: zero() } }
    for await (const [, stored] of this.reports.entries()) {
      const direction = directionOf(stored)
      const status = viewStatus(stored)
      counts.total++
      counts[direction]++
      counts.byStatus[status]++
      counts.byDirection[direction][status]++
    }
    return counts
  }

  /** Messages waiting for a receipt, toward one peer or all. */
  outboxDepth (peer?: string): number {
    return this.outbox.depth(peer)
  }

  /** Inbound report messages refused since start, by reason and by sending peer. */
  rejections (): { total: number, byReason: Record<string, number>, byPeer: Record<string, number>, recent: Inbox['recentRejections'] } {
    return {
      total: this.inbox.rejectedTotal,
      byReason: Object.fromEntries(this.inbox.rejectedByReason),
      byPeer: Object.fromEntries(this.inbox.rejectedByPeer),
      recent: this.inbox.recentRejections
    }
  }

  /** Anonymous facts of held and retained reports (the time-to-removal histogram reads these). */
  async facts (): Promise<ReportFact[]> {
    const facts: ReportFact[] = []
    for await (const [, stored] of this.reports.entries()) facts.push(toReportFact(stored))
    for await (const [key, raw] of this.init.ctx.store.sub.stats.iterator(archiveRange)) {
      try {
        facts.push(...factsFromArchive(key, JSON.parse(Buffer.from(raw).toString('utf8')) as ArchiveBucket))
      } catch (err) {
        this.init.logger.warn({ key, err: (err as Error).message }, 'skipping an unreadable report statistics row')
      }
    }
    return facts
  }

  /** `now` moves the clock for `since` and the open-alert age (tests, reports as of a date). */
  async stats (query: StatsQuery = {}, now = Date.now()): Promise<ReportStats> {
    let by: StatsGroupBy | undefined
    if (query.by !== undefined) {
      if (!(STATS_GROUPS as readonly string[]).includes(query.by)) throw hfError(ErrorCodes.INVALID_ARGUMENT, `by: "${query.by}" is not one of ${STATS_GROUPS.join(', ')}`, { field: 'by' })
      by = query.by as StatsGroupBy
    }
    const sinceMs = query.since !== undefined ? parseSince(query.since, now) : undefined
    return summarise(await this.facts(), { by, sinceMs, openAlertDays: this.init.ctx.config.reports.openAlertDays, now })
  }

  /** Applies retention now (the timer does it every few hours). */
  async runRetention (now?: number): Promise<number> {
    return await this.retention.run(now)
  }

  private async mustGet (id: string): Promise<StoredReport> {
    const stored = UUID.test(id) ? await this.reports.get(id) : undefined
    if (stored === undefined) throw hfError(ErrorCodes.NOT_FOUND, `no report ${id} on this node`, { id })
    return stored
  }

  private targetName (stored: StoredReport): string {
    const t = decodeStoredReport(stored).target
    return t.length === 0 ? '(nobody)' : this.init.ctx.federation.nameOf(peerIdFromBytes(t).toString())
  }
}

export function createReportService (init: ReportServiceInit): ReportService {
  return new ReportService(init)
}

function peerIdBytes (peerId: string): Uint8Array {
  return peerIdToBytes(parsePeerId(peerId))
}

function directionOf (stored: StoredReport): ReportDirection {
  return stored.unroutable ? 'unroutable' : stored.inbound ? 'inbound' : 'outbound'
}

/** What a receiver refuses in an otherwise well-signed report. */
function reportProblem (r: UrlReport): string | null {
  if (r.version !== 1) return `version ${r.version} is not supported`
  if (!UUID.test(r.id)) return 'the id is not a UUID'
  if (r.url === '' || r.url.length > MAX_URL_LENGTH) return `the URL is empty or longer than ${MAX_URL_LENGTH}`
  if (normaliseCountry(r.country) !== r.country) return `"${r.country}" is not a country code`
  if (r.note.length > MAX_NOTE_LENGTH) return 'the note is too long'
  if (u64(r.createdMs) <= 0 || u64(r.createdMs) > MAX_TIME_MS) return 'no valid creation time'
  return null
}

/** The report with one more status update: kept in arrival order, the latest decides the status. */
function withUpdate (stored: StoredReport, signed: Signed, update: StatusUpdate, now: number): StoredReportInit {
  const timeline = [...stored.timeline, signed]
  const updates = [...decodeTimeline(stored), update]
  const latest = updates.reduce((a, b) => (u64(b.atMs) > u64(a.atMs) || (u64(b.atMs) === u64(a.atMs) && b.seq > a.seq)) ? b : a)
  const removedMs = u64(stored.removedMs) > 0 ? u64(stored.removedMs) : update.status === pb.ReportStatus.REMOVED ? u64(update.atMs) : 0
  return { ...stored, timeline, status: latest.status, removedMs, updatedMs: now }
}

/** `--since`: an ISO date/time, or `<n>d`, `<n>h`, `<n>w` back from now. */
export function parseSince (text: string, now: number): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([hdw])\s*$/i.exec(text)
  if (m !== null) return now - Number(m[1]) * { h: DAY_MS / 24, d: DAY_MS, w: 7 * DAY_MS }[m[2].toLowerCase() as 'h' | 'd' | 'w']
  const t = Date.parse(text)
  if (Number.isNaN(t)) throw hfError(ErrorCodes.INVALID_ARGUMENT, `since: "${text}" is not a date (2025-01-31) or a duration (30d, 12h, 2w)`, { field: 'since' })
  return t
}
