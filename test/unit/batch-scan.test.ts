import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
import { generateIdentityKey, identityFromKeyBytes } from '../../src/identity/identity.js'
import { pb } from '../../src/proto/index.js'
import { buildBatch, decodeBatch, rejectReasonOf } from '../../src/log/batch.js'
import { scanBatch } from '../../src/log/batch-scan.js'
import { entryToProto } from '../../src/log/entry-codec.js'
import { entryFrames, vpdqValue } from '../../src/log/vpdq-value.js'
import type { LogEntry } from '../../src/log/entry.js'

const identity = identityFromKeyBytes(await generateIdentityKey())
const sha = (s: string): Uint8Array => new Uint8Array(createHash('sha256').update(s).digest())

function mixedEntries (): LogEntry[] {
  const frames = entryFrames([0, 1, 2].map(i => ({ hash: new Uint8Array(randomBytes(32)), quality: 80 + i, frameNumber: i, timestamp: i / 2 })))
  return [
    { op: 'add', record: { algorithm: 'sha256', value: sha('a'), classification: 'baseline', iwfCategory: 'A', vicsCategory: 1, ageBand: '3-6', media: 'image', tags: ['t1', 't2'], source: 'ncmec:1' } },
    { op: 'add', record: { algorithm: 'pdq', value: sha('p'), quality: 87, classification: 'not-illegal' } },
    { op: 'add', record: { algorithm: 'md5', value: new Uint8Array(16).fill(1) } },
    { op: 'add', record: { algorithm: 'vpdq', value: vpdqValue(frames), frames, media: 'video' } },
    { op: 'retract', algorithm: 'sha256', value: sha('a'), reason: 'false positive', source: 'ncmec:1' },
    { op: 'retract', algorithm: 'vpdq', value: vpdqValue(frames), reason: 'duplicate' }
  ]
}

function scanned (signed: Uint8Array): { seq: number, entries: number, seen: Array<{ op: number, algorithm: number, value: string, seq: number, decoded: unknown }> } {
  const seen: Array<{ op: number, algorithm: number, value: string, seq: number, decoded: unknown }> = []
  const res = scanBatch(signed, e => seen.push({ op: e.op, algorithm: e.algorithm, value: Buffer.from(e.value()).toString('hex'), seq: e.seq, decoded: pb.HashEntry.toObject(e.decode()) }))
  return { ...res, seen }
}

test('scanBatch reads the same op, algorithm, value and seq as decodeBatch, entry by entry', () => {
  const batch = buildBatch({ identity, seq: 7, prevHash: new Uint8Array(32).fill(9), entries: mixedEntries().map(entryToProto) })
  const decoded = decodeBatch(batch.signed)
  const got = scanned(batch.signed)
  assert.equal(got.seq, 7)
  assert.equal(got.entries, decoded.entries.length)
  assert.deepEqual(got.seen, decoded.entries.map(e => ({
    op: e.op ?? 0,
    algorithm: e.algorithm ?? 0,
    value: Buffer.from(e.value ?? new Uint8Array(0)).toString('hex'),
    seq: 7,
    decoded: pb.HashEntry.toObject(pb.HashEntry.decode(pb.HashEntry.encode(e).finish()))
  })))
})

test('scanBatch reads fields in any order and skips unknown ones, as protobufjs does', () => {
  const entry = pb.HashEntry.encode({ op: 1, algorithm: pb.Algorithm.SHA256, value: sha('x') }).finish()
  // entry: an unknown varint field 15, an unknown fixed32 field 14, value given twice (the last wins)
  const entryBytes = Buffer.concat([Buffer.from([0x78, 0x05, 0x75, 1, 2, 3, 4]), entry, Buffer.from([0x1a, 32]), sha('y')])
  const origin = identity.peerIdBytes
  // body: entries first, then seq, origin and version, plus an unknown length-delimited field 20
  const body = Buffer.concat([
    Buffer.from([0x32, entryBytes.length]), entryBytes,
    Buffer.from([0x18, 3, 0x12, origin.length]), origin,
    Buffer.from([0x22, 32]), Buffer.alloc(32, 1),
    Buffer.from([0xa2, 0x01, 2, 0xff, 0xff, 0x08, 1])
  ])
  const signed = pb.Signed.encode({ body, signature: new Uint8Array(64) }).finish()
  const viaProtobufjs = decodeBatch(signed)
  const got = scanned(signed)
  assert.equal(got.seq, viaProtobufjs.seq)
  assert.equal(got.seen.length, 1)
  assert.equal(got.seen[0].value, Buffer.from(viaProtobufjs.entries[0].value as Uint8Array).toString('hex'))
  assert.equal(got.seen[0].value, Buffer.from(sha('y')).toString('hex'))
  assert.equal(got.seen[0].op, viaProtobufjs.entries[0].op)
  assert.equal(got.seen[0].algorithm, viaProtobufjs.entries[0].algorithm)
})

test('scanBatch reads like protobufjs where a reader could differ: wrong wire types, groups, overlong varints, an empty value', () => {
  const origin = identity.peerIdBytes
  const value = sha('v')
  // op as a 10-byte varint whose low 32 bits are 1 (ADD) with bit 63 set; algorithm given
  // first as a length-delimited field (wrong wire type: unknown) then properly; a value field
  // as a varint (wrong wire type), then an empty value, then the real one; an unknown group
  // with a nested group inside
  const op = [0x08, 0x81, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01]
  const entryBytes = Buffer.concat([
    Buffer.from(op),
    Buffer.from([0x12, 0x01, 0x07]), Buffer.from([0x10, pb.Algorithm.SHA256]),
    Buffer.from([0x18, 0x05]), Buffer.from([0x1a, 0x00]), Buffer.from([0x1a, 32]), value,
    Buffer.from([0x7b, 0x08, 0x01, 0x83, 0x01, 0x10, 0x02, 0x84, 0x01, 0x7c])
  ])
  const body = Buffer.concat([
    Buffer.from([0x08, 0x01, 0x12, origin.length]), origin, Buffer.from([0x18, 0x01, 0x22, 32]), Buffer.alloc(32, 7),
    // an unknown group in the body, and seq given again as an overlong varint
    Buffer.from([0xab, 0x02, 0x08, 0x05, 0xac, 0x02]),
    Buffer.from([0x18, 0x82, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00]),
    Buffer.from([0x32, entryBytes.length]), entryBytes
  ])
  const signed = pb.Signed.encode({ body, signature: new Uint8Array(64) }).finish()
  const viaProtobufjs = decodeBatch(signed)
  const got = scanned(signed)
  assert.equal(viaProtobufjs.seq, 2)
  assert.equal(got.seq, viaProtobufjs.seq)
  assert.equal(got.seen.length, viaProtobufjs.entries.length)
  assert.equal(got.seen[0].op, viaProtobufjs.entries[0].op ?? 0)
  assert.equal(got.seen[0].op, pb.HashEntry.Op.ADD)
  assert.equal(got.seen[0].algorithm, viaProtobufjs.entries[0].algorithm ?? 0)
  assert.equal(got.seen[0].value, Buffer.from(viaProtobufjs.entries[0].value as Uint8Array).toString('hex'))
  assert.equal(got.seen[0].value, Buffer.from(value).toString('hex'))
  // an empty last value is absent, as for protobufjs
  const emptyLast = Buffer.concat([Buffer.from([0x08, 0x01, 0x10, pb.Algorithm.SHA256, 0x1a, 32]), value, Buffer.from([0x1a, 0x00])])
  const body2 = Buffer.concat([Buffer.from([0x08, 0x01, 0x12, origin.length]), origin, Buffer.from([0x18, 0x01, 0x32, emptyLast.length]), emptyLast])
  const signed2 = pb.Signed.encode({ body: body2, signature: new Uint8Array(64) }).finish()
  assert.equal(decodeBatch(signed2).entries[0].value?.length ?? 0, 0)
  assert.equal(scanned(signed2).seen[0].value, '')
})

test('scanBatch refuses a truncated batch, another version and a missing seq as malformed', () => {
  const batch = buildBatch({ identity, seq: 1, prevHash: new Uint8Array(0), entries: mixedEntries().map(entryToProto) })
  const refused = (bytes: Uint8Array, reason: string): void => {
    assert.throws(() => scanBatch(bytes, () => {}), (err: unknown) => rejectReasonOf(err) === reason)
  }
  // cut inside the body: the body field's length runs past the end
  refused(batch.signed.subarray(0, batch.signed.length - 80), 'malformed')
  // a body cut inside an entry, re-wrapped so the envelope itself is whole
  refused(pb.Signed.encode({ body: batch.body.subarray(0, batch.body.length - 3), signature: batch.signature }).finish(), 'malformed')
  const body = pb.BatchBody.decode(batch.body)
  refused(pb.Signed.encode({ body: pb.BatchBody.encode({ ...body, version: 2 }).finish(), signature: batch.signature }).finish(), 'malformed')
  refused(pb.Signed.encode({ body: pb.BatchBody.encode({ ...body, seq: 0 }).finish(), signature: batch.signature }).finish(), 'malformed')
  refused(new Uint8Array([0x0a, 0x05, 0x08]), 'malformed')
  // a wire type hashfed never writes (a group)
  refused(pb.Signed.encode({ body: Buffer.concat([batch.body, Buffer.from([0x7b])]), signature: batch.signature }).finish(), 'malformed')
})
