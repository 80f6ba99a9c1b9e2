import type { Logger } from 'pino'
import type { NodeContext } from '../node/node-context.js'
import type { MatchService } from '../node/match-service.js'
import type { HashLog } from '../log/hash-log.js'
import type { ReportService } from '../reports/report-service.js'
import { ImageHashPool } from '../hashing/image-hash-pool.js'
import { CheckService } from './check-service.js'
import { startCheckServer, type CheckServer, type CheckServerInit } from './check-server.js'
import { FeedbackService } from './feedback-service.js'
import { MatchMetadata } from './match-metadata.js'
import { TokenStore } from './token-store.js'

export interface CheckFeatureInit {
  ctx: NodeContext
  hashLog: HashLog
  match: MatchService
  reports: ReportService
  logger: Logger
  /** metrics hook of the check server */
  observe?: CheckServerInit['observe']
}

/**
 * Everything the hash check needs on a running node: tokens, the check service over the
 * match index, feedback through the report outbox, the image hashing workers, and the check
 * API server on `config.check` (not started when the config has no `check` section).
 */
export class CheckFeature {
  server: CheckServer | null = null

  private constructor (
    readonly tokens: TokenStore,
    readonly service: CheckService,
    readonly feedback: FeedbackService,
    readonly images: ImageHashPool,
    private readonly metadata: MatchMetadata
  ) {}

  static async start (init: CheckFeatureInit): Promise<CheckFeature> {
    const { ctx, hashLog, match, reports, logger } = init
    const nameOf = (p: string): string => ctx.federation.nameOf(p)
    const metadata = new MatchMetadata({ hashLog })
    const service = new CheckService({ index: match.index, metadata, nameOf, maxHashes: ctx.config.check?.maxHashes })
    const feedback = new FeedbackService({ store: ctx.store, identity: ctx.identity, hashLog, outbox: reports.outbox, nameOf, logger: logger.child({ component: 'feedback' }) })
    feedback.register(reports.inbox)
    const feature = new CheckFeature(await TokenStore.open(ctx.store), service, feedback, new ImageHashPool(), metadata)
    const check = ctx.config.check
    if (check !== undefined) {
      try {
        feature.server = await startCheckServer({
          host: check.host,
          port: check.port,
          service,
          tokens: feature.tokens,
          feedback,
          images: feature.images,
          rateLimit: check.rateLimit,
          isOriginEnabled: (o) => match.isOriginEnabled(o),
          logger: logger.child({ component: 'check' }),
          observe: init.observe
        })
      } catch (err) {
        await feature.stop()
        throw err
      }
    }
    return feature
  }

  get url (): string | null {
    return this.server?.url ?? null
  }

  async stop (): Promise<void> {
    await this.server?.close()
    await this.images.close()
    this.metadata.close()
  }
}
