import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { generateIdentityKey, identityFromKeyBytes } from '../../src/identity/identity.js'
import { pb } from '../../src/proto/index.js'
import { buildBatch, decodeBatch, openBatch, rejectReasonOf, verifyBatchSignature } from '../../src/log/batch.js'
import { entryFromProto, entryToProto } from '../../src/log/entry-codec.js'
import { MAX_BATCH_ENTRIES } from '../../src/log/constants.js'
import type { LogEntry } from '../../src/log/entry.js'
import { isHashfedError } from '../../src/errors.js'

const identity = identityFromKeyBytes(await generateIdentityKey())
const other = identityFromKeyBytes(await generateIdentityKey())
const sha = (s: string): Uint8Array => new Uint8Array(createHash('sha256').update(s).digest())

test('entries round-trip through the codec with every metadata field', () => {
  const entries: LogEntry[] = [
    { op: 'add', record: { algorithm: 'sha256', value: sha('a'), classification: 'baseline', iwfCategory: 'A', vicsCategory: 1, ageBand: '3-6', media: 'image', tags: ['t1', 't2'], source: 'ncmec:1' } },
    { op: 'add', record: { algorithm: 'pdq', value: sha('p'), quality: 87, classification: 'not-illegal' } },
    { op: 'add', record: { algorithm: 'md5', value: new Uint8Array(16).fill(1) } },
    { op: 'retract', algorithm: 'sha256', value: sha('a'), reason: 'false positive', source: 'ncmec:1' }
  ]
  for (const e of entries) {
    const decoded = entryFromProto(pb.HashEntry.decode(pb.HashEntry.encode(entryToProto(e)).finish()))
    assert.deepEqual(normalise(decoded), normalise(e))
  }
})

test('the codec refuses values and metadata it must not sign', () => {
  const bad: Array<[LogEntry, string]> = [
    [{ op: 'add', record: { algorithm: 'sha256', value: new Uint8Array(31) } }, 'HF_INVALID_HASH'],
    [{ op: 'add', record: { algorithm: 'sha1', value: sha('x'), quality: 50 } }, 'HF_INVALID_HASH'],
    [{ op: 'add', record: { algorithm: 'pdq', value: sha('x'), quality: 101 } }, 'HF_INVALID_ARGUMENT'],
    [{ op: 'add', record: { algorithm: 'md5', value: new Uint8Array(16), vicsCategory: 5 } }, 'HF_INVALID_ARGUMENT'],
    [{ op: 'add', record: { algorithm: 'md5', value: new Uint8Array(16), classification: 'illegal' as 'baseline' } }, 'HF_INVALID_ARGUMENT'],
    [{ op: 'add', record: { algorithm: 'md5', value: new Uint8Array(16), tags: ['x'.repeat(65)] } }, 'HF_INVALID_ARGUMENT']
  ]
  for (const [entry, code] of bad) {
    assert.throws(() => entryToProto(entry), (e: unknown) => isHashfedError(e, code as 'HF_INVALID_HASH'), JSON.stringify(entry, (_k, v) => v instanceof Uint8Array ? v.length : v))
  }
  // a received entry breaking the same rules is malformed
  const wrongLength = pb.HashEntry.encode({ op: 1, algorithm: pb.Algorithm.SHA256, value: new Uint8Array(5) }).finish()
  assert.throws(() => entryFromProto(pb.HashEntry.decode(wrongLength)), (e: unknown) => rejectReasonOf(e) === 'malformed')
  const unknownAlg = pb.HashEntry.encode({ op: 1, algorithm: 99 as never, value: new Uint8Array(5) }).finish()
  assert.throws(() => entryFromProto(pb.HashEntry.decode(unknownAlg)), (e: unknown) => rejectReasonOf(e) === 'malformed')
})

test('a batch is signed over its exact body bytes, hashed with SHA-256 and verified by its origin key', () => {
  const entries = [entryToProto({ op: 'add', record: { algorithm: 'sha256', value: sha('1'), classification: 'national' } })]
  const b1 = buildBatch({ identity, seq: 1, prevHash: new Uint8Array(0), createdMs: 1700000000000, entries })
  const b2 = buildBatch({ identity, seq: 2, prevHash: b1.hash, createdMs: 1700000000001, entries })
  assert.deepEqual(Buffer.from(b1.hash), createHash('sha256').update(b1.body).digest())

  const opened = openBatch(b2.signed)
  assert.equal(opened.originId, identity.peerId.toString())
  assert.equal(opened.seq, 2)
  assert.deepEqual(Buffer.from(opened.prevHash), Buffer.from(b1.hash))
  assert.equal(opened.createdMs, 1700000000001)
  assert.equal(opened.entries.length, 1)
  assert.deepEqual(Buffer.from(opened.signed), Buffer.from(b2.signed))

  // signed by someone else: the signature does not verify under the claimed origin
  const forged = pb.Signed.encode({ body: b2.body, signature: other.sign(b2.body) }).finish()
  assert.equal(verifyBatchSignature(decodeBatch(forged)), false)
  assert.throws(() => openBatch(forged), (e: unknown) => rejectReasonOf(e) === 'bad-signature')

  // every single flipped byte of the signed batch is caught by decode or verify
  for (let i = 0; i < b2.signed.length; i++) {
    const flipped = new Uint8Array(b2.signed)
    flipped[i] ^= 0x01
    let caught = false
    try {
      const b = openBatch(flipped)
      caught = !Buffer.from(b.signed).equals(flipped) // only a re-encoding could hide a framing change
    } catch (err) {
      caught = rejectReasonOf(err) !== undefined
    }
    assert.ok(caught, `flip at byte ${i} went unnoticed`)
  }
})

test('batch shape and size limits are enforced on decode', () => {
  const sign = (body: Uint8Array): Uint8Array => pb.Signed.encode({ body, signature: identity.sign(body) }).finish()
  const origin = identity.peerIdBytes
  const cases: Array<[Uint8Array, string]> = [
    [new Uint8Array([0xff, 0xff, 0xff]), 'malformed'],
    [sign(pb.BatchBody.encode({ version: 2, origin, seq: 1 }).finish()), 'malformed'],
    [sign(pb.BatchBody.encode({ version: 1, origin, seq: 0 }).finish()), 'malformed'],
    [sign(pb.BatchBody.encode({ version: 1, origin: new Uint8Array([1, 2, 3]), seq: 1 }).finish()), 'malformed'],
    [sign(pb.BatchBody.encode({ version: 1, origin, seq: 2 }).finish()), 'malformed'], // no prev_hash
    [sign(pb.BatchBody.encode({ version: 1, origin, seq: 1, prevHash: sha('x') }).finish()), 'malformed'],
    [sign(pb.BatchBody.encode({ version: 1, origin, seq: 1, entries: Array.from({ length: MAX_BATCH_ENTRIES + 1 }, () => ({ op: 1, algorithm: 1, value: new Uint8Array(16) })) }).finish()), 'too-large'],
    [new Uint8Array(5 * 1024 * 1024), 'too-large']
  ]
  for (const [bytes, reason] of cases) {
    assert.throws(() => decodeBatch(bytes), (e: unknown) => rejectReasonOf(e) === reason, `expected ${reason}`)
  }
  assert.throws(() => buildBatch({ identity, seq: 1, prevHash: new Uint8Array(0), entries: Array.from({ length: MAX_BATCH_ENTRIES + 1 }, () => ({})) }),
    (e: unknown) => isHashfedError(e, 'HF_TOO_LARGE'))
})

function normalise (e: LogEntry): unknown {
  return JSON.parse(JSON.stringify(e, (_k, v) => v instanceof Uint8Array ? Buffer.from(v).toString('hex') : (v?.type === 'Buffer' ? Buffer.from(v.data).toString('hex') : v)))
}
