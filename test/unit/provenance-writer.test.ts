import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { pb, type hashfed } from '../../src/proto/index.js'
import { CurrentRowWriter, ProvenanceWriter, type ProvenanceFields } from '../../src/log/provenance-writer.js'

type PbEntry = hashfed.v1.HashEntry.$Properties

test('ProvenanceWriter writes exactly the bytes pb.Provenance.encode writes', () => {
  const shared = { classification: pb.Classification.BASELINE }
  const rows: ProvenanceFields[] = []
  const seqs = [0, 1, 127, 128, 300, 16_383, 16_384, 2 ** 31, 2 ** 32 + 5, Number.MAX_SAFE_INTEGER]
  for (const [i, seq] of seqs.entries()) {
    for (const index of [0, 1, 127, 128, 9_999, 16_383]) {
      rows.push({ seq, index, retracted: false, retractedSeq: 0, retractReason: '', meta: shared })
      rows.push({ seq, index, retracted: false, retractedSeq: 0, retractReason: '', meta: {} })
      rows.push({ seq, index, retracted: false, retractedSeq: 0, retractReason: '', meta: { quality: 90, tags: ['a', 'b'.repeat(200)], source: `case-${i}`, iwfCategory: 'A' } })
      rows.push({ seq, index, retracted: true, retractedSeq: seq + 1, retractReason: 'false positive', meta: shared })
      rows.push({ seq, index, retracted: false, retractedSeq: 3, retractReason: '', meta: shared })
    }
  }
  const w = new ProvenanceWriter()
  for (const r of rows) w.add(r)
  const got = w.finish()
  assert.equal(got.length, rows.length)
  rows.forEach((r, i) => {
    const want = pb.Provenance.encode({ seq: r.seq, index: r.index, retracted: r.retracted, retractedSeq: r.retractedSeq, retractReason: r.retractReason, entry: r.meta }).finish()
    assert.deepEqual(Buffer.from(got[i]), Buffer.from(want), `row ${i}`)
  })
})

test('ProvenanceWriter writes exactly the bytes pb.Provenance.encode writes: random metadata, as built and as decoded', () => {
  const text = fc.oneof(fc.string({ maxLength: 40 }), fc.string({ unit: 'binary', maxLength: 5 }), fc.constant(''), fc.constant('x'.repeat(200)))
  const meta: fc.Arbitrary<PbEntry> = fc.record({
    quality: fc.oneof(fc.integer({ min: 0, max: 100 }), fc.constant(2 ** 32 - 1)),
    classification: fc.integer({ min: 0, max: 5 }),
    iwfCategory: text,
    vicsCategory: fc.integer({ min: 0, max: 4 }),
    ageBand: text,
    media: fc.integer({ min: 0, max: 3 }),
    tags: fc.array(text, { maxLength: 4 }),
    source: text,
    vpdq: fc.constant({ frames: [{ hash: new Uint8Array(32).fill(9), quality: 80, frame: 3, timestamp: 0.25 }] })
  }, { requiredKeys: [] })
  const row = fc.record({
    seq: fc.oneof(fc.integer({ min: 0, max: 2 ** 31 }), fc.constant(Number.MAX_SAFE_INTEGER)),
    index: fc.integer({ min: 0, max: 20_000 }),
    retracted: fc.boolean(),
    retractedSeq: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 2 ** 40 })),
    retractReason: fc.oneof(fc.constant(''), text),
    meta,
    decoded: fc.boolean()
  })
  fc.assert(fc.property(fc.array(row, { minLength: 1, maxLength: 30 }), rows => {
    const w = new ProvenanceWriter()
    // a stored row's metadata comes back as a decoded message (defaults on its prototype)
    const fields: ProvenanceFields[] = rows.map(({ decoded, ...r }) => ({ ...r, meta: decoded ? pb.HashEntry.decode(pb.HashEntry.encode(r.meta).finish()) : r.meta }))
    for (const r of fields) w.add(r)
    const got = w.finish()
    fields.forEach((r, i) => {
      const want = pb.Provenance.encode({ seq: r.seq, index: r.index, retracted: r.retracted, retractedSeq: r.retractedSeq, retractReason: r.retractReason, entry: r.meta }).finish()
      assert.deepEqual(Buffer.from(got[i]), Buffer.from(want), `row ${i}`)
    })
  }), { numRuns: 2_000 })
})

test('ProvenanceWriter grows its buffer across many rows and keeps earlier rows intact', () => {
  const w = new ProvenanceWriter()
  const rows: ProvenanceFields[] = Array.from({ length: 5_000 }, (_, i) => ({ seq: i + 1, index: i, retracted: false, retractedSeq: 0, retractReason: '', meta: { classification: 1, iwfCategory: 'B', ageBand: '3-6', media: 1, source: `ncmec:${1_000_000 + i}`, ...(i % 11 === 0 ? { tags: ['series'] } : {}), ...(i % 5 === 0 ? { quality: i % 101 } : {}) } }))
  for (const r of rows) w.add(r)
  const got = w.finish()
  rows.forEach((r, i) => {
    assert.deepEqual(Buffer.from(got[i]), Buffer.from(pb.Provenance.encode({ seq: r.seq, index: r.index, entry: r.meta }).finish()), `row ${i}`)
  })
})

test('CurrentRowWriter writes each current row as pb.Provenance.encode does, one at a time into its scratch buffer', () => {
  const text = fc.oneof(fc.string({ maxLength: 40 }), fc.string({ unit: 'binary', maxLength: 5 }), fc.constant(''), fc.constant('y'.repeat(3000)))
  const meta: fc.Arbitrary<PbEntry> = fc.record({
    quality: fc.integer({ min: 0, max: 100 }),
    classification: fc.integer({ min: 0, max: 5 }),
    iwfCategory: text,
    tags: fc.array(text, { maxLength: 3 }),
    source: text,
    vpdq: fc.constant({ frames: [{ hash: new Uint8Array(32).fill(9), quality: 80, frame: 3, timestamp: 0.25 }] })
  }, { requiredKeys: [] })
  const seq = fc.oneof(fc.constantFrom(0, 1, 127, 128, 16_383, 16_384, 2 ** 32 + 5, Number.MAX_SAFE_INTEGER), fc.integer({ min: 0, max: 2 ** 31 }))
  const index = fc.oneof(fc.constantFrom(0, 1, 127, 128, 9_999, 16_384), fc.integer({ min: 0, max: 20_000 }))
  // runs of rows sharing one metadata object (an import's), and changes between them
  const run = fc.tuple(meta, fc.array(fc.tuple(seq, index), { minLength: 1, maxLength: 12 }))
  fc.assert(fc.property(fc.array(run, { minLength: 1, maxLength: 6 }), runs => {
    const w = new CurrentRowWriter()
    for (const [m, positions] of runs) {
      for (const [s, i] of positions) {
        // compared before the next row: the view is the writer's scratch
        assert.deepEqual(Buffer.from(w.row(s, i, m)), Buffer.from(pb.Provenance.encode({ seq: s, index: i, entry: m }).finish()))
      }
    }
  }), { numRuns: 2_000 })
})
