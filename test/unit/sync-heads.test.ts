import { test } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { headsFromWire, headsToWire } from '../../src/sync/heads-codec.js'
import { memberHeads } from '../../src/sync/sync-session.js'
import { encodeSync, decodeSync } from '../../src/sync/sync-codec.js'
import { MAX_FOREIGN_HEADS, MAX_HEADS, MAX_HEADS_FRAME_BYTES } from '../../src/sync/constants.js'
import { generateIdentityKey, identityFromKeyBytes } from '../../src/identity/identity.js'
import { isHashfedError } from '../../src/errors.js'
import type { OriginHead } from '../../src/sync/sync-log.js'

const reason = (err: unknown): unknown => isHashfedError(err) ? err.details?.reason : undefined
const head = async (seq = 1): Promise<OriginHead> => ({ origin: identityFromKeyBytes(await generateIdentityKey()).peerId.toString(), seq, hash: new Uint8Array(randomBytes(32)), entries: 10 * seq })

test('headsFromWire refuses repeated origins, oversized hashes and counts, and keeps no view of the frame', async () => {
  const a = await head()
  const b = await head(2)
  const frame = encodeSync({ heads: headsToWire([a, b]) })
  const decoded = headsFromWire(decodeSync(frame).heads)
  assert.deepEqual(decoded.map(h => [h.origin, h.seq, h.entries, Buffer.from(h.hash).toString('hex')]), [a, b].map(h => [h.origin, h.seq, h.entries, Buffer.from(h.hash).toString('hex')]))
  assert.notEqual(decoded[0].hash.buffer, frame.buffer, 'the hash is a copy, not a view that keeps the whole frame alive')

  assert.throws(() => headsFromWire(headsToWire([a, { ...a, seq: 9 }])), (err) => reason(err) === 'malformed', 'an origin listed twice')
  assert.throws(() => headsFromWire(headsToWire([{ ...a, hash: new Uint8Array(65) }])), (err) => reason(err) === 'malformed', 'a head hash of 65 bytes')
  assert.throws(() => headsFromWire({ heads: Array.from({ length: MAX_HEADS + 1 }, () => ({})) }), (err) => reason(err) === 'too-large')
  // MAX_HEADS heads of real size fit in the heads frame limit
  const full = encodeSync({ heads: { heads: Array.from({ length: MAX_HEADS }, () => ({ origin: new Uint8Array(38).fill(0xff), seq: Number.MAX_SAFE_INTEGER, hash: new Uint8Array(32), entries: Number.MAX_SAFE_INTEGER })) } })
  assert.ok(full.length <= MAX_HEADS_FRAME_BYTES, `${full.length} bytes`)
})

test('memberHeads keeps the federation\'s origins, drops a few others quietly, and refuses more as foreign-heads', async () => {
  const members = [await head(), await head()]
  const isOrigin = (o: string): boolean => members.some(m => m.origin === o)
  const foreign = await Promise.all(Array.from({ length: MAX_FOREIGN_HEADS + 1 }, async () => await head()))
  assert.deepEqual(memberHeads([...members, ...foreign.slice(0, MAX_FOREIGN_HEADS)], isOrigin), members)
  assert.throws(() => memberHeads([...members, ...foreign], isOrigin), (err) => reason(err) === 'foreign-heads')
})
