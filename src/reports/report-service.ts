import { u64 } from '../log/uint64.js'
import { isAbsolute, join } from 'node:path'
import type { Logger } from 'pino'
import { pb } from '../proto/index.js'
import { hfError, ErrorCodes } from '../errors.js'
import { parsePeerId, peerIdFromBytes, peerIdToBytes } from '../identity/identity.js'
import type { HashfedLibp2p } from '../net/create-libp2p.js'
import type { NodeContext } from '../context/node-context.js'
import { DAY_MS, MAX_CLOCK_SKEW_MS, MAX_NOTE_LENGTH, MAX_STATUS_UPDATES } from './constants.js'
import { Courier, type CourierInit } from '../courier/courier.js'
import type { Inbox } from '../courier/inbox.js'
import type { Outbox } from '../courier/outbox.js'
import { sameBytes } from '../courier/signed-record.js'
import { createCountryResolver, type CountryResolver } from './country-resolver.js'
import { queryRows, rowFact, rowsCreated, type ReportDirection } from './report-index.js'
import { dayOf } from './report-aggregates.js'
import { signReport, signStatus, type UrlReport } from './report-codec.js'
import { registerReportKinds } from './report-handlers.js'
import type { SubmitInput } from './report-input.js'
import { archiveRange, factPart, factsFromArchive, summariseParts, type ArchiveBucket, type ReportFact, type ReportStats, type StatsGroupBy, STATS_GROUPS } from './report-stats.js'
import { parseStatusFilter, parseUpdateStatus, REPORT_STATUSES, statusFromEnum, statusToEnum, type ReportStatusName, type UpdateStatus } from './report-status.js'
import { transitionError, type FromStatus } from './status-rules.js'
import { resolveReportId } from './report-id.js'
import { traceHost, type HostTrace } from './host-trace.js'
import { ReportStore, type StoredReport, type StoredReportInit } from './report-store.js'
import { indexRow as indexRowOf } from './report-index.js'
import { withUpdate } from './report-timeline.js'
import { UUID } from './report-validation.js'
import { decodeStoredReport, decodeTimeline, toReportView, viewStatus, type ReportView } from './report-view.js'
import { OFFENCES, REPORT_REJECT_REASONS, type ReportOffence } from './rejection.js'
import { Retention } from './retention.js'
import { ReportSubmitter, type SubmitOutcome } from './report-submit.js'

export interface ReportServiceInit {
  ctx: NodeContext
  logger: Logger
  /** absent offline (CLI without a running node): reports are stored and queued, not sent */
  libp2p?: HashfedLibp2p
  /** @default a resolver over config `reports.cidrTable` / `reports.geoipMmdb` */
  resolver?: CountryResolver
  /** outbox tuning (tests) */
  outbox?: CourierInit['outbox']
  /** an inbound message that no honest member sends (see rejection OFFENCES): the node's penalties count it */
  onOffence?: (peer: string, reason: `report:${ReportOffence}`) => void
}

export type { ReportDirection } from './report-index.js'

export interface ListFilter {
  direction?: ReportDirection
  status?: string
  /** only reports about this hoster (by name), ASN or country */
  hoster?: string
  asn?: number
  country?: string
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
 * it through the courier (durable outbox, signed receipts), records the responsible
 * hotline's status updates and carries them back to the origin, and keeps the statistics.
 *
 * The service owns the node's courier for now; feedback (hash check) registers its own kind
 * on `courier`.
 */
export class ReportService {
  readonly reports: ReportStore
  readonly courier: Courier
  readonly retention: Retention
  private readonly submitter: ReportSubmitter
  private readonly resolver: CountryResolver
  private readonly self: string

  constructor (private readonly init: ReportServiceInit) {
    const { ctx, logger } = init
    const config = ctx.config.reports
    this.self = ctx.identity.peerId.toString()
    this.reports = new ReportStore(ctx.store)
    this.resolver = init.resolver ?? createCountryResolver({
      cidrTable: config.cidrTable,
      geoipMmdb: config.geoipMmdb === undefined || isAbsolute(config.geoipMmdb) ? config.geoipMmdb : join(ctx.dir.root, config.geoipMmdb),
      asnMmdb: config.asnMmdb === undefined || isAbsolute(config.asnMmdb) ? config.asnMmdb : join(ctx.dir.root, config.asnMmdb)
    })
    this.courier = new Courier({
      store: ctx.store,
      identity: ctx.identity,
      logger,
      locks: this.reports.locks,
      isMember: (p) => ctx.federation.isMember(p),
      libp2p: init.libp2p,
      nameOf: (p) => ctx.federation.nameOf(p),
      quota: config.inboundQuota,
      reasons: REPORT_REJECT_REASONS,
      offences: OFFENCES,
      // the inbox reports only OFFENCES' reasons and 'quota-ignored'
      onOffence: (peer, reason) => init.onOffence?.(peer, `report:${reason as ReportOffence}`),
      write: async (ops) => { await this.reports.write(ops) },
      outbox: init.outbox
    })
    this.submitter = new ReportSubmitter({ ctx, logger, reports: this.reports, courier: this.courier, resolver: this.resolver })
    this.retention = new Retention({ store: ctx.store, reports: this.reports, logger, retentionDays: config.retentionDays })
    registerReportKinds(this.courier, { ctx, logger, reports: this.reports })
  }

  get outbox (): Outbox { return this.courier.outbox }
  get inbox (): Inbox { return this.courier.inbox }

  /** Starts the courier (serving and delivering), routes what became routable, and the retention timer. */
  async start (): Promise<void> {
    if (this.init.libp2p === undefined) throw hfError(ErrorCodes.INTERNAL, 'the report service needs libp2p to start')
    await this.reports.ready()
    await this.courier.start()
    await this.reroute()
    this.retention.start()
  }

  async stop (): Promise<void> {
    await this.retention.stop()
    await this.courier.stop()
  }

  // ------------------------------------------------------------ submit and route

  /** Signs and routes a new report; see the class comment. Throws HF_INVALID_REPORT, HF_INVALID_HASH, HF_UNKNOWN_COUNTRY. */
  async submit (input: SubmitInput): Promise<ReportView> {
    return await this.show((await this.submitter.submit(input)).id)
  }

  /** Many reports, each validated and stored on its own: a bad item is refused alone (report-submit.ts). */
  async submitMany (inputs: readonly unknown[]): Promise<SubmitOutcome[]> {
    return await this.submitter.submitMany(inputs)
  }

  /**
   * Routes unroutable reports whose country a member now covers (after a federation edit);
   * runs at start. Returns how many were routed.
   */
  async reroute (): Promise<number> {
    const { ctx, logger } = this.init
    let routed = 0
    await this.reports.ready()
    const unroutable = await queryRows(this.init.ctx.store, { direction: 'unroutable', limit: Number.MAX_SAFE_INTEGER })
    for (const { id } of unroutable) {
      await this.reports.locks.run(id, async () => {
        const stored = await this.reports.get(id)
        if (stored?.unroutable !== true) return
        const r = decodeStoredReport(stored)
        const member = ctx.federation.forCountry(r.country)
        if (member === undefined) return
        const props = pb.UrlReport.toObject(r) as UrlReport
        const signed = signReport(ctx.identity, { ...props, target: peerIdBytes(member.peerId) })
        const route = await this.submitter.route(id, signed, member.peerId, Date.now())
        logger.info({ reportId: id, country: r.country, route, target: member.name }, 'unroutable report routed')
        routed++
      })
    }
    return routed
  }

  // ------------------------------------------------------------ status updates

  /** Records a status of a report we are responsible for; signed, kept, and sent back to the origin. */
  async update (id: string, statusText: string, note?: string): Promise<ReportView> {
    return await this.record(id, parseUpdateStatus(statusText), note, false)
  }

  /** Corrects a report's status backwards (status-rules.ts): an explicit reopen, with the reason as its note. */
  async reopen (id: string, reason: string, to: string = 'assessed'): Promise<ReportView> {
    if ((reason ?? '').trim() === '') throw hfError(ErrorCodes.INVALID_ARGUMENT, 'reason: a reopen says why (it is signed and sent to the origin)', { field: 'reason' })
    return await this.record(id, parseUpdateStatus(to), reason, true)
  }

  private async record (idText: string, status: UpdateStatus, note: string | undefined, reopen: boolean): Promise<ReportView> {
    const { ctx, logger } = this.init
    const text = (note ?? '').trim()
    if (text.length > MAX_NOTE_LENGTH || text.includes('\u0000')) throw hfError(ErrorCodes.INVALID_ARGUMENT, `note: text of at most ${MAX_NOTE_LENGTH} characters`, { field: 'note' })
    const id = await this.resolveId(idText)
    await this.reports.locks.run(id, async () => {
      const stored = await this.mustGet(id)
      if (!stored.inbound) {
        throw hfError(ErrorCodes.FORBIDDEN, `report ${id} is ${stored.unroutable ? 'unroutable' : `handled by ${this.targetName(stored)}`}; only the responsible hotline records its status`)
      }
      const from = viewStatus(stored) as FromStatus
      const wrong = transitionError(from, status, reopen)
      if (wrong !== null) throw hfError(ErrorCodes.INVALID_ARGUMENT, `report ${id}: ${wrong}`, { field: 'status', from, to: status })
      if (stored.timeline.length >= MAX_STATUS_UPDATES) throw hfError(ErrorCodes.FORBIDDEN, `report ${id} already has ${MAX_STATUS_UPDATES} status updates`)
      const r = decodeStoredReport(stored)
      const seq = decodeTimeline(stored).filter(u => sameBytes(u.author, ctx.identity.peerIdBytes)).reduce((m, u) => Math.max(m, u.seq), 0) + 1
      const update = { reportId: id, author: ctx.identity.peerIdBytes, seq, status: statusToEnum(status), note: text, atMs: Date.now(), reopen }
      const signed = signStatus(ctx.identity, update)
      const ops = [this.reports.put(id, withUpdate(stored, signed, pb.StatusUpdate.create(update), update.atMs))]
      const origin = peerIdFromBytes(r.origin).toString()
      if (origin === this.self) await this.reports.write(ops)
      else await this.courier.send(origin, { status: signed }, { subject: id, with: ops })
      logger.info({ reportId: id, status, from, reopen, seq, origin: ctx.federation.nameOf(origin) }, reopen ? 'report reopened' : 'report status updated')
    })
    return await this.show(id)
  }

  /** A full id from an id or a unique prefix of 8+ characters (report-id.ts). */
  async resolveId (text: string): Promise<string> {
    if (typeof text === 'string' && UUID.test(text)) return text
    const prefix = String(text ?? '').trim().toLowerCase()
    // reports are keyed by id: the candidates are one short key range, read only for a plausible prefix
    const ids = /^[0-9a-f-]{8,}$/.test(prefix) ? await this.init.ctx.store.sub.reports.keys({ gte: prefix, lt: prefix + '\uffff', limit: 6 }).all() : []
    return resolveReportId(String(text ?? ''), ids)
  }

  // ------------------------------------------------------------ reading

  async show (id: string): Promise<ReportView> {
    return toReportView(await this.mustGet(await this.resolveId(id)), this.init.ctx.federation)
  }

  /** Where a URL or IP is hosted: addresses, country, AS, and the member a report would go to. */
  async trace (target: string): Promise<HostTrace> {
    return await traceHost(target, { resolver: this.resolver, federation: this.init.ctx.federation })
  }

  /** Newest first, from the report index: only the reports shown are read from the store. */
  async list (filter: ListFilter = {}): Promise<ReportView[]> {
    const status = filter.status !== undefined ? parseStatusFilter(filter.status) : undefined
    await this.reports.ready()
    const rows = await queryRows(this.init.ctx.store, { ...filter, status, limit: filter.limit ?? DEFAULT_LIST_LIMIT })
    const views: ReportView[] = []
    for (const stored of await this.reports.getMany(rows.map(r => r.id))) {
      if (stored !== undefined) views.push(toReportView(stored, this.init.ctx.federation))
    }
    return views
  }

  /** Counts for `hashfed status`, the dashboard and metrics: sums kept with every write, no scan. */
  async reportCounts (): Promise<ReportCounts> {
    const byDirection = (await this.reports.ready()).byDirection()
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

  /**
   * Anonymous facts of held and retained reports by a full scan of the reports and retention's
   * counts: the reference the report index is checked against, not for serving.
   */
  async scanFacts (): Promise<ReportFact[]> {
    const facts: ReportFact[] = []
    for await (const [id, stored] of this.reports.entries()) facts.push(rowFact(indexRowOf(id, stored)))
    for await (const [key, raw] of this.init.ctx.store.sub.stats.iterator(archiveRange)) {
      try {
        facts.push(...factsFromArchive(key, JSON.parse(Buffer.from(raw).toString('utf8')) as ArchiveBucket))
      } catch (err) {
        this.init.logger.warn({ key, err: (err as Error).message }, 'skipping an unreadable report statistics row')
      }
    }
    return facts
  }

  /**
   * Statistics from the report index: whole days from the day buckets, and the first day of
   * `since`, when it starts inside a day, from that day's rows (the reports retention deleted
   * that day count from the day's start, as they always did). `now` moves the clock for
   * `since` and the open-alert age (tests, reports as of a date).
   */
  async stats (query: StatsQuery = {}, now = Date.now()): Promise<ReportStats> {
    let by: StatsGroupBy | undefined
    if (query.by !== undefined) {
      if (!(STATS_GROUPS as readonly string[]).includes(query.by)) throw hfError(ErrorCodes.INVALID_ARGUMENT, `by: "${query.by}" is not one of ${STATS_GROUPS.join(', ')}`, { field: 'by' })
      by = query.by as StatsGroupBy
    }
    const sinceMs = query.since !== undefined ? parseSince(query.since, now) : undefined
    const aggregates = await this.reports.ready()
    const { openAlertDays } = this.init.ctx.config.reports
    const openUpTo = now - openAlertDays * DAY_MS
    let window
    if (sinceMs === undefined) window = aggregates.window(by, openUpTo)
    else {
      const day = dayOf(sinceMs)
      const dayStart = Date.parse(`${day}T00:00:00Z`)
      const whole = sinceMs === dayStart
      window = aggregates.window(by, openUpTo, day, whole)
      if (!whole) for (const row of await rowsCreated(this.init.ctx.store, sinceMs, dayStart + DAY_MS)) window.parts.push(factPart(rowFact(row)))
    }
    return summariseParts(window.parts, { by, sinceMs, openAlertDays, now }, window.removals, window.pre)
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

/** `--since`: an ISO date/time, or `<n>d`, `<n>h`, `<n>w` back from now. */
export function parseSince (text: string, now: number): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([hdw])\s*$/i.exec(text)
  if (m !== null) return now - Number(m[1]) * { h: DAY_MS / 24, d: DAY_MS, w: 7 * DAY_MS }[m[2].toLowerCase() as 'h' | 'd' | 'w']
  const t = Date.parse(text)
  if (Number.isNaN(t)) throw hfError(ErrorCodes.INVALID_ARGUMENT, `since: "${text}" is not a date (2025-01-31) or a duration (30d, 12h, 2w)`, { field: 'since' })
  return t
}
