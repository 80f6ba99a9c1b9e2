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
import { QuarantineService } from './quarantine-service.js'
import type { MetricsRegistry } from '../observe/metrics-registry.js'

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
    readonly quarantine: QuarantineService,
    private readonly metadata: MatchMetadata
  ) {}

  static async open (init: CheckComponentsInit): Promise<CheckComponents> {
    const { ctx, hashLog, match, reports, logger } = init
    const nameOf = (p: string): string => ctx.federation.nameOf(p)
    const metadata = new MatchMetadata({ hashLog, batchHashes: match.batchHashes })
    const self = ctx.identity.peerId.toString()
    const quarantine = await QuarantineService.open({
      store: ctx.store,
      identity: ctx.identity,
      hashLog,
      courier: reports.courier,
      others: () => ctx.federation.members.map(m => m.peerId).filter(p => p !== self),
      nameOf,
      logger: logger.child({ component: 'quarantine' }),
      limits: ctx.config.quarantine
    })
    const benign = { index: match.benign, trusted: trustedBenign(ctx), pdqThreshold: ctx.config.match.benignPdqThreshold }
    const service = new CheckService({ index: match.index, metadata, nameOf, maxHashes: ctx.config.check?.maxHashes, videos: match.videos, pdqThreshold: ctx.config.match.pdqThreshold, dihedral: ctx.config.match.dihedral, benign, gate: quarantine })
    const feedback = new FeedbackService({ store: ctx.store, identity: ctx.identity, hashLog, courier: reports.courier, nameOf, logger: logger.child({ component: 'feedback' }) })
    return new CheckComponents(await TokenStore.open(ctx.store), service, feedback, new ImageHashPool(), quarantine, metadata)
  }

  /** The false-positive defences' series (README "Metrics"). */
  registerMetrics (metrics: MetricsRegistry): void {
    const q = this.quarantine
    metrics.counter({ name: 'hashfed_check_matches_suppressed_total', help: 'matches answered as suppressed by a trusted member\'s benign entry' }, () => this.service.suppressedMatches)
    metrics.counter({ name: 'hashfed_check_matches_held_total', help: 'matches answered held: true (the hash is held on this node)' }, () => q.stats.heldAnswers)
    metrics.counter({ name: 'hashfed_quarantine_holds_total', help: 'holds started (automatic and operator)' }, () => q.stats.holds)
    metrics.counter({ name: 'hashfed_quarantine_released_total', help: 'holds ended (origin confirmed, operator released, hold time over)' }, () => q.stats.released)
    metrics.gauge({ name: 'hashfed_quarantine_held', help: 'hashes held on this node now' }, () => q.heldCount)
    metrics.counter({ name: 'hashfed_quarantine_notices_total', help: 'quarantine notices sent to origins and received about our hashes', labelNames: ['direction'] }, () => [
      { labels: { direction: 'sent' }, value: q.stats.noticesSent },
      { labels: { direction: 'received' }, value: q.stats.noticesReceived }
    ])
    metrics.counter({ name: 'hashfed_quarantine_confirmations_received_total', help: 'origins\' signed confirmations accepted (forged ones are counted by the report message rejections, reason not-origin)' }, () => q.stats.confirmationsReceived)
  }

  async close (): Promise<void> {
    await this.images.close()
    this.metadata.close()
  }
}

/** Whose benign entries this node trusts: `match.benignTrustedOrigins` (names or peer IDs), or every member. */
export function trustedBenign (ctx: NodeContext): (origin: string) => boolean {
  const list = ctx.config.match.benignTrustedOrigins
  if (list === undefined) return (origin) => ctx.federation.members.some(m => m.peerId === origin)
  const wanted = new Set(list)
  return (origin) => wanted.has(origin) || wanted.has(ctx.federation.nameOf(origin))
}
