import type { NodeContext } from '../context/node-context.js'
import type { HashLog } from '../log/hash-log.js'
import { loadSigningKeys } from '../identity/signing-keys.js'
import { sameBytes } from '../util/bytes.js'
import { hfError, ErrorCodes } from '../errors.js'

/**
 * Points the log at the key our origin signs its next batch with: the one its key history
 * names after our head. The genesis key (identity.key) needs nothing; a rotated-to key must be
 * in the node's `keys` folder, or the node refuses to start rather than sign batches every
 * member would refuse.
 */
export async function useCurrentSigningKey (ctx: NodeContext, hashLog: HashLog): Promise<void> {
  const { identity } = ctx
  const origin = identity.peerId.toString()
  const next = (hashLog.head(origin)?.seq ?? 0) + 1
  const key = hashLog.keyHistory(origin, identity.peerIdBytes).keyAt(next)
  if (sameBytes(key, identity.peerIdBytes)) return
  const signer = (await loadSigningKeys(ctx.dir.signingKeys)).find(k => sameBytes(k.peerIdBytes, key))
  if (signer === undefined) {
    throw hfError(ErrorCodes.INVALID_KEY, `this origin's log says its batches are signed by a key that is not in ${ctx.dir.signingKeys}; restore that folder from the backup made after \`hashfed keys rotate\``)
  }
  hashLog.setSigningKey(origin, signer)
}
