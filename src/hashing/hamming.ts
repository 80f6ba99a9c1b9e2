import { hfError, ErrorCodes } from '../errors.js'

/** Set bits in a 32-bit word (SWAR: no table, no loop; V8 compiles it to a few ALU ops). */
export function popcount32 (x: number): number {
  x = x - ((x >>> 1) & 0x55555555)
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333)
  x = (x + (x >>> 4)) & 0x0f0f0f0f
  return Math.imul(x, 0x01010101) >>> 24
}

/** Number of differing bits between two values of equal length (any perceptual hash). */
export function hammingDistance (a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length) throw hfError(ErrorCodes.INVALID_ARGUMENT, `cannot compare hashes of ${a.length} and ${b.length} bytes`)
  let distance = 0
  let i = 0
  for (; i + 4 <= a.length; i += 4) {
    distance += popcount32(((a[i] ^ b[i]) << 24) | ((a[i + 1] ^ b[i + 1]) << 16) | ((a[i + 2] ^ b[i + 2]) << 8) | (a[i + 3] ^ b[i + 3]))
  }
  for (; i < a.length; i++) distance += popcount32(a[i] ^ b[i])
  return distance
}

/** Words per 256-bit hash when packed into a Uint32Array. */
export const WORDS_256 = 8

/**
 * Packs 256-bit hashes into one Uint32Array, 8 big-endian words each, so an index can scan
 * millions of them without an object per hash. Word order follows byte order.
 */
export function packHashes256 (hashes: readonly Uint8Array[]): Uint32Array {
  const words = new Uint32Array(hashes.length * WORDS_256)
  hashes.forEach((hash, n) => { writeHash256(words, n, hash) })
  return words
}

/** Writes one 32-byte hash into slot `slot` of a packed array. */
export function writeHash256 (words: Uint32Array, slot: number, hash: Uint8Array): void {
  if (hash.length !== 32) throw hfError(ErrorCodes.INVALID_ARGUMENT, `expected a 32-byte hash, got ${hash.length} bytes`)
  const base = slot * WORDS_256
  for (let w = 0; w < WORDS_256; w++) {
    const i = w * 4
    words[base + w] = ((hash[i] << 24) | (hash[i + 1] << 16) | (hash[i + 2] << 8) | hash[i + 3]) >>> 0
  }
}

/** Hamming distance between slot `i` of `a` and slot `j` of `b` (both packed by `packHashes256`). */
export function hammingDistance256 (a: Uint32Array, i: number, b: Uint32Array, j: number): number {
  const p = i * WORDS_256
  const q = j * WORDS_256
  return popcount32(a[p] ^ b[q]) + popcount32(a[p + 1] ^ b[q + 1]) + popcount32(a[p + 2] ^ b[q + 2]) +
    popcount32(a[p + 3] ^ b[q + 3]) + popcount32(a[p + 4] ^ b[q + 4]) + popcount32(a[p + 5] ^ b[q + 5]) +
    popcount32(a[p + 6] ^ b[q + 6]) + popcount32(a[p + 7] ^ b[q + 7])
}

/**
 * Hamming distance between the 8 words of `query` and the 8 words at `values[offset..]`,
 * stopping once it exceeds `max` (then returns some value > max).
 */
export function hammingWithin256 (query: Uint32Array, values: Uint32Array, offset: number, max: number): number {
  let d = 0
  for (let w = 0; w < WORDS_256; w++) {
    d += popcount32(query[w] ^ values[offset + w])
    if (d > max) return d
  }
  return d
}
