import { test } from 'node:test'
import assert from 'node:assert/strict'
import { VpdqFrameIndex } from '../../src/match/vpdq-frame-index.js'
import { matchVpdqBrute, DEFAULT_VPDQ_RULE, type VpdqMatchRule } from '../../src/hashing/video/vpdq-match.js'
import type { VpdqFeature } from '../../src/hashing/video/vpdq.js'

/** Deterministic PRNG (mulberry32): the same random videos on every run. */
function rng (seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0
    let t = Math.imul(seed ^ (seed >>> 15), seed | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32
  }
}

function randomHash (r: () => number): Uint8Array {
  return Uint8Array.from({ length: 32 }, () => Math.floor(r() * 256))
}

function flipBits (hash: Uint8Array, bits: number, r: () => number): Uint8Array {
  const out = Uint8Array.from(hash)
  for (let k = 0; k < bits; k++) {
    const b = Math.floor(r() * 256)
    out[b >> 3] ^= 1 << (b & 7)
  }
  return out
}

function frames (hashes: Uint8Array[], r: () => number): VpdqFeature[] {
  return hashes.map((hash, i) => ({ frameNumber: i, quality: r() < 0.15 ? Math.floor(r() * 50) : 50 + Math.floor(r() * 51), hash, timestamp: i }))
}

test('the frame index gives exactly what brute force gives, on random videos and near copies', () => {
  const r = rng(16)
  const stored = new Map<number, VpdqFeature[]>()
  // a few "scenes" of frames that several videos share, so candidates overlap
  const scenes = Array.from({ length: 20 }, () => Array.from({ length: 8 }, () => randomHash(r)))
  for (let v = 0; v < 300; v++) {
    const hashes: Uint8Array[] = []
    const n = 3 + Math.floor(r() * 25)
    for (let k = 0; k < n; k++) {
      const pick = r()
      if (pick < 0.4) hashes.push(flipBits(scenes[Math.floor(r() * scenes.length)][Math.floor(r() * 8)], Math.floor(r() * 40), r))
      else if (pick < 0.5 && hashes.length > 0) hashes.push(hashes[hashes.length - 1]) // a repeated frame
      else hashes.push(randomHash(r))
    }
    stored.set(v, frames(hashes, r))
  }
  const rules: VpdqMatchRule[] = [
    DEFAULT_VPDQ_RULE,
    { ...DEFAULT_VPDQ_RULE, comparePct: 0, queryPct: 80 },
    { ...DEFAULT_VPDQ_RULE, comparePct: 30, queryPct: 20, distanceThreshold: 20 }
  ]
  for (const rule of rules) {
    const index = new VpdqFrameIndex(rule)
    for (const [id, f] of stored) index.add(id, f)
    // drop a tenth, re-add some under new ids: removal must not leave stale postings
    for (let id = 0; id < 300; id += 10) index.remove(id)
    const live = new Map([...stored].filter(([id]) => id % 10 !== 0))
    for (let id = 0; id < 300; id += 20) { index.add(1000 + id, stored.get(id) as VpdqFeature[]); live.set(1000 + id, stored.get(id) as VpdqFeature[]) }
    let matched = 0
    for (let q = 0; q < 60; q++) {
      const base = stored.get(Math.floor(r() * 300)) as VpdqFeature[]
      // a query: part of a stored video with noise, plus unrelated frames
      const hashes = base.filter(() => r() < 0.92).map(f => flipBits(f.hash, Math.floor(r() * 20), r))
      for (let k = Math.floor(r() * 10); k > 0; k--) hashes.push(randomHash(r))
      const query = frames(hashes, r)
      const expected = [...live].map(([videoId, f]) => ({ videoId, ...matchVpdqBrute(query, f, rule) })).filter(m => m.match)
      const got = index.query(query)
      assert.deepEqual(
        got.map(m => [m.videoId, m.queryPct, m.comparePct, m.querySegment]).sort((a, b) => (a[0] as number) - (b[0] as number)),
        expected.map(m => [m.videoId, m.queryPct, m.comparePct, m.querySegment]).sort((a, b) => (a[0] as number) - (b[0] as number))
      )
      matched += got.length
    }
    assert.ok(matched >= 15, `only ${matched} matches: the data does not exercise the rule`)
  }
})

test('a video with no frame of quality 50 is not stored; removing the last holder drops a frame hash', () => {
  const r = rng(7)
  const index = new VpdqFrameIndex()
  const dull = frames([randomHash(r)], r).map(f => ({ ...f, quality: 10 }))
  assert.equal(index.add(1, dull), false)
  assert.equal(index.size, 0)
  const shared = randomHash(r)
  const a = frames([shared, randomHash(r)], r).map(f => ({ ...f, quality: 90 }))
  const b = frames([shared], r).map(f => ({ ...f, quality: 90 }))
  index.add(1, a)
  index.add(2, b)
  assert.equal(index.frames, 2)
  index.remove(1)
  assert.equal(index.frames, 1)
  assert.deepEqual(index.query(b).map(m => m.videoId), [2])
  index.remove(2)
  assert.equal(index.frames, 0)
  assert.deepEqual(index.query(b), [])
})
