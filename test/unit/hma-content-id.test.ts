import { test } from 'node:test'
import assert from 'node:assert/strict'
import { contentId, contentIdKey, contentIdPrefix, refOfKey } from '../../src/check-api/hma/content-id.js'

const ref = { origin: '12D3KooWProfwLtg77YUt3zHvrFg8zaUHFtEboGqTgy6hCykfaQG', algorithm: 'pdq', valueHex: 'f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22' }

test('bank_content_id is derived: the same for the same (origin, algorithm, value), a positive safe integer, different otherwise', () => {
  const id = contentId(ref)
  assert.equal(contentId({ ...ref }), id)
  assert.ok(Number.isSafeInteger(id) && id > 0)
  assert.notEqual(contentId({ ...ref, origin: ref.origin.slice(0, -1) + 'H' }), id)
  assert.notEqual(contentId({ ...ref, algorithm: 'blockhash' }), id)
  assert.notEqual(contentId({ ...ref, valueHex: ref.valueHex.slice(0, -1) + '3' }), id)
  // 53 bits are used: over many ids the top bit range is reached and nothing exceeds it
  let max = 0
  for (let i = 0; i < 20_000; i++) max = Math.max(max, contentId({ ...ref, valueHex: i.toString(16).padStart(64, '0') }))
  assert.ok(max > 2 ** 52 && max <= Number.MAX_SAFE_INTEGER)
})

test('content id keys sort by id and give the entry back', () => {
  const id = contentId(ref)
  const key = contentIdKey(id, ref)
  assert.ok(key.startsWith(contentIdPrefix(id)))
  assert.equal(contentIdPrefix(id).length, 15)
  assert.deepEqual(refOfKey(key), ref)
  assert.ok(contentIdPrefix(1) < contentIdPrefix(2 ** 40) && contentIdPrefix(2 ** 40) < contentIdPrefix(Number.MAX_SAFE_INTEGER))
})
