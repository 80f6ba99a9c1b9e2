import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { buildBucketTable, buildScratch, NO_ID, type BucketTable } from '../../src/match/bucket-table.js'

/** The ids a probe of bucket `key` yields, read the way the multi-index reads them. */
function bucket (table: BucketTable, key: number): number[] {
  const a = table.slots[2 * key]
  const b = table.slots[2 * key + 1]
  if (a === NO_ID) return []
  if (a >= 0) return b >= 0 ? [a, b] : [a]
  return Array.from(table.spill.subarray(-2 - a, -2 - a + b))
}

test('property: every id sits in the bucket of its key, once, for buckets of 0, 1, 2 and many ids', () => {
  // 4-bit keys over up to 80 ids: every bucket size occurs, spills included
  fc.assert(fc.property(fc.array(fc.nat(15), { maxLength: 80 }), fc.boolean(), (keyList, rebuildInto) => {
    const n = keyList.length
    const ids = Int32Array.from({ length: n }, (_, i) => 1000 + i * 7)
    const scratch = buildScratch(n)
    scratch.keys.set(keyList)
    // a rebuild may reuse the previous table's arrays: they must not leak old ids
    const previous = rebuildInto ? buildBucketTable(Int32Array.from([5, 6, 7]), 4, Object.assign(buildScratch(3), { keys: Uint32Array.from([3, 3, 3]) })) : undefined
    const table = buildBucketTable(ids, 4, scratch, previous)
    for (let key = 0; key < 16; key++) {
      const want = [...ids].filter((_, i) => keyList[i] === key).sort((x, y) => x - y)
      assert.deepEqual(bucket(table, key).sort((x, y) => x - y), want, `bucket ${key}`)
    }
  }), { numRuns: 300 })
})
