import { hfError, ErrorCodes } from '../errors.js'
import { pino, type Logger } from 'pino'
import type { NodeContext } from '../context/node-context.js'
import { loadFederation, saveFederation, withMember, withoutMember } from '../config/federation.js'
import { federationPath } from '../config/node-config.js'
import { openHashLog, type HashLog } from '../log/hash-log.js'
import type { ReportService } from '../reports/report-service.js'
import type { MatchService } from '../match/match-service.js'
import { useCurrentSigningKey } from './signing-key.js'
import type { ComponentAccess } from './component-access.js'

export interface OfflineComponents extends ComponentAccess {
  close: () => Promise<void>
}

/**
 * A stopped node's components over its store, without libp2p: what a CLI command uses when no
 * node runs. Changes are stored (reports and feedback wait in the outbox) and the node acts
 * on them when it starts. Each component is opened on first use and closed by `close`; its
 * module is loaded then too, so that a one-shot command (a 1M-line import) does not spend a
 * third of a second of start-up on reports, matching and checks it never touches.
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
  const reports = once(async (): Promise<ReportService> => (await import('../reports/report-service.js')).createReportService({ ctx, logger }))
  const loadedMatch = once(async () => {
    const { MatchService } = await import('../match/match-service.js')
    const match = await MatchService.start({ ctx, hashLog: await hashLog(), logger })
    closers.push(() => match.stop())
    return match
  })
  return {
    ctx,
    running: false,
    logger,
    hashLog,
    hashLists: once(async () => new (await import('../lists/hash-list-service.js')).HashListService(ctx, await hashLog())),
    reports,
    // the switch edits the config; the index is built when the node starts
    match: once(async (): Promise<MatchService> => new (await import('../match/match-service.js')).MatchService({ ctx, hashLog: await hashLog(), logger })),
    checkService: once(async () => {
      const [{ MatchMetadata }, { trustedBenign }, { CheckService }] = await Promise.all([import('../check/match-metadata.js'), import('../check/check-components.js'), import('../check/check-service.js')])
      const metadata = new MatchMetadata({ hashLog: await hashLog() })
      closers.push(() => metadata.close())
      const match = await loadedMatch()
      const benign = { index: match.benign, trusted: trustedBenign(ctx), pdqThreshold: ctx.config.match.benignPdqThreshold }
      return new CheckService({ index: match.index, metadata, nameOf: (p) => ctx.federation.nameOf(p), maxHashes: ctx.config.check?.maxHashes, videos: match.videos, pdqThreshold: ctx.config.match.pdqThreshold, dihedral: ctx.config.match.dihedral, benign })
    }),
    tokens: once(async () => await (await import('../check/token-store.js')).TokenStore.open(ctx.store)),
    feedback: once(async () => new (await import('../check/feedback-service.js')).FeedbackService({ store: ctx.store, identity: ctx.identity, hashLog: await hashLog(), courier: (await reports()).courier, nameOf: (p) => ctx.federation.nameOf(p), logger })),
    keyNotices: once(async () => new (await import('../lists/key-notices.js')).KeyNotices({ identity: ctx.identity, federation: ctx.federation, hashLog: await hashLog(), courier: (await reports()).courier, logger })),
    membership: once(async () => {
      const [{ Membership }, { applyMembershipToFile, membershipAudit }] = await Promise.all([import('../lists/membership.js'), import('./membership-apply.js')])
      return new Membership({ store: ctx.store, identity: ctx.identity, federation: ctx.federation, courier: (await reports()).courier, logger, apply: async (c) => { ctx.federation.update(await applyMembershipToFile(ctx, c)) }, audit: membershipAudit(ctx.store) })
    }),
    // holds and confirmations are stored; the node reads them when it starts
    quarantine: once(async () => await (await import('../check/quarantine-service.js')).QuarantineService.open({
      store: ctx.store,
      identity: ctx.identity,
      hashLog: await hashLog(),
      courier: (await reports()).courier,
      others: () => ctx.federation.members.map(m => m.peerId).filter(p => p !== ctx.identity.peerId.toString()),
      nameOf: (p) => ctx.federation.nameOf(p),
      logger,
      limits: ctx.config.quarantine
    })),
    status: async () => await (await import('./node-status.js')).collectStatus(ctx, { running: false }),
    peers: async () => await (await import('./peer-status.js')).collectPeers(ctx),
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
