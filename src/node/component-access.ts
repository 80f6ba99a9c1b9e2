import type { Logger } from 'pino'
import type { NodeContext } from '../context/node-context.js'
import type { Member } from '../config/federation.js'
import type { HashLog } from '../log/hash-log.js'
import type { HashListService } from '../lists/hash-list-service.js'
import type { ReportService } from '../reports/report-service.js'
import type { MatchService } from '../match/match-service.js'
import type { CheckService } from '../check/check-service.js'
import type { TokenStore } from '../check/token-store.js'
import type { FeedbackService } from '../check/feedback-service.js'
import type { KeyNotices } from '../lists/key-notices.js'
import type { Membership } from '../lists/membership.js'
import type { QuarantineService } from '../check/quarantine-service.js'
import type { NodeComponents } from './node-components.js'
import type { NodeStatus } from './node-status.js'
import { collectPeers, type MemberStatus } from './peer-status.js'

/**
 * The components an operation works on, the same whether the node runs (its live components)
 * or not (the same classes opened over its store by `openOfflineComponents`). Opened on first
 * use: an offline `tokens list` must not build a match index.
 */
export interface ComponentAccess {
  readonly ctx: NodeContext
  /** a running node; false: a CLI command on a stopped node's folder */
  readonly running: boolean
  readonly logger: Logger
  hashLog: () => Promise<HashLog>
  hashLists: () => Promise<HashListService>
  reports: () => Promise<ReportService>
  /** the kill switch and index status; offline the index is empty (it is built when the node starts) */
  match: () => Promise<MatchService>
  /** checks over a loaded match index (offline: built from the store first) */
  checkService: () => Promise<CheckService>
  tokens: () => Promise<TokenStore>
  feedback: () => Promise<FeedbackService>
  /** revocations in and out (key lifecycle) */
  keyNotices: () => Promise<KeyNotices>
  /** membership proposals and votes */
  membership: () => Promise<Membership>
  /** holds, counts, notices and confirmations of the false-positive quarantine */
  quarantine: () => Promise<QuarantineService>
  status: () => Promise<NodeStatus>
  peers: () => Promise<MemberStatus[]>
  /** writes the member into the federation file; a running node applies it at once */
  addMember: (member: Member) => Promise<void>
  /** removes a member (by name or peer ID) from the federation file; a running node applies it at once */
  removeMember: (nameOrPeerId: string) => Promise<{ removed: Member, members: number }>
  /** re-reads the federation file; false when no node runs (the file is read when it starts) */
  reloadFederationFile: () => Promise<boolean>
}

/** A running node's components, as operations see them. */
export function runningAccess (node: NodeComponents, status: () => Promise<NodeStatus>): ComponentAccess {
  return {
    ctx: node.ctx,
    running: true,
    logger: node.log,
    hashLog: async () => node.hashLog,
    hashLists: async () => node.hashLists,
    reports: async () => node.reports,
    match: async () => node.match,
    checkService: async () => node.check.service,
    tokens: async () => node.check.tokens,
    feedback: async () => node.check.feedback,
    keyNotices: async () => node.keyNotices,
    membership: async () => node.membership,
    quarantine: async () => node.check.quarantine,
    status,
    peers: async () => await collectPeers(node.ctx, node),
    addMember: async (m) => { await node.addMember(m) },
    removeMember: async (key) => await node.removeMember(key),
    reloadFederationFile: async () => { await node.reloadFederationFile(); return true }
  }
}
