import { KEY_FILTER_BITS_PER_KEY, KEY_FILTER_FIRST_CAPACITY, KEY_FILTER_PROBES } from './constants.js'

interface Segment {
  bits: Uint32Array
  /** bit count - 1 (a power of two minus one) */
  mask: number
  capacity: number
  count: number
}

/**
 * "Might this origin hold an index row for this hash?" A Bloom filter that grows by adding
 * segments of doubling size, so it needs no size up front. A `false` is certain and lets a
 * write skip its LevelDB read (~4 µs per hash, the largest cost of importing new hashes); a
 * `true` is checked against the store. It never forgets: a retracted hash keeps its row.
 */
export class KeyFilter {
  private readonly segments: Segment[] = []
  private total = 0

  get size (): number {
    return this.total
  }

  add (algorithm: number, value: Uint8Array): void {
    let seg = this.segments[this.segments.length - 1]
    if (seg === undefined || seg.count >= seg.capacity) {
      seg = newSegment(seg === undefined ? KEY_FILTER_FIRST_CAPACITY : seg.capacity * 2)
      this.segments.push(seg)
    }
    const h1 = hash(algorithm, value, 0x811c9dc5)
    const h2 = hash(algorithm, value, 0x01000193) | 1
    for (let i = 0; i < KEY_FILTER_PROBES; i++) {
      const bit = (h1 + Math.imul(i, h2)) & seg.mask
      seg.bits[bit >>> 5] |= 1 << (bit & 31)
    }
    seg.count++
    this.total++
  }

  mightHave (algorithm: number, value: Uint8Array): boolean {
    if (this.total === 0) return false
    const h1 = hash(algorithm, value, 0x811c9dc5)
    const h2 = hash(algorithm, value, 0x01000193) | 1
    for (const seg of this.segments) {
      let all = true
      for (let i = 0; i < KEY_FILTER_PROBES; i++) {
        const bit = (h1 + Math.imul(i, h2)) & seg.mask
        if ((seg.bits[bit >>> 5] & (1 << (bit & 31))) === 0) { all = false; break }
      }
      if (all) return true
    }
    return false
  }
}

function newSegment (capacity: number): Segment {
  let bitCount = 32
  while (bitCount < capacity * KEY_FILTER_BITS_PER_KEY) bitCount *= 2
  return { bits: new Uint32Array(bitCount >>> 5), mask: bitCount - 1, capacity, count: 0 }
}

/** FNV-1a over the algorithm number and the value, finished with murmur3's avalanche. */
function hash (algorithm: number, value: Uint8Array, basis: number): number {
  let h = Math.imul(basis ^ algorithm, 16777619)
  for (let i = 0; i < value.length; i++) h = Math.imul(h ^ value[i], 16777619)
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return h >>> 0
}
