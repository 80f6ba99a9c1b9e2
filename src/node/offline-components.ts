import { hfError, ErrorCodes } from '../errors.js'
import { pino, type Logger } from 'pino'
import type { NodeContext } from '../context/node-context.js'
import { loadFederation, saveFederation, withMember, withoutMember } from '../config/federation.js'
import { federationPath } from '../config/node-config.js'
import { openHashLog, type HashLog } from '../log/hash-log.js'
import { HashListService } from '../lists/hash-list-service.js'
import { createReportService, type ReportService } from '../reports/report-service.js'
import { MatchService } from '../match/match-service.js'
import { CheckService } from '../check/check-service.js'
import { MatchMetadata } from '../check/match-metadata.js'
import { TokenStore } from '../check/token-store.js'
import { FeedbackService } from '../check/feedback-service.js'
import { KeyNotices } from '../lists/key-notices.js'
import { Membership } from '../lists/membership.js'
import { applyMembershipToFile, membershipAudit } from './membership-apply.js'
import { useCurrentSigningKey } from './signing-key.js'
import { QuarantineService } from '../check/quarantine-service.js'
import { trustedBenign } from '../check/check-components.js'
import type { ComponentAccess } from './component-access.js'
import { collectStatus } from './node-status.js'
import { collectPeers } from './peer-status.js'

export interface OfflineComponents extends ComponentAccess {
  close: () => Promise<void>
}

/**
 * A stopped node's components over its store, without libp2p: what a CLI command uses when no
 * node runs. Changes are stored (reports and feedback wait in the outbox) and the node acts
 * on them when it starts. Each component is opened on first use and closed by `close`.
 */
export function openOfflineComponents (ctx: NodeContext, logger: Logger = pino({ level: 'silent' })): OfflineComponents {
  const closers: Array<() => void | Promise<void>> = []
  const once = <T>(open: () => Promise<T>): () => Promise<T> => {
    let p: Promise<T> | undefined
    return async () => await (p ??= open())
  }
  const hashLog = once(async (): Promise<HashLog> => {
    const log = await openHashLog({ store: ctx.store, logger })
    await useCurrentSigningKey(ctx, log)
    closers.push(async () => await log.close())
    return log
  })
  const reports = once(async (): Promise<ReportService> => createReportService({ ctx, logger }))
  const loadedMatch = once(async () => {
    const match = await MatchService.start({ ctx, hashLog: await hashLog(), logger })
    closers.push(() => match.stop())
    return match
  })
  return {
    ctx,
    running: false,
    logger,
    hashLog,
    hashLists: once(async () => new HashListService(ctx, await hashLog())),
    reports,
    // the switch edits the config; the index is built when the node starts
    match: once(async () => new MatchService({ ctx, hashLog: await hashLog(), logger })),
    checkService: once(async () => {
      const metadata = new MatchMetadata({ hashLog: await hashLog() })
      closers.push(() => metadata.close())
      const match = await loadedMatch()
      const benign = { index: match.benign, trusted: trustedBenign(ctx), pdqThreshold: ctx.config.match.benignPdqThreshold }
      return new CheckService({ index: match.index, metadata, nameOf: (p) => ctx.federation.nameOf(p), maxHashes: ctx.config.check?.maxHashes, videos: match.videos, pdqThreshold: ctx.config.match.pdqThreshold, dihedral: ctx.config.match.dihedral, benign })
    }),
    tokens: once(async () => await TokenStore.open(ctx.store)),
    feedback: once(async () => new FeedbackService({ store: ctx.store, identity: ctx.identity, hashLog: await hashLog(), courier: (await reports()).courier, nameOf: (p) => ctx.federation.nameOf(p), logger })),
    keyNotices: once(async () => new KeyNotices({ identity: ctx.identity, federation: ctx.federation, hashLog: await hashLog(), courier: (await reports()).courier, logger })),
    membership: once(async () => new Membership({ store: ctx.store, identity: ctx.identity, federation: ctx.federation, courier: (await reports()).courier, logger, apply: async (c) => { ctx.federation.update(await applyMembershipToFile(ctx, c)) }, audit: membershipAudit(ctx.store) })),
    // holds and confirmations are stored; the node reads them when it starts
    quarantine: once(async () => await QuarantineService.open({
      store: ctx.store,
      identity: ctx.identity,
      hashLog: await hashLog(),
      courier: (await reports()).courier,
      others: () => ctx.federation.members.map(m => m.peerId).filter(p => p !== ctx.identity.peerId.toString()),
      nameOf: (p) => ctx.federation.nameOf(p),
      logger,
      limits: ctx.config.quarantine
    })),
    status: async () => await collectStatus(ctx, { running: false }),
    peers: async () => await collectPeers(ctx),
    addMember: async (member) => {
      const path = federationPath(ctx.dir, ctx.config)
      await saveFederation(path, withMember(await loadFederation(path), member))
    },
    removeMember: async (key) => {
      const path = federationPath(ctx.dir, ctx.config)
      const { federation, removed } = withoutMember(await loadFederation(path), key)
      if (removed.peerId === ctx.identity.peerId.toString()) throw hfError(ErrorCodes.FORBIDDEN, `${removed.name} is this node; remove it from the federation file of the other members`)
      await saveFederation(path, federation)
      return { removed, members: federation.members.length }
    },
    reloadFederationFile: async () => false,
    close: async () => {
      for (const close of closers.reverse()) await close()
    }
  }
}
