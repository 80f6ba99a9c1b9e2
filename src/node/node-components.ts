import { hfError, ErrorCodes } from '../errors.js'
import '../polyfill.js'
import { peerIdFromString } from '@libp2p/peer-id'
import type { Logger } from 'pino'
import { createLogger } from '../util/logger.js'
import { createNodeLibp2p, reserveAddresses, type HashfedLibp2p } from '../net/create-libp2p.js'
import { federationGater } from '../net/federation-gater.js'
import { PeerPenalties, type PeerPenaltiesInit } from '../net/peer-penalties.js'
import { MemberConnections, type MemberTarget } from '../net/member-connections.js'
import { loadFederation, saveFederation, withMember, withoutMember, type Member } from '../config/federation.js'
import { federationPath } from '../config/node-config.js'
import { Store } from '../store/store.js'
import { openHashLog, type HashLog } from '../log/hash-log.js'
import { Replicator } from '../sync/replicator.js'
import { syncLogOf } from '../sync/hash-log-adapter.js'
import { HashListService } from '../lists/hash-list-service.js'
import { loadNodeFiles, type NodeContext } from '../context/node-context.js'
import { failedListenAddress, listenError } from '../http/listen-error.js'
import { createReportService, type ReportService } from '../reports/report-service.js'
import { MatchService } from '../match/match-service.js'
import { CheckComponents } from '../check/check-components.js'
import { ConnectionRefusals } from '../net/connection-refusals.js'
import { noMetrics, type MetricsRegistry } from '../observe/metrics-registry.js'
import { registerLogMetrics } from '../log/log-metrics.js'
import { registerReportMetrics } from '../reports/report-metrics.js'
import { OFFENCE_REASONS, type OffenceReason } from './offence-reasons.js'
import { registerNodeMetrics } from './node-metrics.js'
import { KeyNotices } from '../lists/key-notices.js'
import { Membership } from '../lists/membership.js'
import { applyMembershipToFile, membershipAudit } from './membership-apply.js'
import { useCurrentSigningKey } from './signing-key.js'

export interface StartNodeInit {
  dir: string
  /** @default a pino logger on stdout */
  logger?: Logger
  /** when a misbehaving peer is cut off, and for how long (tests shorten them) @default PeerPenalties' defaults */
  penalties?: Omit<PeerPenaltiesInit, 'logger' | 'onCutOff' | 'onRestored' | 'reasons' | 'fallback'>
  /** replication timing (tests shorten them) */
  sync?: { periodicMs?: number, sessionIdleMs?: number }
  /** where each component registers its metrics (the daemon's Prometheus registry) @default none kept */
  metrics?: MetricsRegistry
}

export type { RefusedPeer } from '../net/connection-refusals.js'

/**
 * A node's components, started in dependency order: store, libp2p, member connections, hash log,
 * match index, replication, reports and the hash check's services. It serves no HTTP: the
 * composition root (`daemon/hashfed-node.ts`) starts the admin and check APIs over it.
 */
export class NodeComponents {
  hashLog!: HashLog
  hashLists!: HashListService
  replicator!: Replicator
  private stopping: Promise<void> | null = null
  /** URL reports: routing, outbox, receipts, status, stats (set in startServices) */
  reports!: ReportService
  /** match index over every origin's current set, with the per-origin kill switch */
  match!: MatchService
  /** hash check: tokens, check service, feedback, image hashing */
  check!: CheckComponents
  /** key revocations in and out (key lifecycle) */
  keyNotices!: KeyNotices
  /** membership proposals and votes (applied by quorum) */
  membership!: Membership
  /** stopped in reverse order of start; each feature pushes its own stop */
  private readonly stops: Array<{ name: string, stop: () => void | Promise<void> }> = []

  private constructor (
    readonly ctx: NodeContext,
    readonly libp2p: HashfedLibp2p,
    readonly members: MemberConnections,
    readonly log: Logger,
    /** offences per peer; a peer that keeps offending is cut off for a while */
    readonly penalties: PeerPenalties<OffenceReason>,
    /** connections the gater refused: outsiders, and members cut off */
    readonly refusals: ConnectionRefusals,
    private readonly syncInit: StartNodeInit['sync'] = {},
    private readonly metrics: MetricsRegistry = noMetrics
  ) {}

  static async start (init: StartNodeInit): Promise<NodeComponents> {
    const files = await loadNodeFiles(init.dir)
    const log = init.logger ?? createLogger({ node: files.config.name })
    const store = await Store.open(files.dir.store)
    const ctx: NodeContext = { ...files, store }
    let node: NodeComponents | undefined
    let libp2p: HashfedLibp2p | undefined
    const refusals = new ConnectionRefusals(log)
    const penalties = new PeerPenalties<OffenceReason>({
      ...init.penalties,
      reasons: OFFENCE_REASONS,
      fallback: 'internal',
      logger: log.child({ component: 'penalties' }),
      // hang up at once: the gater only sees new connections
      onCutOff: (peer) => { void node?.libp2p.hangUp(peerIdFromString(peer)).catch(() => {}) },
      onRestored: (peer) => { node?.members.redialNow(peer) }
    })
    try {
      try {
        libp2p = await createNodeLibp2p({
          privateKey: ctx.identity.privateKey,
          listen: ctx.config.listen,
          // members' IPs get through however many outsiders hold handshakes open
          reservedAddresses: ctx.federation.others.flatMap(m => m.addresses),
          gater: federationGater({
            isMember: (id) => ctx.federation.isMember(id),
            onRefused: (peerId, direction, remoteAddr) => refusals.record('not-member', { peerId, direction, remoteAddr, at: Date.now() }),
            isCutOff: (id) => penalties.isCutOff(id),
            onRefusedCutOff: (peerId, direction, remoteAddr) => refusals.record('cut-off', { peerId, direction, remoteAddr, at: Date.now() })
          })
        })
      } catch (err) {
        if (!/listen/i.test(err instanceof Error ? err.message : String(err))) throw err
        throw listenError('libp2p', failedListenAddress(err, ctx.config.listen), 'listen', err)
      }
      node = new NodeComponents(ctx, libp2p, new MemberConnections(libp2p, log), log, penalties, refusals, init.sync, init.metrics)
      await node.startServices()
      return node
    } catch (err) {
      if (node !== undefined) await node.stop().catch(() => {})
      else await store.close().catch(() => {})
      penalties.stop()
      await Promise.resolve(libp2p?.stop()).catch(() => {})
      throw err
    }
  }

  /** Feature services in dependency order. */
  private async startServices (): Promise<void> {
    const { federation, store } = this.ctx
    this.hashLog = await openHashLog({ store, logger: this.log.child({ component: 'log' }) })
    await useCurrentSigningKey(this.ctx, this.hashLog)
    this.onStop('hash log', async () => await this.hashLog.close())
    this.match = await MatchService.start({ ctx: this.ctx, hashLog: this.hashLog, logger: this.log.child({ component: 'match' }) })
    this.onStop('match index', () => this.match.stop())
    this.hashLists = new HashListService(this.ctx, this.hashLog)
    this.replicator = new Replicator({
      libp2p: this.libp2p,
      log: syncLogOf(this.hashLog, (o) => federation.isOrigin(o)),
      logger: this.log.child({ component: 'sync' }),
      isOrigin: (o) => federation.isOrigin(o),
      isMember: (p) => federation.isMember(p),
      // `revoked` is counted, not an offence: a member the revocation has not reached yet relays those batches in good faith
      onRejected: (peer, reason) => { if (reason !== 'revoked') this.penalties.offence(peer, reason) },
      ...this.syncInit
    })
    // every stored batch, ours or relayed, is announced at once: that is what makes it cross the federation
    this.hashLog.on('batch', (e) => this.replicator.announce(e.fromPeer, e))
    this.hashLog.on('revoked', (e) => this.replicator.chainCut(e.origin, e.firstBadSeq))
    this.hashLog.on('fork', (e) => this.log.error({ origin: e.origin, seq: e.seq, peer: e.fromPeer }, 'FORK: an origin signed two different batches for one sequence number; evidence kept'))
    await this.replicator.start()
    this.onStop('replication', () => this.replicator.stop())
    this.onStop('penalties', () => this.penalties.stop())
    this.members.start(this.memberTargets())
    this.onStop('member connections', () => this.members.stop())
    this.reports = createReportService({ ctx: this.ctx, libp2p: this.libp2p, logger: this.log, onOffence: (peer, reason) => { this.penalties.offence(peer, reason) } })
    this.onStop('reports', async () => await this.reports.stop())
    this.keyNotices = new KeyNotices({ identity: this.ctx.identity, federation, hashLog: this.hashLog, courier: this.reports.courier, logger: this.log.child({ component: 'keys' }) })
    this.membership = new Membership({
      store, identity: this.ctx.identity, federation, courier: this.reports.courier, logger: this.log.child({ component: 'membership' }),
      apply: async (c) => {
        this.reloadFederation(await applyMembershipToFile(this.ctx, c))
        // a removed member's list stops matching at once; a re-added one matches again
        this.match.index.setOriginEnabled(c.member.peerId, c.action === 'add')
      },
      audit: membershipAudit(store)
    })
    // registered before the courier serves: a notice must never meet an unknown kind
    await this.reports.start()
    this.hashLog.on('revoked', (e) => this.log.error({ origin: federation.nameOf(e.origin), firstBadSeq: e.firstBadSeq, revokedBatches: e.revokedBatches }, 'REVOKED: an origin\'s recovery key revoked its batches from this seq; they no longer match and are kept as evidence (hashfed keys status)'))
    this.check = await CheckComponents.open({ ctx: this.ctx, hashLog: this.hashLog, match: this.match, reports: this.reports, logger: this.log })
    this.onStop('check', async () => await this.check.close())
    this.registerMetrics(this.metrics)
  }

  /** Each component registers its own series; the node adds the per-member ones of its snapshot. */
  private registerMetrics (metrics: MetricsRegistry): void {
    const nameOf = (peer: string): string => this.ctx.federation.nameOf(peer)
    const others = (): Array<{ name: string, peerId: string }> => this.ctx.federation.others
    registerNodeMetrics(metrics, this)
    this.members.registerMetrics(metrics)
    this.refusals.registerMetrics(metrics)
    this.penalties.registerMetrics(metrics, others)
    this.replicator.registerMetrics(metrics, nameOf)
    registerLogMetrics(metrics, this.hashLog, nameOf)
    this.match.registerMetrics(metrics)
    registerReportMetrics(metrics, this.reports)
    this.check.registerMetrics(metrics)
  }

  private memberTargets (): MemberTarget[] {
    return this.ctx.federation.others.map(m => ({ name: m.name, peerId: m.peerId, addresses: m.addresses }))
  }

  private onStop (name: string, stop: () => void | Promise<void>): void {
    this.stops.push({ name, stop })
  }

  listenAddresses (): string[] {
    return this.libp2p.getMultiaddrs().map(a => a.toString())
  }

  /** Adds or replaces a member in the federation file and applies it without restart. */
  async addMember (member: Member): Promise<void> {
    const path = federationPath(this.ctx.dir, this.ctx.config)
    const updated = withMember(await loadFederation(path), member)
    await saveFederation(path, updated)
    this.reloadFederation(updated)
  }

  /**
   * Removes a member from the federation file and applies it: its connection is closed and
   * the gater refuses it. Its hash list is kept as it is (see README "Removing a member").
   */
  async removeMember (nameOrPeerId: string): Promise<{ removed: Member, members: number }> {
    const path = federationPath(this.ctx.dir, this.ctx.config)
    const { federation, removed } = withoutMember(await loadFederation(path), nameOrPeerId)
    if (removed.peerId === this.ctx.identity.peerId.toString()) throw hfError(ErrorCodes.FORBIDDEN, `${removed.name} is this node; remove it from the federation file of the other members`)
    await saveFederation(path, federation)
    this.reloadFederation(federation)
    return { removed, members: federation.members.length }
  }

  /** Re-reads the federation file (e.g. after a hand edit). */
  async reloadFederationFile (): Promise<void> {
    this.reloadFederation(await loadFederation(federationPath(this.ctx.dir, this.ctx.config)))
  }

  private reloadFederation (file: Parameters<NodeContext['federation']['update']>[0]): void {
    this.ctx.federation.update(file)
    this.members.setTargets(this.memberTargets())
    // connections of peers that are no longer members are closed by setTargets; the gater refuses new ones
    if (!reserveAddresses(this.libp2p, this.ctx.federation.others.flatMap(m => m.addresses))) {
      this.log.warn('members\' addresses are reserved against connection floods from the next start on (this libp2p version does not allow changing them while running)')
    }
    this.log.info({ members: file.members.length }, 'federation reloaded')
  }

  async stop (): Promise<void> {
    this.stopping ??= (async () => {
      this.log.info('node stopping')
      for (const { name, stop } of this.stops.reverse()) {
        try {
          await stop()
        } catch (err) {
          this.log.error({ err, component: name }, 'stopping failed')
        }
      }
      await Promise.resolve(this.libp2p.stop()).catch((err: unknown) => this.log.error({ err }, 'stopping libp2p failed'))
      await this.ctx.store.close().catch((err) => this.log.error({ err }, 'closing store failed'))
      this.log.info('node stopped')
    })()
    await this.stopping
  }
}
