import { test } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { popcount32, hammingDistance, packHashes256, hammingDistance256, writeHash256 } from '../../src/hashing/hamming.js'
import { isHashfedError } from '../../src/errors.js'

/** Bit-by-bit count: slow and obviously right, to check the fast paths against. */
function naiveDistance (a: Uint8Array, b: Uint8Array): number {
  let d = 0
  for (let i = 0; i < a.length; i++) for (let bit = 0; bit < 8; bit++) d += ((a[i] ^ b[i]) >> bit) & 1
  return d
}

test('popcount32 counts set bits of any 32-bit word', () => {
  assert.equal(popcount32(0), 0)
  assert.equal(popcount32(1), 1)
  assert.equal(popcount32(0xffffffff), 32)
  assert.equal(popcount32(-1), 32)
  assert.equal(popcount32(0x80000000), 1)
  assert.equal(popcount32(0x55555555), 16)
  assert.equal(popcount32(0x0f0f00ff), 16)
})

test('byte and packed distances agree with a bit-by-bit count', () => {
  const hashes = Array.from({ length: 200 }, () => new Uint8Array(randomBytes(32)))
  const packed = packHashes256(hashes)
  assert.equal(packed.length, 200 * 8)
  for (let i = 0; i < hashes.length; i++) {
    const j = (i * 37 + 11) % hashes.length
    const expected = naiveDistance(hashes[i], hashes[j])
    assert.equal(hammingDistance(hashes[i], hashes[j]), expected)
    assert.equal(hammingDistance256(packed, i, packed, j), expected)
  }
  // odd lengths (MD5 is 16, SHA-1 20; anything else takes the byte tail)
  const a = new Uint8Array(randomBytes(21))
  const b = new Uint8Array(randomBytes(21))
  assert.equal(hammingDistance(a, b), naiveDistance(a, b))
  // unaligned views over a larger buffer
  const big = new Uint8Array(randomBytes(70))
  assert.equal(hammingDistance(big.subarray(1, 33), big.subarray(35, 67)), naiveDistance(big.subarray(1, 33), big.subarray(35, 67)))
})

test('distance is 0 to itself, 256 to the complement, and symmetric', () => {
  const h = new Uint8Array(randomBytes(32))
  const complement = h.map(v => ~v & 0xff)
  assert.equal(hammingDistance(h, h), 0)
  assert.equal(hammingDistance(h, complement), 256)
  const words = new Uint32Array(16)
  writeHash256(words, 0, h)
  writeHash256(words, 1, complement)
  assert.equal(hammingDistance256(words, 0, words, 1), 256)
  assert.equal(hammingDistance256(words, 1, words, 0), 256)
})

test('hashes of different lengths cannot be compared', () => {
  assert.throws(() => hammingDistance(new Uint8Array(32), new Uint8Array(16)), (e: unknown) => isHashfedError(e, 'HF_INVALID_ARGUMENT'))
  assert.throws(() => writeHash256(new Uint32Array(8), 0, new Uint8Array(20)), (e: unknown) => isHashfedError(e, 'HF_INVALID_ARGUMENT'))
})
