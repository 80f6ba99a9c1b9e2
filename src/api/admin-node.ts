import type { NodeComponents } from '../node/node-components.js'
import type { NodeStatus } from '../node/node-status.js'
import type { NodeMetrics } from './metrics.js'

/** What the admin API needs of a running node: its components (the operations' access) and the surfaces' own state. */
export interface AdminNode extends Pick<NodeComponents, 'ctx' | 'log'> {
  readonly components: NodeComponents
  readonly metrics: NodeMetrics
  status: () => Promise<NodeStatus>
}
