import { randomUUID } from 'node:crypto'
import { u64 } from '../log/uint64.js'
import { isAbsolute, join } from 'node:path'
import type { Logger } from 'pino'
import { pb } from '../proto/index.js'
import { hfError, ErrorCodes } from '../errors.js'
import { parsePeerId, peerIdFromBytes, peerIdToBytes } from '../identity/identity.js'
import type { HashfedLibp2p } from '../net/create-libp2p.js'
import type { NodeContext } from '../context/node-context.js'
import { DAY_MS, MAX_CLOCK_SKEW_MS, MAX_NOTE_LENGTH, MAX_STATUS_UPDATES } from './constants.js'
import { createCountryResolver, type CountryResolver } from './country-resolver.js'
import { Inbox } from './inbox.js'
import type { IndexRow, ReportDirection } from './report-index.js'
import { Outbox, type OutboxInit } from './outbox.js'
import { openReport, openStatus, sameBytes, sentBy, signReport, signStatus, type Signed, type StatusUpdate, type UrlReport } from './report-codec.js'
import { checkSubmitFields, parseReportDetails, type SubmitInput } from './report-input.js'
import { serveReportProtocol } from './report-protocol.js'
import { archiveRange, factsFromArchive, summarise, type ArchiveBucket, type ReportFact, type ReportStats, type StatsGroupBy, STATS_GROUPS } from './report-stats.js'
import { parseStatusFilter, parseUpdateStatus, REPORT_STATUSES, statusFromEnum, statusToEnum, type ReportStatusName } from './report-status.js'
import { ReportStore, type StoredReport, type StoredReportInit } from './report-store.js'
import { checkNote, checkSignedTime, UUID, validateReportRecord } from './report-validation.js'
import { decodeStoredReport, decodeTimeline, toReportView, type ReportView } from './report-view.js'
import { rejection, type ReportOffence } from './rejection.js'
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
  /** an inbound message that no honest member sends (see rejection OFFENCES): the node's penalties count it */
  onOffence?: (peer: string, reason: `report:${ReportOffence}`) => void
}

export type { ReportDirection } from './report-index.js'

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
    const write = async (ops: Parameters<ReportStore['write']>[0]): Promise<void> => await this.reports.write(ops)
    this.outbox = new Outbox({ store: ctx.store, locks: this.reports.locks, logger, libp2p: init.libp2p, nameOf: (p) => ctx.federation.nameOf(p), write, ...init.outbox })
    this.inbox = new Inbox({
      store: ctx.store,
      identity: ctx.identity,
      locks: this.reports.locks,
      logger,
      isMember: (p) => ctx.federation.isMember(p),
      quota: config.inboundQuota,
      onOffence: (peer, reason) => init.onOffence?.(peer, `report:${reason}`),
      write
    })
    this.retention = new Retention({ store: ctx.store, reports: this.reports, logger, retentionDays: config.retentionDays })
    this.registerHandlers()
  }

  /** Serves `/hashfed/report/1.0.0`, starts delivering the outbox and the retention timer. */
  async start (): Promise<void> {
    const { libp2p, logger } = this.init
    if (libp2p === undefined) throw hfError(ErrorCodes.INTERNAL, 'the report service needs libp2p to start')
    await this.reports.loadIndex()
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
    const record = {
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
    }
    // the very check the responsible hotline runs on receipt: what we sign, it accepts
    validateReportRecord(record, now)
    const signed = signReport(ctx.identity, record)
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
    const unroutable = [...(await this.reports.loadIndex()).values()].filter(row => row.direction === 'unroutable')
    for (const { id } of unroutable) {
      await this.reports.locks.run(id, async () => {
        const stored = await this.reports.get(id)
        if (stored?.unroutable !== true) return
        const r = decodeStoredReport(stored)
        const member = ctx.federation.forCountry(r.country)
        if (member === undefined) return
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
      if (stored.timeline.length >= MAX_STATUS_UPDATES) throw hfError(ErrorCodes.FORBIDDEN, `report ${id} already has ${MAX_STATUS_UPDATES} status updates`)
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
        if (ctx.federation.forCountry(r.country)?.peerId !== this.self) throw rejection('wrong-country', `report ${id}: this hotline does not cover ${r.country}`, ErrorCodes.INVALID_REPORT)
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
        const stored = await this.reports.get(u.reportId)
        if (stored === undefined) throw rejection('unknown-report', `no report ${u.reportId} here`)
        const r = decodeStoredReport(stored)
        // only the responsible hotline assesses, sends notices and sees removals
        if (sameBytes(u.author, r.origin)) throw rejection('not-responsible', `status update of ${u.reportId}: only the responsible hotline records a report's status, not its origin`, ErrorCodes.FORBIDDEN)
        if (!sameBytes(u.author, r.target)) throw rejection('not-party', `the author of a status update of ${u.reportId} is neither its origin nor its target`)
        if (u64(u.atMs) < u64(r.createdMs) - MAX_CLOCK_SKEW_MS) throw rejection('bad-time', `status update of ${u.reportId} is dated before the report was made`)
        if (decodeTimeline(stored).some(t => sameBytes(t.author, u.author) && t.seq === u.seq)) return []
        if (stored.timeline.length >= MAX_STATUS_UPDATES) throw rejection('too-many-updates', `report ${u.reportId} already has ${MAX_STATUS_UPDATES} status updates`)
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

  /** Newest first, from the index: only the reports shown are read from the store. */
  async list (filter: ListFilter = {}): Promise<ReportView[]> {
    const status = filter.status !== undefined ? parseStatusFilter(filter.status) : undefined
    const limit = filter.limit ?? DEFAULT_LIST_LIMIT
    const index = await this.reports.loadIndex()
    const matched: IndexRow[] = []
    for (const row of index.values()) {
      if (filter.direction !== undefined && row.direction !== filter.direction) continue
      if (status !== undefined && row.status !== status) continue
      matched.push(row)
    }
    matched.sort((a, b) => b.createdMs - a.createdMs || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    const views: ReportView[] = []
    for (const row of matched.slice(0, limit)) {
      const stored = await this.reports.get(row.id)
      if (stored !== undefined) views.push(toReportView(stored, this.init.ctx.federation))
    }
    return views
  }

  /** Counts for `hashfed status`, the dashboard and metrics: kept with every write, no scan. */
  async reportCounts (): Promise<ReportCounts> {
    const byDirection = (await this.reports.loadIndex()).byDirection()
    const byStatus = Object.fromEntries(REPORT_STATUSES.map(s => [s, 0])) as Record<ReportStatusName, number>
    const counts: ReportCounts = { total: 0, inbound: 0, outbound: 0, unroutable: 0, byStatus, byDirection }
    for (const direction of ['inbound', 'outbound', 'unroutable'] as const) {
      for (const status of REPORT_STATUSES) {
        const n = byDirection[direction][status]
        counts.total += n
        counts[direction] += n
        byStatus[status] += n
      }
    }
    return counts
  }

  /** Messages waiting for a receipt, toward one peer or all. */
  outboxDepth (peer?: string): number {
    return this.outbox.depth(peer)
  }

  /** Inbound report messages refused since start, by reason and by sending peer. */
  rejections (): { total: number, byReason: Record<string, number>, byPeer: Record<string, number>, recent: ReturnType<Inbox['rejections']['recent']> } {
    const counter = this.inbox.rejections
    return { total: counter.total, byReason: Object.fromEntries(counter.byReason), byPeer: Object.fromEntries(counter.byPeer), recent: counter.recent() }
  }

  /** Anonymous facts of held and retained reports (the time-to-removal histogram reads these). */
  async facts (): Promise<ReportFact[]> {
    const facts: ReportFact[] = []
    for (const row of (await this.reports.loadIndex()).values()) facts.push(row.fact)
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

/**
 * The report with one more status update, kept in arrival order. The status shown is that of
 * the responsible hotline's update with the highest sequence number (its own order; updates
 * may arrive out of order, and a signed time decides nothing), and the removal time that of
 * its first REMOVED. Updates by anyone else (kept by older versions) count for nothing.
 */
function withUpdate (stored: StoredReport, signed: Signed, update: StatusUpdate, now: number): StoredReportInit {
  const target = decodeStoredReport(stored).target
  const timeline = [...stored.timeline, signed]
  const updates = [...decodeTimeline(stored), update].filter(u => sameBytes(u.author, target)).sort((a, b) => a.seq - b.seq)
  const latest = updates[updates.length - 1]
  const removed = updates.find(u => u.status === pb.ReportStatus.REMOVED)
  return { ...stored, timeline, status: latest?.status ?? stored.status, removedMs: removed !== undefined ? u64(removed.atMs) : 0, updatedMs: now }
}

/** `--since`: an ISO date/time, or `<n>d`, `<n>h`, `<n>w` back from now. */
export function parseSince (text: string, now: number): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([hdw])\s*$/i.exec(text)
  if (m !== null) return now - Number(m[1]) * { h: DAY_MS / 24, d: DAY_MS, w: 7 * DAY_MS }[m[2].toLowerCase() as 'h' | 'd' | 'w']
  const t = Date.parse(text)
  if (Number.isNaN(t)) throw hfError(ErrorCodes.INVALID_ARGUMENT, `since: "${text}" is not a date (2025-01-31) or a duration (30d, 12h, 2w)`, { field: 'since' })
  return t
}
