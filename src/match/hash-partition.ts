import { MIH_MAX_SUBSTRING_BITS, MIH_MIN_SUBSTRING_BITS } from './constants.js'

const HASH_BITS = 256

/**
 * How multi-index hashing cuts a 256-bit hash into substrings: `widths[t]` bits starting at
 * bit `starts[t]`, over the hash as 8 native-order 32-bit words.
 */
export interface Partition {
  readonly widths: readonly number[]
  readonly starts: readonly number[]
}

/**
 * Substrings of about log2(count) bits, so a bucket holds about one hash: fewer candidates per
 * probe than shorter substrings, and bucket offsets no larger than the id lists themselves.
 */
export function partitionFor (count: number): Partition {
  const ideal = Math.round(Math.log2(Math.max(2, count)))
  return evenPartition(Math.min(MIH_MAX_SUBSTRING_BITS, Math.max(MIH_MIN_SUBSTRING_BITS, ideal)))
}

/** ceil(256 / bits) substrings of `bits` or `bits - 1` bits. */
export function evenPartition (bits: number): Partition {
  const m = Math.ceil(HASH_BITS / bits)
  const narrow = Math.floor(HASH_BITS / m)
  const wide = HASH_BITS - narrow * m
  const widths = Array.from({ length: m }, (_, t) => t < wide ? narrow + 1 : narrow)
  const starts: number[] = []
  widths.reduce((start, width) => { starts.push(start); return start + width }, 0)
  return { widths, starts }
}

/** The substring of `width` (<= 31) bits at bit `start` of the hash at `words[offset..]`. */
export function substring (words: Uint32Array, offset: number, start: number, width: number): number {
  const word = offset + (start >>> 5)
  const shift = start & 31
  let value = words[word] >>> shift
  if (shift + width > 32) value |= words[word + 1] << (32 - shift)
  return value & ((1 << width) - 1)
}

/**
 * Per substring, the Hamming radius to probe so that every hash within `maxDistance` is found
 * (-1: skip the table). With m substrings and maxDistance = q·m + a (0 <= a < m): radius q for
 * substrings 0..a, q-1 for the rest. A hash differing from the query by at most maxDistance
 * bits must meet one of these; otherwise it would differ by at least
 * (a+1)(q+1) + (m-a-1)q = maxDistance + 1 bits.
 */
export function radii (partition: Partition, maxDistance: number, out: Int32Array): void {
  const m = partition.widths.length
  const q = Math.floor(maxDistance / m)
  const a = maxDistance % m
  for (let t = 0; t < m; t++) out[t] = Math.min(t <= a ? q : q - 1, partition.widths[t])
}

const maskCache = new Map<number, Uint32Array>()

/** Every `width`-bit mask with exactly `weight` bits set: the neighbours at that distance. */
export function masksOfWeight (width: number, weight: number): Uint32Array {
  const key = width * 64 + weight
  const cached = maskCache.get(key)
  if (cached !== undefined) return cached
  const masks = new Uint32Array(binomial(width, weight))
  let n = 0
  const pick = (from: number, left: number, mask: number): void => {
    if (left === 0) { masks[n++] = mask >>> 0; return }
    for (let bit = from; bit <= width - left; bit++) pick(bit + 1, left - 1, mask | (1 << bit))
  }
  pick(0, weight, 0)
  maskCache.set(key, masks)
  return masks
}

/** Buckets probed in a table of `width` bits at `radius`: sum of C(width, k) for k <= radius. */
export function probesWithin (width: number, radius: number): number {
  let probes = 0
  for (let k = 0; k <= radius; k++) probes += binomial(width, k)
  return probes
}

function binomial (n: number, k: number): number {
  if (k < 0 || k > n) return 0
  let c = 1
  for (let i = 0; i < k; i++) c = c * (n - i) / (i + 1)
  return Math.round(c)
}
