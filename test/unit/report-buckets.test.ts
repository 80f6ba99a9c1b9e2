import { test } from 'node:test'
import assert from 'node:assert/strict'
import { dayOf } from '../../src/reports/report-buckets.js'

// A damaged report row on disk once carried a creation time past what Date holds: the index
// rebuild threw a RangeError and every list/stats call after it failed (found by the decoders
// fuzz). Day keys must come out for any number.
test('dayOf gives a YYYY-MM-DD day for every time a damaged row can carry', () => {
  assert.equal(dayOf(Date.parse('2026-06-30T23:59:59.999Z')), '2026-06-30')
  for (const ms of [2 ** 63, Number.MAX_SAFE_INTEGER, 8.64e15 + 1, -1, -(2 ** 53), NaN, Infinity, -Infinity]) {
    assert.match(dayOf(ms), /^\d{4}-\d{2}-\d{2}$/, String(ms))
  }
  assert.equal(dayOf(2 ** 63), '9999-12-31')
  assert.equal(dayOf(-1), '1970-01-01')
})
