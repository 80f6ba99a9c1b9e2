import { test } from 'node:test'
import assert from 'node:assert/strict'
import { pb } from '../../src/proto/index.js'
import { ProvenanceWriter, type ProvenanceFields } from '../../src/log/provenance-writer.js'

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
