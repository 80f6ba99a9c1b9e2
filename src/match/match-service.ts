import { readFile } from 'node:fs/promises'
import type { Logger } from 'pino'
import { hfError, ErrorCodes } from '../errors.js'
import { Lock } from '../util/lock.js'
import type { NodeDir } from '../config/node-dir.js'
import { saveNodeConfig, type NodeConfigInput } from '../config/node-config.js'
import type { HashLog } from '../log/hash-log.js'
import { createMatchIndex, type AlgorithmCounts, type MatchIndex } from './match-index.js'
import { VideoMatcher } from './video-matcher.js'
import { IndexFeeder, type RebuildStats } from './index-feeder.js'
import { BatchHashes } from './batch-hashes.js'
import { VPDQ_QUALITY_THRESHOLD } from '../hashing/video/constants.js'
import { BenignIndex } from './benign-index.js'
import type { AlgorithmName } from '../log/hash-value.js'
import type { NodeContext } from '../context/node-context.js'
import type { MetricsRegistry } from '../observe/metrics-registry.js'

export interface MatchServiceInit {
  ctx: Omit<NodeContext, 'store'>
  hashLog: HashLog
  logger: Logger
}

export interface OriginMatchStatus {
  name: string
  peerId: string
  enabled: boolean
  /** hashes in the origin's current set */
  entries: number
}

export interface MatchStatus {
  /** load of the index at start */
  loaded: RebuildStats
  counts: Record<AlgorithmName, AlgorithmCounts>
  thresholds: { pdq: number, blockhash: number, vpdqComparePct: number, vpdqQueryPct: number }
  /** stored videos (vpdq entries) in the frame index */
  videos: number
  origins: OriginMatchStatus[]
  /** config `match.disabledOrigins` as written (member names, or peer IDs of former members) */
  disabledOrigins: string[]
}

/**
 * The node's match index: loaded from the store at start, fed by every stored batch, with a
 * per-origin kill switch. The switch is kept in the node config (`match.disabledOrigins`,
 * member names) so an operator sees and edits it in one place, and applied to the index at
 * once: no restart.
 */
export class MatchService {
  readonly index: MatchIndex
  /** vpdq entries' frames (video-to-video and frame-to-image matching) */
  readonly videos: VideoMatcher
  /** benign entries of every member's log (suppress matches; see check-service) */
  readonly benign = new BenignIndex()
  /** hash of every stored batch, for match answers (check/match-metadata.ts) */
  readonly batchHashes = new BatchHashes()
  loaded: RebuildStats = { entries: 0, ms: 0, cpuMs: 0 }
  private readonly feeder: IndexFeeder
  private readonly configWrites = new Lock()

  constructor (private readonly init: MatchServiceInit) {
    const { match } = init.ctx.config
    this.index = createMatchIndex({ pdqThreshold: match.pdqThreshold, blockhashThreshold: match.blockhashThreshold })
    this.videos = new VideoMatcher({
      qualityThreshold: VPDQ_QUALITY_THRESHOLD,
      distanceThreshold: match.pdqThreshold,
      comparePct: match.vpdqComparePct,
      queryPct: match.vpdqQueryPct
    }, origin => this.index.isOriginEnabled(origin))
    this.feeder = new IndexFeeder({ index: this.index, videos: this.videos, batchHashes: this.batchHashes, hashLog: init.hashLog, benign: this.benign, logger: init.logger })
  }

  static async start (init: MatchServiceInit): Promise<MatchService> {
    const svc = new MatchService(init)
    for (const entry of init.ctx.config.match.disabledOrigins) {
      const peerId = svc.resolve(entry, false)
      if (peerId === null) init.logger.warn({ origin: entry }, 'match.disabledOrigins names no member or held origin; ignored')
      else svc.index.setOriginEnabled(peerId, false)
    }
    // a removed member's list no longer matches (README "Key lifecycle"); its batches stay as history
    for (const h of init.hashLog.heads()) if (!init.ctx.federation.isOrigin(h.origin)) svc.index.setOriginEnabled(h.origin, false)
    svc.loaded = await svc.feeder.start()
    return svc
  }

  stop (): void {
    this.feeder.stop()
  }

  /** Switches an origin's matches off (`enabled` false) or on, in the index at once and in the config. */
  async setEnabled (nameOrId: string, enabled: boolean): Promise<OriginMatchStatus> {
    const peerId = this.resolve(nameOrId, true) as string
    const label = this.configName(peerId)
    await this.serialised(async () => {
      const { config, dir } = this.init.ctx
      const others = config.match.disabledOrigins.filter(d => this.resolve(d, false) !== peerId && d !== nameOrId)
      const next = enabled ? others : [...others, label]
      await writeDisabledOrigins(dir, next)
      config.match.disabledOrigins = next
      this.index.setOriginEnabled(peerId, enabled)
    })
    this.init.logger.info({ origin: label, enabled }, enabled ? 'origin matching enabled' : 'origin matching disabled (kill switch)')
    return this.originStatus(peerId)
  }

  status (): MatchStatus {
    const { match } = this.init.ctx.config
    const peers = new Set(this.init.hashLog.heads().map(h => h.origin))
    for (const d of match.disabledOrigins) {
      const p = this.resolve(d, false)
      if (p !== null) peers.add(p)
    }
    return {
      loaded: this.loaded,
      counts: this.index.counts(),
      thresholds: { pdq: match.pdqThreshold, blockhash: match.blockhashThreshold, vpdqComparePct: match.vpdqComparePct, vpdqQueryPct: match.vpdqQueryPct },
      videos: this.videos.size,
      origins: [...peers].map(p => this.originStatus(p)).sort((a, b) => a.name.localeCompare(b.name)),
      disabledOrigins: [...match.disabledOrigins]
    }
  }

  /** Index sizes per algorithm and the kill switch per origin held. */
  registerMetrics (metrics: MetricsRegistry): void {
    const counts = (pick: (c: AlgorithmCounts) => number) => () => Object.entries(this.index.counts()).map(([algorithm, c]) => ({ labels: { algorithm }, value: pick(c) }))
    metrics.gauge({ name: 'hashfed_index_hashes', help: 'Distinct hash values in the match index, per algorithm.', labelNames: ['algorithm'] }, counts(c => c.values))
    metrics.gauge({ name: 'hashfed_index_references', help: 'Hash values times the origins vouching for them in the match index, per algorithm.', labelNames: ['algorithm'] }, counts(c => c.refs))
    metrics.gauge({ name: 'hashfed_origin_matching_enabled', help: 'Per origin, 1 when its hashes are matched, 0 when its kill switch is off.', labelNames: ['origin'] },
      () => this.init.hashLog.listOrigins().map(o => ({ labels: { origin: this.init.ctx.federation.nameOf(o.origin) }, value: this.isOriginEnabled(o.origin) ? 1 : 0 })))
  }

  isOriginEnabled (peerId: string): boolean {
    return this.index.isOriginEnabled(peerId)
  }

  private originStatus (peerId: string): OriginMatchStatus {
    return { name: this.init.ctx.federation.nameOf(peerId), peerId, enabled: this.index.isOriginEnabled(peerId), entries: this.init.hashLog.head(peerId)?.current ?? 0 }
  }

  /** A member name or peer ID to a peer ID: a member, or a former member whose log we hold. */
  private resolve (nameOrId: string, required: boolean): string | null {
    const fed = this.init.ctx.federation
    const member = fed.byMemberName(nameOrId) ?? fed.byPeerId(nameOrId)
    if (member !== undefined && member.mirrorOf === undefined) return member.peerId
    if (this.init.hashLog.head(nameOrId) !== undefined) return nameOrId
    if (required) throw hfError(ErrorCodes.NOT_FOUND, `"${nameOrId}" is no origin of this federation (a member hotline's name or peer ID)`, { origin: nameOrId })
    return null
  }

  /** Members are written by name (readable config); former members by peer ID. */
  private configName (peerId: string): string {
    return this.init.ctx.federation.byPeerId(peerId)?.name ?? peerId
  }

  private async serialised (fn: () => Promise<void>): Promise<void> {
    await this.configWrites.run(fn)
  }
}

/** Rewrites `match.disabledOrigins` in config.json, keeping every other field as written. */
export async function writeDisabledOrigins (dir: NodeDir, disabled: string[]): Promise<void> {
  const raw = JSON.parse(await readFile(dir.config, 'utf8')) as NodeConfigInput
  raw.match = { ...(raw.match ?? {}), disabledOrigins: [...new Set(disabled)] }
  await saveNodeConfig(dir, raw)
}
