import type { Member } from '../config/federation.js'
import type { NodeComponents } from '../node/node-components.js'
import type { NodeStatus } from '../node/node-status.js'
import type { NodeMetrics } from './metrics.js'

/** What the admin API needs of a running node: its components and the surfaces' own state. */
export interface AdminNode extends Pick<NodeComponents, 'ctx' | 'log' | 'hashLog' | 'hashLists' | 'replicator' | 'reports' | 'match' | 'check'> {
  readonly components: NodeComponents
  readonly metrics: NodeMetrics
  status: () => Promise<NodeStatus>
  addMember: (member: Member) => Promise<void>
  reloadFederationFile: () => Promise<void>
}
