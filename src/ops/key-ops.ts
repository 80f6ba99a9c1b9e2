import { hfError, ErrorCodes } from '../errors.js'
import { createSigningKey, recoveryKeyFromBytes } from '../identity/signing-keys.js'
import { peerIdFromBytes, parsePeerId, peerIdToBytes } from '../identity/identity.js'
import { openRevocation, signRevocation } from '../log/revocation.js'
import { sameBytes } from '../util/bytes.js'
import { defineOp } from './operation.js'

const count = { type: 'integer', minimum: 0 } as const
const str = { type: 'string' } as const

/** One origin's keys as `keys status` shows them. */
const originKeysSchema = {
  type: 'object',
  required: ['origin', 'name', 'currentKey', 'epochs', 'revocations', 'revokedBatches'],
  properties: {
    origin: str,
    name: str,
    currentKey: str,
    epochs: { type: 'array', items: { type: 'object', required: ['fromSeq', 'key'], properties: { fromSeq: count, key: str } } },
    revocations: { type: 'array', items: { type: 'object', required: ['firstBadSeq', 'newKey', 'createdMs'], properties: { firstBadSeq: count, newKey: str, createdMs: count } } },
    revokedBatches: { type: 'array', items: { type: 'object', required: ['seq', 'hash', 'entries', 'revokedMs'], properties: { seq: count, hash: str, entries: count, revokedMs: count } } }
  }
} as const

export const keysStatusOp = defineOp({
  name: 'keys.status',
  summary: 'every origin\'s signing keys by seq, the revocations applied (an alarm) and the revoked batches kept as evidence',
  authority: 'read',
  http: { method: 'GET', path: '/v1/keys' },
  input: (z) => z.strictObject({}),
  output: { type: 'object', required: ['alarm', 'origins'], properties: { alarm: { type: 'boolean' }, origins: { type: 'array', items: originKeysSchema } } },
  run: async (c) => {
    const log = await c.hashLog()
    const revoked = await log.revokedBatches()
    const origins = c.ctx.federation.members.filter(m => m.mirrorOf === undefined).map(m => {
      const history = log.keyHistory(m.peerId, peerIdToBytes(parsePeerId(m.peerId)))
      const head = log.head(m.peerId)?.seq ?? 0
      return {
        origin: m.peerId,
        name: m.name,
        currentKey: peerIdFromBytes(history.keyAt(head + 1)).toString(),
        epochs: history.epochs.map(e => ({ fromSeq: e.fromSeq, key: peerIdFromBytes(e.key).toString() })),
        revocations: history.revocations.map(s => {
          const r = openRevocation(s, new Uint8Array(0), true)
          return { firstBadSeq: r.firstBadSeq, newKey: peerIdFromBytes(r.newKey).toString(), createdMs: r.createdMs }
        }),
        revokedBatches: revoked.filter(r => r.origin === m.peerId).map(r => ({ seq: r.seq, hash: Buffer.from(r.hash).toString('hex'), entries: r.entries, revokedMs: r.revokedMs }))
      }
    })
    return { alarm: origins.some(o => o.revocations.length > 0), origins }
  }
})

export const keysRotateOp = defineOp({
  name: 'keys.rotate',
  summary: 'make a new signing key and publish its rotation record (signed by the current and the new key) in our log',
  authority: 'change',
  http: { method: 'POST', path: '/v1/keys/rotate' },
  input: (z) => z.strictObject({}),
  output: { type: 'object', required: ['origin', 'seq', 'newKey', 'keyFile'], properties: { origin: str, seq: count, newKey: str, keyFile: str } },
  run: async (c) => {
    const { identity, dir } = c.ctx
    if (c.ctx.config.mirrorOf !== undefined) throw hfError(ErrorCodes.INVALID_ARGUMENT, 'a mirror publishes no log: rotate at the member it mirrors')
    // the key is on disk before any batch names it: a crash leaves an unused file, never a log we cannot sign
    const newKey = await createSigningKey(dir.signingKeys)
    const ref = await (await c.hashLog()).rotateKey(identity, newKey)
    return { origin: ref.origin, seq: ref.seq, newKey: newKey.peerId.toString(), keyFile: dir.signingKeys }
  },
  audit: (_i, out) => ({ action: 'keys.rotate', details: { seq: out.seq, newKey: out.newKey } })
})

export const keysRevokeOp = defineOp({
  name: 'keys.revoke',
  summary: 'revoke our signing key from a seq on with the offline recovery key (after a compromise); every member cuts the batches from there',
  authority: 'change',
  http: { method: 'POST', path: '/v1/keys/revoke' },
  input: (z) => z.strictObject({
    recoveryKey: z.string().min(1).max(1024).describe('the recovery key file\'s bytes, base64'),
    fromSeq: z.number().int().min(1).optional().describe('first compromised batch; default: the one after our own head')
  }),
  output: { type: 'object', required: ['origin', 'firstBadSeq', 'newKey', 'notified'], properties: { origin: str, firstBadSeq: count, newKey: str, notified: count } },
  run: async (c, input) => {
    const { identity, dir, federation } = c.ctx
    const recovery = recoveryKeyFromBytes(Buffer.from(input.recoveryKey, 'base64'))
    const named = federation.byPeerId(identity.peerId.toString())?.recoveryKey
    if (named === undefined || !sameBytes(peerIdToBytes(parsePeerId(named)), recovery.peerIdBytes)) {
      throw hfError(ErrorCodes.INVALID_KEY, 'this is not the recovery key our federation entry names (recoveryKey): members would refuse the revocation')
    }
    const log = await c.hashLog()
    const origin = identity.peerId.toString()
    const firstBadSeq = input.fromSeq ?? (log.head(origin)?.seq ?? 0) + 1
    const newKey = await createSigningKey(dir.signingKeys)
    const signed = signRevocation(recovery, { origin: identity.peerIdBytes, firstBadSeq, newKey: newKey.peerIdBytes })
    const { notified } = await (await c.keyNotices()).publish(openRevocation(signed, recovery.peerIdBytes))
    log.setSigningKey(origin, newKey)
    return { origin, firstBadSeq, newKey: newKey.peerId.toString(), notified }
  },
  audit: (_i, out) => ({ action: 'keys.revoke', details: { firstBadSeq: out.firstBadSeq, newKey: out.newKey, notified: out.notified } })
})
