import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { pb, type hashfed } from '../../src/proto/index.js'
import { encodeBatchBody, entriesOf, type BodyEntries } from '../../src/log/batch-body-encoder.js'

type PbEntry = hashfed.v1.HashEntry.$Properties
type PbBody = hashfed.v1.BatchBody.$Properties

const same = (body: PbBody, label: string): void => {
  assert.deepEqual(Buffer.from(encodeBatchBody(body)), Buffer.from(pb.BatchBody.encode(body).finish()), label)
}

test('encodeBatchBody writes exactly the bytes pb.BatchBody.encode writes: edge cases', () => {
  const v = new Uint8Array(32).fill(7)
  const entries: PbEntry[] = [
    { op: pb.HashEntry.Op.ADD, algorithm: pb.Algorithm.SHA256, value: v, classification: pb.Classification.BASELINE },
    { op: pb.HashEntry.Op.ADD, algorithm: pb.Algorithm.PDQ, value: v, quality: 0 },
    { op: pb.HashEntry.Op.ADD, algorithm: pb.Algorithm.MD5, value: v.subarray(0, 16), quality: 100, classification: 2, iwfCategory: 'A', vicsCategory: 0, ageBand: '3-6', media: 1, tags: ['', 'a', 'b'.repeat(300)], source: 'case-1' },
    { op: pb.HashEntry.Op.RETRACT, algorithm: pb.Algorithm.SHA256, value: v, reason: 'false positive', source: 's' },
    { op: pb.HashEntry.Op.BENIGN, algorithm: pb.Algorithm.SHA256, value: v, reason: 'r'.repeat(200) },
    { op: 0, algorithm: 0, value: new Uint8Array(0), iwfCategory: '', ageBand: '', source: '', reason: '', tags: [] },
    {},
    // protobufjs's own path: non-ASCII text, vPDQ frames, a negative enum, a huge quality
    { op: pb.HashEntry.Op.ADD, algorithm: pb.Algorithm.SHA256, value: v, source: 'zürich', tags: ['\ud800'] },
    { op: pb.HashEntry.Op.ADD, algorithm: pb.Algorithm.VPDQ, value: v, vpdq: { frames: [{ hash: v, quality: 90, frame: 0, timestamp: 0.5 }] } },
    { op: -1 as hashfed.v1.HashEntry.Op, algorithm: pb.Algorithm.SHA256, value: v },
    { op: pb.HashEntry.Op.ADD, algorithm: pb.Algorithm.PDQ, value: v, quality: 2 ** 33 }
  ]
  const origin = new Uint8Array(38).fill(3)
  for (const seq of [0, 1, 127, 128, 2 ** 32 + 1, Number.MAX_SAFE_INTEGER]) {
    same({ version: 1, origin, seq, prevHash: seq === 1 ? new Uint8Array(0) : v, createdMs: 1_700_000_000_123, entries }, `seq ${seq}`)
  }
  same({ version: 1, origin, seq: 2, prevHash: v, createdMs: 0, entries: [] }, 'no entries')
  same({}, 'empty body')
  same({ version: 1, origin, seq: 2, prevHash: v, createdMs: 5, entries: [], rotation: { newKey: origin, newKeySignature: v } }, 'a rotation')
  same({ version: 1, origin, seq: 3, prevHash: v, createdMs: 5, entries: Array.from({ length: 10_000 }, () => entries[0]) }, '10,000 entries')
})

test('encodeBatchBody writes exactly the bytes pb.BatchBody.encode writes: random bodies', () => {
  const bytes = (max: number): fc.Arbitrary<Uint8Array> => fc.uint8Array({ maxLength: max })
  const text = fc.oneof(fc.string({ maxLength: 40 }), fc.string({ unit: 'binary', maxLength: 5 }), fc.constant(''))
  const entry: fc.Arbitrary<PbEntry> = fc.record({
    op: fc.integer({ min: 0, max: 4 }),
    algorithm: fc.integer({ min: 0, max: 7 }),
    value: bytes(300),
    quality: fc.integer({ min: 0, max: 100 }),
    classification: fc.integer({ min: 0, max: 5 }),
    iwfCategory: text,
    vicsCategory: fc.integer({ min: 0, max: 4 }),
    ageBand: text,
    media: fc.integer({ min: 0, max: 3 }),
    tags: fc.array(text, { maxLength: 4 }),
    source: text,
    reason: text
  }, { requiredKeys: [] })
  const body: fc.Arbitrary<PbBody> = fc.record({
    version: fc.integer({ min: 0, max: 300 }),
    origin: bytes(40),
    seq: fc.oneof(fc.integer({ min: 0, max: 2 ** 31 }), fc.constant(Number.MAX_SAFE_INTEGER)),
    prevHash: bytes(32),
    createdMs: fc.oneof(fc.integer({ min: 0, max: 2 ** 31 }), fc.constant(1_700_000_000_000)),
    entries: fc.array(entry, { maxLength: 20 })
  }, { requiredKeys: [] })
  fc.assert(fc.property(body, b => { same(b, 'random body') }), { numRuns: 2_000 })
})

test('encodeBatchBody from parts (plain adds by algorithm, value and metadata bytes) writes the bytes of the whole entries', () => {
  const bytes = (max: number): fc.Arbitrary<Uint8Array> => fc.uint8Array({ minLength: 1, maxLength: max })
  const text = fc.oneof(fc.string({ maxLength: 40 }), fc.string({ unit: 'binary', maxLength: 5 }), fc.constant(''))
  // the metadata fields an add's meta carries (metaToProto): no op, algorithm, value, reason or frames
  const meta: fc.Arbitrary<PbEntry> = fc.record({
    quality: fc.integer({ min: 0, max: 100 }),
    classification: fc.integer({ min: 0, max: 3 }),
    iwfCategory: text,
    vicsCategory: fc.integer({ min: 0, max: 4 }),
    ageBand: text,
    media: fc.integer({ min: 0, max: 2 }),
    tags: fc.array(text, { maxLength: 4 }),
    source: text
  }, { requiredKeys: [] })
  const other: fc.Arbitrary<PbEntry> = fc.record({ op: fc.integer({ min: 1, max: 4 }), algorithm: fc.integer({ min: 1, max: 7 }), value: bytes(64), reason: text, source: text }, { requiredKeys: [] })
  const item = fc.oneof(
    fc.record({ algorithm: fc.integer({ min: 1, max: 7 }), value: bytes(300), meta }).map(a => ({ plain: a })),
    other.map(e => ({ entry: e }))
  )
  const header = { version: 1, origin: new Uint8Array(38).fill(3), seq: 9, prevHash: new Uint8Array(32).fill(1), createdMs: 1_700_000_000_000 }
  fc.assert(fc.property(fc.array(item, { maxLength: 30 }), fc.boolean(), (items, shareMeta) => {
    const metaBytes = items.map(x => 'plain' in x ? pb.HashEntry.encode(shareMeta ? items.find(y => 'plain' in y)!.plain!.meta : x.plain.meta).finish() : new Uint8Array(0))
    const parts: BodyEntries = {
      length: items.length,
      pbAt: (i) => { const x = items[i]; return 'entry' in x ? x.entry : null },
      algorithmAt: (i) => (items[i] as { plain: { algorithm: number } }).plain.algorithm,
      valueAt: (i) => (items[i] as { plain: { value: Uint8Array } }).plain.value,
      metaBytesAt: (i) => metaBytes[i]
    }
    const entries: PbEntry[] = items.map((x, i) => 'entry' in x ? x.entry : { ...pb.HashEntry.toObject(pb.HashEntry.decode(metaBytes[i])), op: pb.HashEntry.Op.ADD, algorithm: x.plain.algorithm, value: x.plain.value })
    const want = Buffer.from(pb.BatchBody.encode({ ...header, entries }).finish())
    assert.deepEqual(Buffer.from(encodeBatchBody(header, parts)), want)
    // entriesOf (Batch.entries of such a batch) gives entries that encode to the same bytes
    assert.deepEqual(Buffer.from(pb.BatchBody.encode({ ...header, entries: entriesOf(parts) }).finish()), want)
  }), { numRuns: 1_000 })
})
