import { popcount32 } from '../hashing/hamming.js'
import { MIH_LINEAR_SHARE, MIH_REBUILD_MIN, MIH_TABLES } from './constants.js'
import type { ExactTable } from './exact-table.js'

const BUCKETS = 1 << 16
const WORDS = 8

// Where an entry id currently sits in the multi-index.
const ABSENT = -1
const IN_BASE = -2
const PENDING = -3
// values >= 0: the delta node holding the entry

/** Every 16-bit mask, grouped by its number of set bits: the neighbours at each radius. */
const MASKS_BY_WEIGHT: Uint16Array[] = (() => {
  const groups: number[][] = Array.from({ length: 17 }, () => [])
  for (let m = 0; m < BUCKETS; m++) groups[popcount32(m)].push(m)
  return groups.map(g => Uint16Array.from(g))
})()

/** Buckets probed per table for radius 0, 1, 2, …: sum of C(16, k) for k <= radius. */
const PROBES_UP_TO: number[] = MASKS_BY_WEIGHT.reduce<number[]>((acc, g, k) => { acc.push((k > 0 ? acc[k - 1] : 0) + g.length); return acc }, [])

export interface MultiIndexInit {
  /**
   * Entries added or removed since the last build that are tolerated (beyond an eighth of the
   * built index) before the next query rebuilds.
   * @default 4096
   */
  rebuildMin?: number
}

/** Matches found by one query: entry ids and their distances, in no particular order. */
export interface NearHits {
  ids: number[]
  distances: number[]
}

/**
 * Multi-index hashing (Norouzi, Punjani & Fleet, "Fast Search in Hamming Space with
 * Multi-Index Hashing", CVPR 2012) over the 256-bit entries of an `ExactTable`.
 *
 * The hash is cut into 16 substrings of 16 bits. Write r = q·16 + a (0 <= a < 16). If two
 * hashes differ in at most r bits, then one of substrings 0..a differs in at most q bits or
 * one of substrings a+1..15 differs in at most q-1 bits (otherwise the total would be at least
 * (a+1)(q+1) + (15-a)q = r+1). So probing, in table t, every bucket within that radius of the
 * query's substring finds every hash within r; each candidate is then checked on all 256 bits,
 * which makes the result exactly a linear scan's. A hit is reported from the first table whose
 * radius it falls in, so no per-query "seen" set is needed.
 *
 * Layout: a built part (per table, entry ids sorted by substring with 65,537 offsets: a bucket
 * is a contiguous run) plus a small delta of later additions (per table, linked lists through
 * typed arrays). Removals only mark the entry; the next rebuild drops it. Additions first queue
 * as pending and are indexed at the next query, so a bulk load costs one rebuild.
 */
export class MultiIndex {
  private readonly table: ExactTable
  private readonly rebuildMin: number

  private loc = new Int32Array(0)

  private baseOffsets: Uint32Array[] = []
  private baseIds: Int32Array[] = []
  private baseSize = 0
  private baseStale = 0

  private pending = new Int32Array(0)
  private pendingCount = 0

  private deltaHeads: Int32Array | null = null
  private deltaEntry = new Int32Array(0)
  private deltaNext = new Int32Array(0)
  private deltaCount = 0

  /** query substrings, as the table stores them */
  private readonly q16: Uint16Array
  private readonly radius = new Int32Array(MIH_TABLES)

  constructor (table: ExactTable, init: MultiIndexInit = {}) {
    if (table.valueBytes !== 32) throw new Error('multi-index needs 256-bit values')
    this.table = table
    this.rebuildMin = init.rebuildMin ?? MIH_REBUILD_MIN
    this.q16 = new Uint16Array(table.query.buffer)
  }

  /** Entries waiting to be indexed (pending or delta) and built entries since removed. */
  get dirty (): number {
    return this.pendingCount + this.deltaCount + this.baseStale
  }

  /** Entry `id` of the table now holds a value (new, or an id reused after a removal). */
  added (id: number): void {
    if (id >= this.loc.length) {
      const grown = new Int32Array(Math.max(1024, id + 1, Math.ceil(this.loc.length * 1.5))).fill(ABSENT)
      grown.set(this.loc)
      this.loc = grown
    }
    this.loc[id] = PENDING
    if (this.pendingCount === this.pending.length) {
      const grown = new Int32Array(Math.max(1024, this.pending.length * 2))
      grown.set(this.pending)
      this.pending = grown
    }
    this.pending[this.pendingCount++] = id
  }

  /** Entry `id` no longer holds a value. */
  removed (id: number): void {
    if (this.loc[id] === IN_BASE) this.baseStale++
    this.loc[id] = ABSENT
  }

  clear (): void {
    this.loc = new Int32Array(0)
    this.baseOffsets = []
    this.baseIds = []
    this.baseSize = 0
    this.baseStale = 0
    this.pending = new Int32Array(0)
    this.pendingCount = 0
    this.deltaHeads = null
    this.deltaEntry = new Int32Array(0)
    this.deltaNext = new Int32Array(0)
    this.deltaCount = 0
  }

  /**
   * Every live entry within `maxDistance` of the table's loaded query (`ExactTable.load`).
   * Exact: the same set a linear scan returns.
   */
  search (maxDistance: number): NearHits {
    const hits: NearHits = { ids: [], distances: [] }
    const live = this.table.size
    if (live === 0) return hits
    const q = Math.floor(maxDistance / MIH_TABLES)
    const a = maxDistance % MIH_TABLES
    let probes = 0
    for (let t = 0; t < MIH_TABLES; t++) {
      const r = t <= a ? q : q - 1
      this.radius[t] = Math.min(r, 16)
      if (r >= 0) probes += PROBES_UP_TO[Math.min(r, 16)]
    }
    // expected candidates if substrings were uniform; beyond a share of all, scanning wins
    if (probes * live / BUCKETS > live * MIH_LINEAR_SHARE) {
      this.scan(maxDistance, hits)
      return hits
    }
    this.prepare()
    if (this.baseSize > 0) this.searchBase(maxDistance, hits)
    if (this.deltaCount > 0) this.searchDelta(maxDistance, hits)
    return hits
  }

  /** Every live entry within `maxDistance`, by checking each one (the reference answer). */
  scan (maxDistance: number, hits: NearHits = { ids: [], distances: [] }): NearHits {
    const values = this.table.valueWords
    const query = this.table.query
    const limit = this.table.idLimit
    for (let id = 0; id < limit; id++) {
      if (!this.table.isLive(id)) continue
      const d = distanceWithin(query, values, id * WORDS, maxDistance)
      if (d <= maxDistance) {
        hits.ids.push(id)
        hits.distances.push(d)
      }
    }
    return hits
  }

  /** Indexes pending entries, rebuilding when the unbuilt part has grown too large. */
  prepare (): void {
    const built = this.baseSize - this.baseStale
    if (this.dirty > Math.max(this.rebuildMin, built / 8)) {
      this.rebuild()
      return
    }
    for (let i = 0; i < this.pendingCount; i++) {
      const id = this.pending[i]
      // an id queued twice (removed and re-added) is indexed once
      if (this.loc[id] === PENDING) this.insertDelta(id)
    }
    this.pendingCount = 0
  }

  /** Sorts every live entry into the built tables (a counting sort per table). */
  rebuild (): void {
    const table = this.table
    const limit = table.idLimit
    const halves = table.valueHalves
    const size = table.size
    if (this.loc.length < limit) {
      const grown = new Int32Array(limit).fill(ABSENT)
      grown.set(this.loc)
      this.loc = grown
    }
    const liveIds = new Int32Array(size)
    let n = 0
    for (let id = 0; id < limit; id++) {
      if (table.isLive(id)) {
        liveIds[n++] = id
        this.loc[id] = IN_BASE
      } else {
        this.loc[id] = ABSENT
      }
    }
    const offsets: Uint32Array[] = []
    const ids: Int32Array[] = []
    const cursor = new Uint32Array(BUCKETS)
    for (let t = 0; t < MIH_TABLES; t++) {
      // reuse last build's arrays when they fit, so steady rebuilds do not churn memory
      const off = this.baseOffsets[t]?.fill(0) ?? new Uint32Array(BUCKETS + 1)
      const old = this.baseIds[t]
      const out = old !== undefined && old.buffer.byteLength >= n * 4 && old.buffer.byteLength <= n * 6
        ? new Int32Array(old.buffer, 0, n)
        : new Int32Array(n)
      for (let i = 0; i < n; i++) off[halves[liveIds[i] * MIH_TABLES + t] + 1]++
      for (let k = 0; k < BUCKETS; k++) off[k + 1] += off[k]
      cursor.set(off.subarray(0, BUCKETS))
      for (let i = 0; i < n; i++) {
        const id = liveIds[i]
        out[cursor[halves[id * MIH_TABLES + t]]++] = id
      }
      offsets.push(off)
      ids.push(out)
    }
    this.baseOffsets = offsets
    this.baseIds = ids
    this.baseSize = n
    this.baseStale = 0
    this.pendingCount = 0
    this.deltaCount = 0
    this.deltaHeads?.fill(-1)
    if (this.pending.length > 4096) this.pending = new Int32Array(0)
  }

  private insertDelta (id: number): void {
    if (this.deltaHeads === null) this.deltaHeads = new Int32Array(MIH_TABLES * BUCKETS).fill(-1)
    if (this.deltaCount === this.deltaEntry.length) {
      const capacity = Math.max(256, this.deltaCount * 2)
      const entry = new Int32Array(capacity)
      entry.set(this.deltaEntry)
      const next = new Int32Array(capacity * MIH_TABLES)
      next.set(this.deltaNext)
      this.deltaEntry = entry
      this.deltaNext = next
    }
    const node = this.deltaCount++
    const halves = this.table.valueHalves
    const heads = this.deltaHeads
    this.deltaEntry[node] = id
    for (let t = 0; t < MIH_TABLES; t++) {
      const bucket = t * BUCKETS + halves[id * MIH_TABLES + t]
      this.deltaNext[node * MIH_TABLES + t] = heads[bucket]
      heads[bucket] = node
    }
    this.loc[id] = node
  }

  private searchBase (maxDistance: number, hits: NearHits): void {
    const values = this.table.valueWords
    const halves = this.table.valueHalves
    const query = this.table.query
    const q16 = this.q16
    const loc = this.loc
    for (let t = 0; t < MIH_TABLES; t++) {
      const radius = this.radius[t]
      if (radius < 0) continue
      const off = this.baseOffsets[t]
      const ids = this.baseIds[t]
      const sub = q16[t]
      for (let w = 0; w <= radius; w++) {
        const masks = MASKS_BY_WEIGHT[w]
        for (let m = 0; m < masks.length; m++) {
          const key = sub ^ masks[m]
          const end = off[key + 1]
          for (let i = off[key]; i < end; i++) {
            const id = ids[i]
            if (loc[id] !== IN_BASE) continue
            const d = distanceWithin(query, values, id * WORDS, maxDistance)
            if (d > maxDistance || this.foundEarlier(halves, id, t)) continue
            hits.ids.push(id)
            hits.distances.push(d)
          }
        }
      }
    }
  }

  private searchDelta (maxDistance: number, hits: NearHits): void {
    const values = this.table.valueWords
    const halves = this.table.valueHalves
    const query = this.table.query
    const heads = this.deltaHeads as Int32Array
    const entry = this.deltaEntry
    const next = this.deltaNext
    const loc = this.loc
    for (let t = 0; t < MIH_TABLES; t++) {
      const radius = this.radius[t]
      if (radius < 0) continue
      const sub = this.q16[t]
      for (let w = 0; w <= radius; w++) {
        const masks = MASKS_BY_WEIGHT[w]
        for (let m = 0; m < masks.length; m++) {
          for (let node = heads[t * BUCKETS + (sub ^ masks[m])]; node !== -1; node = next[node * MIH_TABLES + t]) {
            const id = entry[node]
            if (loc[id] !== node) continue
            const d = distanceWithin(query, values, id * WORDS, maxDistance)
            if (d > maxDistance || this.foundEarlier(halves, id, t)) continue
            hits.ids.push(id)
            hits.distances.push(d)
          }
        }
      }
    }
  }

  /** Whether a table before `t` also probes entry `id`'s substring (it reported the hit). */
  private foundEarlier (halves: Uint16Array, id: number, t: number): boolean {
    const base = id * MIH_TABLES
    for (let s = 0; s < t; s++) {
      if (popcount32(this.q16[s] ^ halves[base + s]) <= this.radius[s]) return true
    }
    return false
  }
}

/** Hamming distance of 8 words, stopping early once it exceeds `max` (returns a value > max). */
function distanceWithin (query: Uint32Array, values: Uint32Array, offset: number, max: number): number {
  let d = 0
  for (let w = 0; w < WORDS; w++) {
    d += popcount32(query[w] ^ values[offset + w])
    if (d > max) return d
  }
  return d
}
