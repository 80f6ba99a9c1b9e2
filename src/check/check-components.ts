import type { Logger } from 'pino'
import type { NodeContext } from '../context/node-context.js'
import type { MatchService } from '../match/match-service.js'
import type { HashLog } from '../log/hash-log.js'
import type { ReportService } from '../reports/report-service.js'
import { ImageHashPool } from '../hashing/image-hash-pool.js'
import { CheckService } from './check-service.js'
import { FeedbackService } from './feedback-service.js'
import { MatchMetadata } from './match-metadata.js'
import { TokenStore } from './token-store.js'

export interface CheckComponentsInit {
  ctx: NodeContext
  hashLog: HashLog
  match: MatchService
  reports: ReportService
  logger: Logger
}

/**
 * What the hash check needs on a node: hoster tokens, the check service over the match index,
 * feedback through the report outbox, and the image hashing workers. The check API that serves
 * them over HTTP is started by the composition root.
 */
export class CheckComponents {
  private constructor (
    readonly tokens: TokenStore,
    readonly service: CheckService,
    readonly feedback: FeedbackService,
    readonly images: ImageHashPool,
    private readonly metadata: MatchMetadata
  ) {}

  static async open (init: CheckComponentsInit): Promise<CheckComponents> {
    const { ctx, hashLog, match, reports, logger } = init
    const nameOf = (p: string): string => ctx.federation.nameOf(p)
    const metadata = new MatchMetadata({ hashLog, batchHashes: match.batchHashes })
    const service = new CheckService({ index: match.index, metadata, nameOf, maxHashes: ctx.config.check?.maxHashes, videos: match.videos, pdqThreshold: ctx.config.match.pdqThreshold, dihedral: ctx.config.match.dihedral })
    const feedback = new FeedbackService({ store: ctx.store, identity: ctx.identity, hashLog, courier: reports.courier, nameOf, logger: logger.child({ component: 'feedback' }) })
    return new CheckComponents(await TokenStore.open(ctx.store), service, feedback, new ImageHashPool(), metadata)
  }

  async close (): Promise<void> {
    await this.images.close()
    this.metadata.close()
  }
}
