import { sharedReading, type MetricsRegistry, type Sample } from '../observe/metrics-registry.js'
import { takeSnapshot, type MemberSnapshot, type SnapshotSource } from './node-snapshot.js'

/**
 * The node's own series: who it is, and per other member what the snapshot (the one that
 * `status` and `peers` show) says. Each component registers its own series at start.
 */
export function registerNodeMetrics (metrics: MetricsRegistry, node: SnapshotSource): void {
  const { ctx } = node
  metrics.gauge({ name: 'hashfed_node_info', help: 'Always 1; labels name this node and its peer ID.', labelNames: ['name', 'peer_id'] },
    () => [{ labels: { name: ctx.config.name, peer_id: ctx.identity.peerId.toString() }, value: 1 }])
  metrics.gauge({ name: 'hashfed_members', help: 'Other members in the federation file.' }, () => ctx.federation.others.length)
  // one snapshot per scrape serves every per-member series
  const snapshot = sharedReading(() => takeSnapshot(node))
  const perMember = (pick: (m: MemberSnapshot) => number | null) => (): Sample[] =>
    snapshot().members.flatMap(m => {
      const value = m.self ? null : pick(m)
      return value === null ? [] : [{ labels: { peer: m.member.name }, value }]
    })
  metrics.gauge({
    name: 'hashfed_peer_last_sync_timestamp_seconds',
    help: 'When the last sync session with a member completed, in seconds since the epoch.',
    labelNames: ['peer']
  }, perMember(m => m.sync?.lastSyncAt != null ? m.sync.lastSyncAt / 1000 : null))
  metrics.counter({
    name: 'hashfed_peer_rejected_messages_total',
    help: 'Batches and report messages from a member that failed verification, since start.',
    labelNames: ['peer']
  }, perMember(m => m.rejectedSync + m.rejectedReports))
  metrics.gauge({ name: 'hashfed_outbox_messages', help: 'Report messages waiting for a member\'s receipt, per member.', labelNames: ['peer'] }, perMember(m => m.outbox))
}
