import { hfError, ErrorCodes } from '../errors.js'
import { parsePeerId } from '../identity/identity.js'
import { verifyLogStore, type HashLog, type StoreVerifyReport } from '../log/hash-log.js'
import type { NodeContext } from '../context/node-context.js'

/**
 * `hashfed verify`: the stored logs and their index rows, re-verified. Through the running
 * node's log (writes wait meanwhile) or, with the node stopped, straight on its store.
 * `origin` is a member name or a peer ID (a former member's log is still in the store).
 */
export async function verifyNodeStore (ctx: NodeContext, log: HashLog | undefined, origin?: string): Promise<StoreVerifyReport> {
  const init = origin === undefined ? {} : { origin: resolveOrigin(ctx, origin) }
  return log !== undefined ? await log.verify(init) : await verifyLogStore(ctx.store, init)
}

function resolveOrigin (ctx: NodeContext, text: string): string {
  const member = ctx.federation.byMemberName(text) ?? ctx.federation.byPeerId(text)
  if (member !== undefined) return member.peerId
  try {
    return parsePeerId(text).toString()
  } catch {
    throw hfError(ErrorCodes.NOT_FOUND, `no member "${text}" in the federation, and not a peer ID`)
  }
}
