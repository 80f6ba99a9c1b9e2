import type { NodeContext } from '../context/node-context.js'
import { loadFederation, saveFederation, withMember, withoutMember, type FederationFile, type Member } from '../config/federation.js'
import { federationPath } from '../config/node-config.js'
import type { Store } from '../store/store.js'
import { auditLogOf } from '../audit/audit-log.js'

/** Writes an applied membership change into the federation file; returns the file as written. */
export async function applyMembershipToFile (ctx: NodeContext, change: { action: 'add' | 'remove', member: Member }): Promise<FederationFile> {
  const path = federationPath(ctx.dir, ctx.config)
  const fed = await loadFederation(path)
  const updated = change.action === 'add' ? withMember(fed, change.member) : withoutMember(fed, change.member.peerId, true).federation
  await saveFederation(path, updated)
  return updated
}

/** The audit record of a change the quorum applied: the actor is the federation, not an operator. */
export function membershipAudit (store: Store): (details: Record<string, unknown>) => Promise<void> {
  return async (details) => { await auditLogOf(store).record('membership.apply', details, { name: 'quorum', via: 'federation' }) }
}
