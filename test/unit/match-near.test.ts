import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { createMatchIndex } from '../../src/match/match-index.js'
import type { MatchIndex, NearMatch } from '../../src/match/match-index.js'
import { evenPartition, partitionFor, substring } from '../../src/match/hash-partition.js'

// The oracle: a plain list of values and a bit-by-bit distance, sharing no code with the index.
const BYTE_BITS = Uint8Array.from({ length: 256 }, (_, x) => { let n = 0; for (; x !== 0; x >>= 1) n += x & 1; return n })
function bitDistance (a: Uint8Array, b: Uint8Array): number {
  let d = 0
  for (let i = 0; i < a.length; i++) d += BYTE_BITS[a[i] ^ b[i]]
  return d
}

interface ModelValue { value: Uint8Array, origins: Map<string, number> }
type Model = Map<string, ModelValue>

const key = (v: Uint8Array): string => Buffer.from(v).toString('hex')

function modelAdd (model: Model, origin: string, value: Uint8Array, seq: number): void {
  const entry = model.get(key(value)) ?? { value, origins: new Map() }
  entry.origins.set(origin, seq)
  model.set(key(value), entry)
}

function modelRemove (model: Model, origin: string, value: Uint8Array): void {
  const entry = model.get(key(value))
  if (entry === undefined) return
  entry.origins.delete(origin)
  if (entry.origins.size === 0) model.delete(key(value))
}

function bruteForce (model: Model, disabled: Set<string>, query: Uint8Array, maxDistance: number): NearMatch[] {
  const out: NearMatch[] = []
  for (const { value, origins } of model.values()) {
    const distance = bitDistance(query, value)
    if (distance > maxDistance) continue
    const refs = [...origins].filter(([o]) => !disabled.has(o)).map(([origin, seq]) => ({ origin, seq }))
    if (refs.length > 0) out.push({ value, distance, origins: refs })
  }
  return out.sort((x, y) => x.distance - y.distance || Buffer.compare(x.value, y.value))
}

const normalise = (matches: NearMatch[]): Array<[string, number, string]> =>
  matches.map(m => [key(m.value), m.distance, JSON.stringify(m.origins)])

function flip (value: Uint8Array, bits: number[]): Uint8Array {
  const out = Uint8Array.from(value)
  for (const b of bits) out[b >> 3] ^= 1 << (b & 7)
  return out
}

const hash256 = fc.uint8Array({ minLength: 32, maxLength: 32 })
const randomHashes = fc.array(hash256, { minLength: 1, maxLength: 60 })
// a few centres with many hashes a few bits away: buckets collide, every table finds them
const clusteredHashes = fc.record({
  centres: fc.array(hash256, { minLength: 1, maxLength: 3 }),
  members: fc.array(fc.record({ centre: fc.nat(2), flips: fc.array(fc.nat(255), { maxLength: 24 }) }), { minLength: 1, maxLength: 60 })
}).map(({ centres, members }) => [...centres, ...members.map(m => flip(centres[m.centre % centres.length], m.flips))])

const origins = ['a', 'b', 'c']
const op = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('add' as const), i: fc.nat(), origin: fc.constantFrom(...origins), seq: fc.nat(100) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('remove' as const), i: fc.nat(), origin: fc.constantFrom(...origins) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('toggle' as const), origin: fc.constantFrom(...origins), enabled: fc.boolean() }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('query' as const), i: fc.nat(), flips: fc.array(fc.nat(255), { maxLength: 40 }), maxDistance: fc.integer({ min: 0, max: 40 }) }) }
)

/**
 * Feeds the same operations to indexes that rebuild at different points (every query, now and
 * then, never at these sizes) and cut hashes differently (substrings of 16 bits, and of 20 and
 * 11 bits that straddle words), so built, incremental and removed-but-unbuilt entries all meet
 * queries, and checks every query against the brute-force scan.
 */
type Op = typeof op extends fc.Arbitrary<infer T> ? T : never
function checkAgainstBruteForce (hashes: Uint8Array[], ops: Op[]): void {
  const indexes: MatchIndex[] = [
    createMatchIndex({ nearRebuildMin: 0 }),
    createMatchIndex({ nearRebuildMin: 8, nearSubstringBits: 20 }),
    createMatchIndex({ nearRebuildMin: 0, nearSubstringBits: 11 }),
    createMatchIndex()
  ]
  const model: Model = new Map()
  const disabled = new Set<string>()
  for (const o of ops) {
    if (o.kind === 'toggle') {
      for (const index of indexes) index.setOriginEnabled(o.origin, o.enabled)
      if (o.enabled) disabled.delete(o.origin); else disabled.add(o.origin)
    } else if (o.kind === 'add') {
      const value = hashes[o.i % hashes.length]
      for (const index of indexes) index.add(o.origin, 'pdq', value, o.seq)
      modelAdd(model, o.origin, value, o.seq)
    } else if (o.kind === 'remove') {
      const value = hashes[o.i % hashes.length]
      for (const index of indexes) index.remove(o.origin, 'pdq', value)
      modelRemove(model, o.origin, value)
    } else {
      const query = flip(hashes[o.i % hashes.length], o.flips)
      const expected = normalise(bruteForce(model, disabled, query, o.maxDistance))
      for (const index of indexes) assert.deepEqual(normalise(index.near('pdq', query, o.maxDistance)), expected)
    }
  }
}

test('property: near-match equals a brute-force scan on random hashes (thresholds 0..40)', () => {
  fc.assert(fc.property(randomHashes, fc.array(op, { maxLength: 120 }), checkAgainstBruteForce), { numRuns: 150 })
})

test('property: near-match equals a brute-force scan on clustered hashes (thresholds 0..40)', () => {
  fc.assert(fc.property(clusteredHashes, fc.array(op, { maxLength: 120 }), checkAgainstBruteForce), { numRuns: 150 })
})

/** A seeded generator so the larger test is reproducible. */
function xorshift (seed: number): () => number {
  let s = seed >>> 0 || 1
  return () => { s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0; return s }
}

test('near-match equals a brute-force scan at 30k random and clustered hashes, for every threshold 0..40 and beyond', () => {
  const rand = xorshift(7)
  const randomValue = (): Uint8Array => { const v = new Uint8Array(32); for (let i = 0; i < 32; i++) v[i] = rand() & 0xff; return v }
  const near = (v: Uint8Array, maxFlips: number): Uint8Array => flip(v, Array.from({ length: rand() % (maxFlips + 1) }, () => rand() & 255))
  const centres = Array.from({ length: 5 }, randomValue)
  const hashes = [
    ...Array.from({ length: 22_000 }, randomValue),
    ...Array.from({ length: 8_000 }, () => near(centres[rand() % centres.length], 30))
  ]
  for (const index of [createMatchIndex(), createMatchIndex({ nearRebuildMin: 100, nearSubstringBits: 19 })]) {
    const model: Model = new Map()
    hashes.forEach((v, i) => { index.add(i % 3 === 0 ? 'b' : 'a', 'pdq', v, i); modelAdd(model, i % 3 === 0 ? 'b' : 'a', v, i) })
    index.optimize()
    // retract some and add others after the build: stale built entries and an incremental part
    for (let i = 0; i < hashes.length; i += 50) { index.remove(i % 3 === 0 ? 'b' : 'a', 'pdq', hashes[i]); modelRemove(model, i % 3 === 0 ? 'b' : 'a', hashes[i]) }
    for (let i = 0; i < 300; i++) { const v = near(centres[i % 5], 20); index.add('c', 'pdq', v, i); modelAdd(model, 'c', v, i) }
    index.setOriginEnabled('b', false)
    const disabled = new Set(['b'])
    const queries = [...centres, ...centres.map(c => near(c, 12)), ...Array.from({ length: 6 }, () => near(hashes[rand() % hashes.length], 35)), randomValue()]
    let found = 0
    for (const query of queries) {
      // one pass of distances, then every threshold filtered from it
      const all = bruteForce(model, disabled, query, 100)
      for (const maxDistance of [...Array.from({ length: 41 }, (_, r) => r), 64, 100]) {
        const expected = all.filter(m => m.distance <= maxDistance)
        const actual = index.near('pdq', query, maxDistance)
        assert.deepEqual(normalise(actual), normalise(expected), `threshold ${maxDistance}`)
        if (maxDistance <= 40) found += actual.length
      }
    }
    assert.ok(found > 1000, `the data must produce many near matches (got ${found})`)
  }
})

test('near uses the configured default thresholds for PDQ and blockhash', () => {
  const index = createMatchIndex({ blockhashThreshold: 4 })
  const base = new Uint8Array(32)
  const at = (n: number): Uint8Array => flip(base, Array.from({ length: n }, (_, i) => i * 7))
  for (const n of [0, 4, 5, 31, 32]) { index.add('o', 'pdq', at(n), n); index.add('o', 'blockhash', at(n), n) }
  assert.deepEqual(index.near('pdq', base).map(m => m.distance), [0, 4, 5, 31])
  assert.deepEqual(index.near('blockhash', base).map(m => m.distance), [0, 4])
  assert.deepEqual(index.near('blockhash', base, 5).map(m => m.distance), [0, 4, 5])
  assert.deepEqual(index.near('pdq', base).map(m => m.origins[0].seq), [0, 4, 5, 31])
})

test('hash partitions cover all 256 bits once and substrings read exactly those bits', () => {
  const words = new Uint32Array(8).map((_, i) => (0x9e3779b9 * (i + 1)) >>> 0)
  const bit = (n: number): number => (words[n >>> 5] >>> (n & 31)) & 1
  for (const bits of [8, 11, 16, 19, 20, 22]) {
    const { widths, starts } = evenPartition(bits)
    assert.equal(widths.reduce((a, b) => a + b, 0), 256)
    assert.ok(widths.every(w => w === bits || w === bits - 1), `widths ${widths.join()}`)
    widths.forEach((width, t) => {
      if (t > 0) assert.equal(starts[t], starts[t - 1] + widths[t - 1])
      let expected = 0
      for (let k = 0; k < width; k++) expected |= bit(starts[t] + k) << k
      assert.equal(substring(words, 0, starts[t], width), expected >>> 0)
    })
  }
  assert.equal(partitionFor(1000).widths.length, 16)
  assert.deepEqual(new Set(partitionFor(1_000_000).widths), new Set([19, 20]))
  assert.equal(Math.max(...partitionFor(1e9).widths), 22)
})
