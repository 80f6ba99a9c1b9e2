import { fmix32 } from '../util/mix32.js'
import { KEY_FILTER_BITS_PER_KEY, KEY_FILTER_FIRST_CAPACITY, KEY_FILTER_PROBES } from './constants.js'

interface Segment {
  bits: Uint32Array
  /** 512-bit blocks - 1 (a power of two minus one) */
  blockMask: number
  capacity: number
  count: number
}

/**
 * "Might this origin hold an index row for this hash?" A Bloom filter that grows by adding
 * segments of doubling size, so it needs no size up front. A `false` is certain and lets a
 * write skip its LevelDB read (~4 µs per hash, the largest cost of importing new hashes); a
 * `true` is checked against the store. It never forgets: a retracted hash keeps its row.
 *
 * Callers hash once (`keyHash`) and probe or add with that number.
 */
export class KeyFilter {
  private readonly segments: Segment[] = []
  private total = 0

  get size (): number {
    return this.total
  }

  add (hash: number): void {
    let seg = this.segments[this.segments.length - 1]
    if (seg === undefined || seg.count >= seg.capacity) {
      seg = newSegment(seg === undefined ? KEY_FILTER_FIRST_CAPACITY : seg.capacity * 2)
      this.segments.push(seg)
    }
    // a blocked filter: every probe of a hash falls in one 512-bit block (one cache line), so
    // an add or a "no" costs one cache miss, not one a probe (seven misses an add were ~5% of
    // an import's main thread); probe i within the block is a + i * b (double hashing)
    const base = (hash & seg.blockMask) << 4
    const h2 = fmix32(hash + 0x9e3779b9)
    const a = h2 & 0xffff
    const b = (h2 >>> 16) | 1
    for (let i = 0; i < KEY_FILTER_PROBES; i++) {
      const bit = (a + Math.imul(i, b)) & 511
      seg.bits[base + (bit >>> 5)] |= 1 << (bit & 31)
    }
    seg.count++
    this.total++
  }

  mightHave (hash: number): boolean {
    if (this.total === 0) return false
    const h2 = fmix32(hash + 0x9e3779b9)
    const a = h2 & 0xffff
    const b = (h2 >>> 16) | 1
    for (const seg of this.segments) {
      const base = (hash & seg.blockMask) << 4
      let all = true
      for (let i = 0; i < KEY_FILTER_PROBES; i++) {
        const bit = (a + Math.imul(i, b)) & 511
        if ((seg.bits[base + (bit >>> 5)] & (1 << (bit & 31))) === 0) { all = false; break }
      }
      if (all) return true
    }
    return false
  }
}

/** A 32-bit hash of (algorithm, value) for the filter: murmur3 over the value's bytes. */
export function keyHash (algorithm: number, value: Uint8Array): number {
  let h = 0x9747b28c ^ algorithm
  const words = value.length >>> 2
  for (let w = 0; w < words; w++) {
    const i = w << 2
    let k = value[i] | (value[i + 1] << 8) | (value[i + 2] << 16) | (value[i + 3] << 24)
    k = Math.imul(k, 0xcc9e2d51)
    k = (k << 15) | (k >>> 17)
    h ^= Math.imul(k, 0x1b873593)
    h = (h << 13) | (h >>> 19)
    h = (Math.imul(h, 5) + 0xe6546b64) | 0
  }
  for (let i = words << 2; i < value.length; i++) h = Math.imul(h ^ value[i], 0x01000193)
  return fmix32(h ^ value.length)
}

function newSegment (capacity: number): Segment {
  let bitCount = 512
  while (bitCount < capacity * KEY_FILTER_BITS_PER_KEY) bitCount *= 2
  return { bits: new Uint32Array(bitCount >>> 5), blockMask: (bitCount >>> 9) - 1, capacity, count: 0 }
}

