import { test } from 'node:test'
import assert from 'node:assert/strict'
import { parseHashRef, parseHashValue, detectAlgorithm, formatHashValue } from '../../src/log/hash-value.js'
import { isHashfedError } from '../../src/errors.js'

test('hash values are validated per algorithm and normalised to lower-case hex', () => {
  const upper = 'D41D8CD98F00B204E9800998ECF8427E'
  assert.equal(formatHashValue(parseHashValue('md5', upper)), upper.toLowerCase())
  assert.equal(detectAlgorithm('a'.repeat(64)), 'sha256')
  assert.equal(parseHashRef('sha1:' + 'ab'.repeat(20)).algorithm, 'sha1')
  const pdna = Buffer.alloc(144, 7)
  assert.deepEqual(Buffer.from(parseHashValue('photodna', pdna.toString('base64'))), pdna)
  assert.throws(() => parseHashValue('sha256', 'abc'), (e: unknown) => isHashfedError(e, 'HF_INVALID_HASH'))
  assert.throws(() => parseHashValue('md5', 'z'.repeat(32)), (e: unknown) => isHashfedError(e, 'HF_INVALID_HASH'))
  assert.throws(() => parseHashRef('crc32:00'), (e: unknown) => isHashfedError(e, 'HF_INVALID_HASH'))
})
