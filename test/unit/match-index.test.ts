import { test } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import fc from 'fast-check'
import { createMatchIndex } from '../../src/match/match-index.js'
import type { OriginRef } from '../../src/match/match-index.js'
import { ALGORITHMS, VALUE_BYTES } from '../../src/log/hash-value.js'
import type { AlgorithmName } from '../../src/log/hash-value.js'
import { isHashfedError } from '../../src/errors.js'

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')
const bytes = (n: number, fill: number): Uint8Array => new Uint8Array(n).fill(fill)

test('exact lookup returns every origin vouching for a value with its batch', () => {
  const index = createMatchIndex()
  const v = randomBytes(32)
  assert.equal(index.add('hotline-a', 'sha256', v, 3), true)
  assert.equal(index.add('hotline-b', 'sha256', v, 7), true)
  assert.deepEqual(index.lookup('sha256', v), [{ origin: 'hotline-a', seq: 3 }, { origin: 'hotline-b', seq: 7 }])
  // the same origin again: no new reference, its seq moves to the later batch
  assert.equal(index.add('hotline-a', 'sha256', v, 9), false)
  assert.deepEqual(index.lookup('sha256', v), [{ origin: 'hotline-a', seq: 9 }, { origin: 'hotline-b', seq: 7 }])
  index.add('hotline-a', 'sha256', v, Number.MAX_SAFE_INTEGER)
  assert.deepEqual(index.lookup('sha256', v)[0], { origin: 'hotline-a', seq: Number.MAX_SAFE_INTEGER })
  index.add('hotline-a', 'sha256', v, 9)
  // same bytes under another algorithm are another hash
  assert.deepEqual(index.lookup('pdq', v), [])
  assert.deepEqual(index.lookup('sha256', randomBytes(32)), [])
  assert.equal(index.size(), 1)
  assert.deepEqual(index.counts().sha256, { values: 1, refs: 2 })

  assert.equal(index.remove('hotline-a', 'sha256', v), true)
  assert.equal(index.remove('hotline-a', 'sha256', v), false)
  assert.equal(index.remove('never-seen', 'sha256', v), false)
  assert.deepEqual(index.lookup('sha256', v), [{ origin: 'hotline-b', seq: 7 }])
  assert.equal(index.remove('hotline-b', 'sha256', v), true)
  assert.deepEqual(index.lookup('sha256', v), [])
  assert.equal(index.size('sha256'), 0)
})

test('every algorithm has its own exact table', () => {
  const index = createMatchIndex()
  for (const [i, algorithm] of ALGORITHMS.entries()) index.add('o', algorithm, bytes(VALUE_BYTES[algorithm], i + 1), i + 1)
  for (const [i, algorithm] of ALGORITHMS.entries()) {
    assert.deepEqual(index.lookup(algorithm, bytes(VALUE_BYTES[algorithm], i + 1)), [{ origin: 'o', seq: i + 1 }])
    assert.deepEqual(index.lookup(algorithm, bytes(VALUE_BYTES[algorithm], i + 2)), [])
    assert.equal(index.size(algorithm), 1)
  }
  assert.equal(index.size(), ALGORITHMS.length)
  index.clear()
  assert.equal(index.size(), 0)
  assert.deepEqual(index.lookup('md5', bytes(16, 1)), [])
})

test('bad input gets a coded error and changes nothing', () => {
  const index = createMatchIndex()
  const v = randomBytes(32)
  index.add('o', 'sha256', v, 1)
  const code = (c: string) => (e: unknown) => isHashfedError(e) && e.code === c
  assert.throws(() => index.add('o', 'sha256', randomBytes(31), 1), code('HF_INVALID_HASH'))
  assert.throws(() => index.add('o', 'md5', randomBytes(32), 1), code('HF_INVALID_HASH'))
  assert.throws(() => index.add('o', 'crc32' as AlgorithmName, randomBytes(4), 1), code('HF_INVALID_HASH'))
  assert.throws(() => index.add('o', 'sha256', 'ab'.repeat(32) as unknown as Uint8Array, 1), code('HF_INVALID_HASH'))
  assert.throws(() => index.add('o', 'sha256', randomBytes(32), -1), code('HF_INVALID_ARGUMENT'))
  assert.throws(() => index.add('o', 'sha256', randomBytes(32), 1.5), code('HF_INVALID_ARGUMENT'))
  assert.throws(() => index.add('', 'sha256', randomBytes(32), 1), code('HF_INVALID_ARGUMENT'))
  assert.throws(() => index.lookup('sha1', v), code('HF_INVALID_HASH'))
  assert.throws(() => index.remove('o', 'sha256', v.subarray(1)), code('HF_INVALID_HASH'))
  assert.throws(() => index.near('sha256' as 'pdq', v, 3), code('HF_INVALID_ARGUMENT'))
  assert.throws(() => index.near('pdq', v, -1), code('HF_INVALID_ARGUMENT'))
  assert.throws(() => index.near('pdq', v, 257), code('HF_INVALID_ARGUMENT'))
  assert.throws(() => index.near('pdq', v, 2.5), code('HF_INVALID_ARGUMENT'))
  assert.throws(() => createMatchIndex({ pdqThreshold: 300 }), code('HF_INVALID_ARGUMENT'))
  assert.throws(() => createMatchIndex({ nearSubstringBits: 30 }), code('HF_INVALID_ARGUMENT'))
  assert.throws(() => createMatchIndex({ nearRebuildMin: -1 }), code('HF_INVALID_ARGUMENT'))
  assert.equal(index.size(), 1)
  assert.deepEqual(index.lookup('sha256', v), [{ origin: 'o', seq: 1 }])
})

test('kill switch hides an origin from lookups and near-matches at once and restores it', () => {
  const index = createMatchIndex()
  const shared = randomBytes(32)
  const onlyA = randomBytes(32)
  const pdq = randomBytes(32)
  index.add('a', 'sha256', shared, 1)
  index.add('b', 'sha256', shared, 2)
  index.add('a', 'sha256', onlyA, 1)
  index.add('a', 'pdq', pdq, 1)
  assert.equal(index.near('pdq', pdq).length, 1)

  index.setOriginEnabled('a', false)
  assert.equal(index.isOriginEnabled('a'), false)
  assert.deepEqual(index.lookup('sha256', shared), [{ origin: 'b', seq: 2 }])
  assert.deepEqual(index.lookup('sha256', onlyA), [])
  assert.deepEqual(index.near('pdq', pdq), [])
  // disabled hashes are still held, and still follow additions and retractions
  assert.equal(index.size('sha256'), 2)
  index.remove('a', 'sha256', onlyA)

  index.setOriginEnabled('a', true)
  assert.deepEqual(index.lookup('sha256', shared), [{ origin: 'a', seq: 1 }, { origin: 'b', seq: 2 }])
  assert.deepEqual(index.lookup('sha256', onlyA), [])
  assert.deepEqual(index.near('pdq', pdq).map(m => m.origins), [[{ origin: 'a', seq: 1 }]])

  // switched off before its first hash arrives, and across clear()
  index.setOriginEnabled('c', false)
  index.clear()
  index.add('c', 'md5', bytes(16, 9), 1)
  assert.deepEqual(index.lookup('md5', bytes(16, 9)), [])
  assert.equal(index.isOriginEnabled('c'), false)
  assert.equal(index.isOriginEnabled('unknown'), true)
})

test('growth and deletion keep every value findable, also when all share their hash key', () => {
  const index = createMatchIndex()
  // 20k random SHA-256 values: several slot and entry growths
  const values = Array.from({ length: 20_000 }, () => randomBytes(32))
  values.forEach((v, i) => index.add('o', 'sha256', v, i))
  for (let i = 0; i < values.length; i += 2) assert.equal(index.remove('o', 'sha256', values[i]), true)
  values.forEach((v, i) => assert.deepEqual(index.lookup('sha256', v), i % 2 === 0 ? [] : [{ origin: 'o', seq: i }]))
  // removed ids are reused
  for (let i = 0; i < values.length; i += 2) index.add('p', 'sha256', values[i], i)
  values.forEach((v, i) => assert.deepEqual(index.lookup('sha256', v), [{ origin: i % 2 === 0 ? 'p' : 'o', seq: i }]))
  assert.equal(index.size('sha256'), values.length)

  // MD5 values keyed by their first 8 bytes: identical prefixes make one long probe chain,
  // the worst case for backward-shift deletion
  const same = Array.from({ length: 1500 }, (_, i) => { const v = bytes(16, 0); v[15] = i & 0xff; v[14] = i >> 8; return v })
  same.forEach((v, i) => index.add('o', 'md5', v, i))
  const order = same.map((_, i) => i).sort(() => Math.random() - 0.5)
  const removed = new Set<number>()
  for (const [n, i] of order.entries()) {
    index.remove('o', 'md5', same[i])
    removed.add(i)
    if (n % 100 === 0 || n === order.length - 1) {
      same.forEach((v, j) => assert.equal(index.lookup('md5', v).length, removed.has(j) ? 0 : 1))
    }
  }
  assert.equal(index.size('md5'), 0)
})

test('property: add/remove/toggle sequences keep lookups equal to a Map model', () => {
  const algorithms: AlgorithmName[] = ['md5', 'sha256', 'pdq', 'photodna']
  const origins = ['a', 'b', 'c']
  // a small value pool so operations collide; values 0..7 share their first 8 bytes
  const pool = (algorithm: AlgorithmName, k: number): Uint8Array => {
    const v = bytes(VALUE_BYTES[algorithm], 0)
    v[VALUE_BYTES[algorithm] - 1] = k
    if (k >= 8) v[0] = k
    return v
  }
  const op = fc.oneof(
    fc.record({ kind: fc.constant('add' as const), origin: fc.constantFrom(...origins), algorithm: fc.constantFrom(...algorithms), k: fc.nat(15), seq: fc.oneof(fc.nat(1000), fc.maxSafeNat()) }),
    fc.record({ kind: fc.constant('remove' as const), origin: fc.constantFrom(...origins), algorithm: fc.constantFrom(...algorithms), k: fc.nat(15) }),
    fc.record({ kind: fc.constant('toggle' as const), origin: fc.constantFrom(...origins), enabled: fc.boolean() })
  )
  fc.assert(fc.property(fc.array(op, { maxLength: 200 }), (ops) => {
    const index = createMatchIndex()
    const model = new Map<string, Map<string, number>>()
    const disabled = new Set<string>()
    for (const o of ops) {
      if (o.kind === 'toggle') {
        index.setOriginEnabled(o.origin, o.enabled)
        if (o.enabled) disabled.delete(o.origin); else disabled.add(o.origin)
        continue
      }
      const key = `${o.algorithm}:${o.k}`
      const refs = model.get(key) ?? new Map<string, number>()
      if (o.kind === 'add') {
        assert.equal(index.add(o.origin, o.algorithm, pool(o.algorithm, o.k), o.seq), !refs.has(o.origin))
        refs.set(o.origin, o.seq)
        model.set(key, refs)
      } else {
        assert.equal(index.remove(o.origin, o.algorithm, pool(o.algorithm, o.k)), refs.delete(o.origin))
        if (refs.size === 0) model.delete(key)
      }
    }
    for (const algorithm of algorithms) {
      let values = 0
      let refCount = 0
      for (let k = 0; k < 16; k++) {
        const refs = model.get(`${algorithm}:${k}`)
        const expected: OriginRef[] = [...(refs ?? new Map<string, number>())].filter(([origin]) => !disabled.has(origin)).map(([origin, seq]) => ({ origin, seq }))
        assert.deepEqual(index.lookup(algorithm, pool(algorithm, k)), expected)
        if (refs !== undefined) { values++; refCount += refs.size }
      }
      assert.deepEqual(index.counts()[algorithm], { values, refs: refCount })
    }
  }), { numRuns: 300 })
})

test('near-match at distance 0 returns the stored value itself', () => {
  const index = createMatchIndex()
  const v = randomBytes(32)
  index.add('o', 'pdq', v, 1)
  const [m] = index.near('pdq', v, 0)
  assert.equal(hex(m.value), hex(v))
  assert.equal(m.distance, 0)
})
