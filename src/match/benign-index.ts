import { hammingDistance } from '../hashing/hamming.js'
import { formatHashValue, type AlgorithmName } from '../log/hash-value.js'

/** Who said a value is benign, and why. */
export interface BenignMark {
  /** peer ID of the member whose log holds the benign entry */
  origin: string
  reason: string
}

/** A benign value found for a match. */
export interface BenignHit extends BenignMark {
  algorithm: AlgorithmName
  /** the benign value (hex); for PDQ it may differ from the matched value by `distance` */
  value: string
  distance: number
}

/**
 * The benign entries of every member's log (`op: 'benign'`), by value: what suppresses a
 * match. Benign lists are small (defaults of CMS themes, stock icons), so PDQ near-lookup is
 * a linear scan; it only runs for values that matched, never for misses.
 */
export class BenignIndex {
  /** `alg:hex` -> origin -> reason */
  private readonly byRef = new Map<string, Map<string, string>>()
  private readonly pdq = new Map<string, { value: Uint8Array, marks: Map<string, string> }>()

  get size (): number { return this.byRef.size }

  set (origin: string, algorithm: AlgorithmName, value: Uint8Array, reason: string): void {
    const hex = formatHashValue(value)
    const ref = `${algorithm}:${hex}`
    let marks = this.byRef.get(ref)
    if (marks === undefined) {
      marks = new Map()
      this.byRef.set(ref, marks)
      if (algorithm === 'pdq') this.pdq.set(hex, { value: Uint8Array.from(value), marks })
    }
    marks.set(origin, reason)
  }

  remove (origin: string, algorithm: AlgorithmName, value: Uint8Array): void {
    const hex = formatHashValue(value)
    const ref = `${algorithm}:${hex}`
    const marks = this.byRef.get(ref)
    if (marks === undefined) return
    marks.delete(origin)
    if (marks.size > 0) return
    this.byRef.delete(ref)
    this.pdq.delete(hex)
  }

  clear (): void {
    this.byRef.clear()
    this.pdq.clear()
  }

  /**
   * The benign entry that suppresses a matched value, from a trusted member: the exact value
   * first, then (PDQ only) the nearest within `pdqThreshold`. Null when none.
   */
  find (algorithm: AlgorithmName, value: Uint8Array, hex: string, trusted: (origin: string) => boolean, pdqThreshold: number): BenignHit | null {
    if (this.byRef.size === 0) return null
    const exact = pick(this.byRef.get(`${algorithm}:${hex}`), trusted)
    if (exact !== null) return { algorithm, value: hex, distance: 0, ...exact }
    if (algorithm !== 'pdq' || pdqThreshold <= 0) return null
    let best: BenignHit | null = null
    for (const [bhex, b] of this.pdq) {
      const d = hammingDistance(value, b.value)
      if (d > pdqThreshold || (best !== null && d >= best.distance)) continue
      const mark = pick(b.marks, trusted)
      if (mark !== null) best = { algorithm, value: bhex, distance: d, ...mark }
    }
    return best
  }

  /** Every benign entry, for the operator views. */
  list (): Array<{ ref: string, origin: string, reason: string }> {
    const out: Array<{ ref: string, origin: string, reason: string }> = []
    for (const [ref, marks] of this.byRef) for (const [origin, reason] of marks) out.push({ ref, origin, reason })
    return out
  }
}

function pick (marks: Map<string, string> | undefined, trusted: (origin: string) => boolean): BenignMark | null {
  if (marks === undefined) return null
  for (const [origin, reason] of marks) if (trusted(origin)) return { origin, reason }
  return null
}
