import { Counter, Gauge, Histogram, Registry } from 'prom-client'
import type { MemberLink } from '../net/member-connections.js'
import type { OriginLag, PeerSyncState } from '../sync/replicator.js'
import { MAX_LAG_SHOWN_BATCHES } from '../sync/constants.js'
import type { ReportFact } from '../reports/report-stats.js'
import { REPORT_STATUSES } from '../reports/report-status.js'

/**
 * What the node metrics read, all at scrape time. HashfedNode has this shape; keeping it an
 * interface says exactly which parts of the node metrics depend on.
 */
export interface MetricsSource {
  ctx: {
    config: { name: string }
    identity: { peerId: { toString: () => string } }
    federation: { others: Array<{ name: string, peerId: string }>, nameOf: (peerId: string) => string }
  }
  members: { links: () => MemberLink[] }
  hashLog: {
    listOrigins: () => Array<{ origin: string, entries: number, retractions: number, headSeq: number }>
    head: (origin: string) => { seq: number, entries: number } | undefined
    forks: () => Promise<unknown[]>
  }
  replicator: {
    batchesReceived: number
    rejectedByReason: ReadonlyMap<string, number>
    peerState: (peer: string) => PeerSyncState
    /** per origin, how far we are behind the newest head a member announced */
    lag: () => OriginLag[]
  }
  reports: {
    outboxDepth: (peer?: string) => number
    outbox: { delivered: number }
    rejections: () => { byReason: Record<string, number>, byPeer: Record<string, number> }
    facts: () => Promise<ReportFact[]>
  }
  refusedTotal: number
  /** offences per peer and the members cut off for them */
  penalties?: {
    offencesByReason: ReadonlyMap<string, number>
    cutOffsTotal: number
    refusedTotal: number
    list: () => Array<{ peer: string }>
  }
  /** the match index: sizes per algorithm, and the kill switch per origin */
  match?: { index: { counts: () => Record<string, { values: number, refs: number }> }, isOriginEnabled: (origin: string) => boolean }
}

/** the hash check API's counters since start, when the config has one */
export type CheckStatsSource = () => { hashes: number, images: number, matches: number, feedback: number } | undefined

export interface NodeMetricsInit {
  /** @default 'hashfed' version label of hashfed_build_info */
  version?: string
}

/** Hours and days: a hoster removes material in minutes at best and weeks at worst. */
const REMOVAL_BUCKETS_S = [300, 900, 3600, 3 * 3600, 6 * 3600, 12 * 3600, 86400, 2 * 86400, 3 * 86400, 7 * 86400, 14 * 86400, 30 * 86400]
/** A check of one hash answers from memory in well under a millisecond; a batch of 10k takes tens. */
const CHECK_BUCKETS_S = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5]

/**
 * One node's Prometheus metrics, in a registry of its own (tests run several nodes in one
 * process; prom-client's global registry would mix them). Node state is read when scraped
 * (collect callbacks); only check requests are counted as they happen (`observeCheck`),
 * because their latencies exist nowhere else.
 */
export class NodeMetrics {
  readonly registry = new Registry()
  readonly checkRequests: Counter<'endpoint' | 'code'>
  readonly checkDuration: Histogram<'endpoint'>
  private source: MetricsSource | null = null
  /** scans in progress, shared by the collectors of one scrape (they all start at once) */
  private readonly inflight = new Map<string, Promise<unknown>>()

  constructor (init: NodeMetricsInit = {}) {
    const registers = [this.registry]
    this.checkRequests = new Counter({ name: 'hashfed_check_requests_total', help: 'Hash check API requests, by endpoint and HTTP status code.', labelNames: ['endpoint', 'code'], registers })
    this.checkDuration = new Histogram({ name: 'hashfed_check_request_duration_seconds', help: 'Time to answer a hash check API request, in seconds.', labelNames: ['endpoint'], buckets: CHECK_BUCKETS_S, registers })
    new Gauge({ name: 'hashfed_build_info', help: 'Always 1; the labels say which hashfed this is.', labelNames: ['version'], registers }).set({ version: init.version ?? '0.1.0' }, 1)
    this.processMetrics()
  }

  /** The Content-Type of `scrape()`'s text. */
  get contentType (): string {
    return this.registry.contentType
  }

  /** The Prometheus text exposition of every metric. */
  async scrape (): Promise<string> {
    return await this.registry.metrics()
  }

  /** One answered check API request (the check server's `observe` hook). */
  observeCheck (endpoint: string, statusCode: number, ms: number): void {
    this.checkRequests.inc({ endpoint, code: String(statusCode) })
    this.checkDuration.observe({ endpoint }, ms / 1000)
  }

  /** Registers the node's gauges and counters; they read `source` at every scrape. */
  attachNode (source: MetricsSource, checkStats: CheckStatsSource = () => undefined): void {
    if (this.source !== null) return
    this.source = source
    const registers = [this.registry]
    const node = (): MetricsSource => source
    const nameOf = (peer: string): string => node().ctx.federation.nameOf(peer)

    new Gauge({
      name: 'hashfed_node_info',
      help: 'Always 1; labels name this node and its peer ID.',
      labelNames: ['name', 'peer_id'],
      registers,
      collect () { this.reset(); this.set({ name: node().ctx.config.name, peer_id: node().ctx.identity.peerId.toString() }, 1) }
    })
    new Gauge({ name: 'hashfed_members', help: 'Other members in the federation file.', registers, collect () { this.set(node().ctx.federation.others.length) } })

    // ---- links
    new Gauge({ name: 'hashfed_peers_connected', help: 'Other members with an open connection.', registers, collect () { this.set(node().members.links().filter(l => l.connected).length) } })
    new Gauge({
      name: 'hashfed_peer_up',
      help: '1 when the member has an open connection, else 0.',
      labelNames: ['peer'],
      registers,
      collect () { this.reset(); for (const l of node().members.links()) this.set({ peer: l.name }, l.connected ? 1 : 0) }
    })
    new Gauge({
      name: 'hashfed_peer_rtt_seconds',
      help: 'Last measured round-trip time to a connected member, in seconds.',
      labelNames: ['peer'],
      registers,
      collect () { this.reset(); for (const l of node().members.links()) if (l.connected && l.rttMs !== null) this.set({ peer: l.name }, l.rttMs / 1000) }
    })
    new Gauge({
      name: 'hashfed_peer_last_sync_timestamp_seconds',
      help: 'When the last sync session with a member completed, in seconds since the epoch.',
      labelNames: ['peer'],
      registers,
      collect () {
        this.reset()
        for (const m of node().ctx.federation.others) {
          const at = node().replicator.peerState(m.peerId).lastSyncAt
          if (at !== null) this.set({ peer: m.name }, at / 1000)
        }
      }
    })
    new Counter({
      name: 'hashfed_peer_rejected_messages_total',
      help: 'Batches and report messages from a member that failed verification, since start.',
      labelNames: ['peer'],
      registers,
      collect () {
        this.reset()
        const reports = node().reports.rejections().byPeer
        for (const m of node().ctx.federation.others) this.inc({ peer: m.name }, node().replicator.peerState(m.peerId).rejected + (reports[m.peerId] ?? 0))
      }
    })
    new Counter({ name: 'hashfed_connections_refused_total', help: 'Connections refused because the peer is not a federation member, since start.', registers, collect () { this.reset(); this.inc(node().refusedTotal) } })
    new Counter({
      name: 'hashfed_peer_offences_total',
      help: 'Offences of members (failed verification, protocol breaches) counted towards cutting them off, by reason, since start.',
      labelNames: ['reason'],
      registers,
      collect () { this.reset(); for (const [reason, n] of node().penalties?.offencesByReason ?? []) this.inc({ reason }, n) }
    })
    new Counter({ name: 'hashfed_peer_cutoffs_total', help: 'Times a member was cut off for repeated offences, since start.', registers, collect () { this.reset(); this.inc(node().penalties?.cutOffsTotal ?? 0) } })
    new Counter({ name: 'hashfed_connections_refused_cut_off_total', help: 'Connections refused because the member is cut off, since start.', registers, collect () { this.reset(); this.inc(node().penalties?.refusedTotal ?? 0) } })
    new Gauge({
      name: 'hashfed_peer_cut_off',
      help: '1 while a member is cut off for its offences (its connections refused), else 0.',
      labelNames: ['peer'],
      registers,
      collect () {
        this.reset()
        const cut = new Set((node().penalties?.list() ?? []).map(c => c.peer))
        for (const m of node().ctx.federation.others) this.set({ peer: m.name }, cut.has(m.peerId) ? 1 : 0)
      }
    })

    // ---- replication
    // bounded by the replicator: one row per origin, at most MAX_LAG_SHOWN_BATCHES behind
    const lag = (): OriginLag[] => node().replicator.lag()
    new Gauge({
      name: 'hashfed_sync_lag_batches',
      help: `Per origin, batches between our head and the newest head any member announced (an unverified claim: shown up to ${MAX_LAG_SHOWN_BATCHES}).`,
      labelNames: ['origin'],
      registers,
      collect () { this.reset(); for (const l of lag()) this.set({ origin: nameOf(l.origin) }, l.batches) }
    })
    new Gauge({
      name: 'hashfed_sync_lag_entries',
      help: 'Per origin, log entries between our head and the newest head any member announced.',
      labelNames: ['origin'],
      registers,
      collect () { this.reset(); for (const l of lag()) this.set({ origin: nameOf(l.origin) }, l.entries) }
    })
    new Counter({ name: 'hashfed_sync_batches_received_total', help: 'Batches received from members, verified and stored, since start.', registers, collect () { this.reset(); this.inc(node().replicator.batchesReceived) } })
    new Counter({
      name: 'hashfed_sync_batches_rejected_total',
      help: 'Batches and sync messages refused, by reason, since start.',
      labelNames: ['reason'],
      registers,
      collect () { this.reset(); for (const [reason, n] of node().replicator.rejectedByReason) this.inc({ reason }, n) }
    })
    const forks = new Gauge({
      name: 'hashfed_fork_alarms',
      help: 'Fork evidence kept: an origin signed two different batches for one sequence number.',
      registers,
      collect: async () => { forks.set((await this.cached('forks', async () => await node().hashLog.forks())).length) }
    })

    // ---- hash lists
    new Gauge({ name: 'hashfed_log_batches', help: 'Per origin, batches held (the head sequence number).', labelNames: ['origin'], registers, collect () { this.reset(); for (const o of node().hashLog.listOrigins()) this.set({ origin: nameOf(o.origin) }, o.headSeq) } })
    new Gauge({ name: 'hashfed_log_hashes', help: 'Per origin, hashes in its current set.', labelNames: ['origin'], registers, collect () { this.reset(); for (const o of node().hashLog.listOrigins()) this.set({ origin: nameOf(o.origin) }, o.entries) } })
    new Gauge({ name: 'hashfed_log_retracted_hashes', help: 'Per origin, hashes added and later retracted.', labelNames: ['origin'], registers, collect () { this.reset(); for (const o of node().hashLog.listOrigins()) this.set({ origin: nameOf(o.origin) }, o.retractions) } })
    new Gauge({
      name: 'hashfed_index_hashes',
      help: 'Distinct hash values in the match index, per algorithm.',
      labelNames: ['algorithm'],
      registers,
      collect () { this.reset(); for (const [algorithm, c] of Object.entries(node().match?.index.counts() ?? {})) this.set({ algorithm }, c.values) }
    })
    new Gauge({
      name: 'hashfed_index_references',
      help: 'Hash values times the origins vouching for them in the match index, per algorithm.',
      labelNames: ['algorithm'],
      registers,
      collect () { this.reset(); for (const [algorithm, c] of Object.entries(node().match?.index.counts() ?? {})) this.set({ algorithm }, c.refs) }
    })
    new Gauge({
      name: 'hashfed_origin_matching_enabled',
      help: 'Per origin, 1 when its hashes are matched, 0 when its kill switch is off.',
      labelNames: ['origin'],
      registers,
      collect () {
        this.reset()
        const match = node().match
        if (match !== undefined) for (const o of node().hashLog.listOrigins()) this.set({ origin: nameOf(o.origin) }, match.isOriginEnabled(o.origin) ? 1 : 0)
      }
    })
    const checkStat = (name: string, help: string, pick: (s: { hashes: number, images: number, matches: number, feedback: number }) => number): void => {
      new Counter({ name, help, registers, collect () { this.reset(); this.inc(pick(checkStats() ?? { hashes: 0, images: 0, matches: 0, feedback: 0 })) } })
    }
    checkStat('hashfed_check_hashes_total', 'Hashes looked up through the check API, since start.', s => s.hashes)
    checkStat('hashfed_check_images_total', 'Images hashed (and discarded) for the check API, since start.', s => s.images)
    checkStat('hashfed_check_matches_total', 'Check API lookups that matched a hash, since start.', s => s.matches)
    checkStat('hashfed_check_feedback_total', 'Hoster feedback messages received through the check API, since start.', s => s.feedback)

    // ---- reports
    new Gauge({
      name: 'hashfed_outbox_messages',
      help: 'Report messages waiting for a member\'s receipt, per member.',
      labelNames: ['peer'],
      registers,
      collect () { this.reset(); for (const m of node().ctx.federation.others) this.set({ peer: m.name }, node().reports.outboxDepth(m.peerId)) }
    })
    new Counter({ name: 'hashfed_outbox_delivered_total', help: 'Report messages delivered with a valid receipt, since start.', registers, collect () { this.reset(); this.inc(node().reports.outbox.delivered) } })
    new Counter({
      name: 'hashfed_report_messages_rejected_total',
      help: 'Inbound report protocol messages refused, by reason, since start.',
      labelNames: ['reason'],
      registers,
      collect () { this.reset(); for (const [reason, n] of Object.entries(node().reports.rejections().byReason)) this.inc({ reason }, n) }
    })
    const facts = async (): Promise<ReportFact[]> => await this.cached('facts', async () => await node().reports.facts())
    const reports = new Gauge({
      name: 'hashfed_reports',
      help: 'Reports held, by direction (inbound: we are responsible; outbound: we reported abroad) and status.',
      labelNames: ['direction', 'status'],
      registers,
      collect: async () => {
        reports.reset()
        for (const direction of ['inbound', 'outbound']) for (const status of REPORT_STATUSES) reports.set({ direction, status }, 0)
        for (const f of await facts()) if (f.archived !== true) reports.inc({ direction: f.direction, status: f.status }, f.count)
      }
    })
    const archived = new Gauge({
      name: 'hashfed_reports_archived',
      help: 'Reports deleted by retention and kept only as anonymous counts.',
      registers,
      collect: async () => { archived.set((await facts()).reduce((n, f) => n + (f.archived === true ? f.count : 0), 0)) }
    })
    const removal = new Histogram({
      name: 'hashfed_report_removal_seconds',
      help: 'Time from report to removal by the hoster, in seconds, for reports held and kept as counts.',
      labelNames: ['direction'],
      buckets: REMOVAL_BUCKETS_S,
      registers,
      collect: async () => {
        removal.reset()
        for (const f of await facts()) if (f.removalMs !== null) for (let i = 0; i < f.count; i++) removal.observe({ direction: f.direction }, f.removalMs / 1000)
      }
    })
  }

  /** Process basics under their conventional names (prom-client's set fails promtool's lint). */
  private processMetrics (): void {
    const registers = [this.registry]
    new Counter({ name: 'process_cpu_seconds_total', help: 'User and system CPU time spent, in seconds.', registers, collect () { const u = process.cpuUsage(); this.reset(); this.inc((u.user + u.system) / 1e6) } })
    new Gauge({ name: 'process_resident_memory_bytes', help: 'Resident memory size, in bytes.', registers, collect () { this.set(process.memoryUsage.rss()) } })
    new Gauge({ name: 'process_start_time_seconds', help: 'Start time of the process, in seconds since the epoch.', registers }).set(Math.round(Date.now() / 1000 - process.uptime()))
    new Gauge({ name: 'nodejs_heap_used_bytes', help: 'V8 heap in use, in bytes.', registers, collect () { this.set(process.memoryUsage().heapUsed) } })
  }

  /**
   * One scan serves every metric of a scrape that needs it: prom-client starts all collectors
   * together, so they find the scan in progress. Nothing is kept once it is done, so the next
   * scrape sees fresh data.
   */
  private async cached<T> (key: string, load: () => Promise<T>): Promise<T> {
    const running = this.inflight.get(key)
    if (running !== undefined) return await (running as Promise<T>)
    const value = load().finally(() => this.inflight.delete(key))
    this.inflight.set(key, value)
    return await value
  }
}
