import '../polyfill.js'
import type { FastifyInstance } from 'fastify'
import { createHttpServer, listen } from '../http/http-server.js'
import { listenError } from '../http/listen-error.js'
import { registerAdminRoutes } from '../api/admin-routes.js'
import { webGuard } from '../api/web-guard.js'
import { NodeMetrics } from '../api/metrics.js'
import { startCheckServer, type CheckServer } from '../check-api/check-server.js'
import { removeRuntime, writeRuntime } from '../context/runtime-file.js'
import { NodeComponents, type StartNodeInit } from '../node/node-components.js'
import { collectStatus, type NodeStatus } from '../node/node-status.js'
import type { Member } from '../config/federation.js'

export type { StartNodeInit } from '../node/node-components.js'

/**
 * The composition root of a running node: its components, then the surfaces over them — the
 * check API on `config.check` (when set), Prometheus metrics, and last the admin API, when
 * everything can answer — and the runtime file that tells CLI commands where to find it.
 */
export class HashfedNode {
  adminUrl = ''
  checkUrl = ''
  private admin: FastifyInstance | null = null
  private checkServer: CheckServer | null = null
  private stopping: Promise<void> | null = null

  private constructor (
    readonly components: NodeComponents,
    /** Prometheus metrics of this node (its own registry), served at /metrics; the components registered theirs */
    readonly metrics: NodeMetrics
  ) {}

  static async start (init: StartNodeInit): Promise<HashfedNode> {
    const metrics = new NodeMetrics()
    const node = new HashfedNode(await NodeComponents.start({ ...init, metrics }), metrics)
    try {
      await node.startSurfaces()
      return node
    } catch (err) {
      await node.stop().catch(() => {})
      throw err
    }
  }

  private async startSurfaces (): Promise<void> {
    const { ctx, log, check, match } = this.components
    const { config, dir, identity } = ctx
    if (config.check !== undefined) {
      this.checkServer = await startCheckServer({
        host: config.check.host,
        port: config.check.port,
        service: check.service,
        tokens: check.tokens,
        feedback: check.feedback,
        images: check.images,
        rateLimit: config.check.rateLimit,
        maxVideoBytes: config.check.maxVideoBytes,
        ffmpegPath: config.video.ffmpegPath,
        isOriginEnabled: (o) => match.isOriginEnabled(o),
        logger: log.child({ component: 'check' }),
        observe: (route, code, ms) => this.metrics.observeCheck(route, code, ms),
        hma: {
          prefix: config.check.hma.prefix,
          tokenHeader: config.check.hma.tokenHeader,
          store: ctx.store,
          hashLog: this.components.hashLog,
          banks: {
            origins: () => this.components.hashLog.heads().map(h => h.origin),
            nameOf: (p) => ctx.federation.nameOf(p),
            resolve: (name) => ctx.federation.byMemberName(name)?.peerId ?? (this.components.hashLog.head(name) !== undefined ? name : null),
            isEnabled: (p) => match.isOriginEnabled(p)
          },
          indexSize: (a) => match.index.size(a),
          thresholds: { pdq: config.match.pdqThreshold, blockhash: config.match.blockhashThreshold }
        }
      })
      this.checkUrl = this.checkServer.url
    }
    this.metrics.registerCheckStats(() => this.checkServer?.stats)
    this.admin = createHttpServer({
      host: config.api.host,
      port: config.api.port,
      // asked per request: POST /v1/admin/token rotates it without a restart
      token: () => ctx.config.api.token,
      // a web page in the operator's browser must not be able to use the admin API
      guard: webGuard({ host: config.api.host, allowedHosts: () => ctx.config.api.allowedHosts })
    })
    await registerAdminRoutes(this.admin, this)
    try {
      this.adminUrl = await listen(this.admin, config.api.host, config.api.port)
    } catch (err) {
      throw listenError('the admin API', `${config.api.host}:${config.api.port}`, 'api.host/api.port', err)
    }
    const listenAddrs = this.listenAddresses()
    await writeRuntime(dir, { pid: process.pid, peerId: identity.peerId.toString(), listen: listenAddrs, adminUrl: this.adminUrl, ...(this.checkUrl !== '' ? { checkUrl: this.checkUrl } : {}), startedAt: new Date().toISOString() })
    log.info({ peerId: identity.peerId.toString(), listen: listenAddrs, admin: this.adminUrl, members: ctx.federation.members.length }, 'node started')
  }

  get ctx (): NodeComponents['ctx'] { return this.components.ctx }
  get log (): NodeComponents['log'] { return this.components.log }
  get libp2p (): NodeComponents['libp2p'] { return this.components.libp2p }
  get members (): NodeComponents['members'] { return this.components.members }
  get penalties (): NodeComponents['penalties'] { return this.components.penalties }
  get hashLog (): NodeComponents['hashLog'] { return this.components.hashLog }
  get hashLists (): NodeComponents['hashLists'] { return this.components.hashLists }
  get replicator (): NodeComponents['replicator'] { return this.components.replicator }
  get reports (): NodeComponents['reports'] { return this.components.reports }
  get match (): NodeComponents['match'] { return this.components.match }
  get check (): NodeComponents['check'] { return this.components.check }

  listenAddresses (): string[] {
    return this.components.listenAddresses()
  }

  /** Resolves once background work a start leaves (the HMA bank_content_id rows of what the store holds) is done. */
  async backgroundSettled (): Promise<void> {
    await this.checkServer?.settled()
  }

  status (): Promise<NodeStatus> {
    return collectStatus(this.ctx, { running: true, node: this.components, adminUrl: this.adminUrl, ...(this.checkUrl !== '' && { checkUrl: this.checkUrl }) })
  }

  async addMember (member: Member): Promise<void> {
    await this.components.addMember(member)
  }

  async reloadFederationFile (): Promise<void> {
    await this.components.reloadFederationFile()
  }

  /** Surfaces first (no new requests), then the components, then the runtime file. */
  async stop (): Promise<void> {
    this.stopping ??= (async () => {
      await this.admin?.close().catch((err: unknown) => this.log.error({ err }, 'closing the admin API failed'))
      await this.checkServer?.close().catch((err: unknown) => this.log.error({ err }, 'closing the check API failed'))
      await this.components.stop()
      await removeRuntime(this.ctx.dir)
    })()
    await this.stopping
  }
}
