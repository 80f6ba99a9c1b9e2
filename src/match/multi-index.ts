import { hammingWithin256, popcount32 } from '../hashing/hamming.js'
import { MIH_DELTA_SUBSTRING_BITS, MIH_LINEAR_SHARE, MIH_REBUILD_MIN } from './constants.js'
import type { ExactTable } from './exact-table.js'
import { buildBucketTable, buildScratch, NO_ID, type BucketTable } from './bucket-table.js'
import { evenPartition, masksOfWeight, partitionFor, probesWithin, radii, substring } from './hash-partition.js'
import type { Partition } from './hash-partition.js'

// Where an entry id currently sits in the multi-index.
const ABSENT = -1
const IN_BASE = -2
const PENDING = -3
// values >= 0: the delta node holding the entry

/** candidate ids the per-query scratch keeps between queries (a uniform query needs ~1,500) */
const KEEP_CANDIDATES = 1 << 16

const DELTA: Partition = evenPartition(MIH_DELTA_SUBSTRING_BITS)
const DELTA_TABLES = DELTA.widths.length
const DELTA_BUCKETS = 1 << MIH_DELTA_SUBSTRING_BITS

export interface MultiIndexInit {
  /**
   * Entries added or removed since the last build that are tolerated (beyond an eighth of the
   * built index) before the next query rebuilds.
   * @default 4096
   */
  rebuildMin?: number
  /**
   * Bits per substring of the built part, instead of choosing by entry count.
   * @default round(log2(entries)), within 16..22
   */
  substringBits?: number
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
 * The hash is cut into m substrings, one table each. By pigeonhole (see `radii`), probing in
 * each table the buckets within a small radius of the query's substring finds every stored
 * hash within the asked distance; each candidate is then checked on all 256 bits, so the
 * result is exactly a linear scan's. A hash found by several tables is reported once.
 *
 * Two parts, each entry in exactly one:
 * - built: per table, a directly addressed bucket of entry ids per substring value
 *   (`BucketTable`); substrings sized to the entry count (`partitionFor`);
 * - delta: later additions in per-table linked lists through typed arrays (16-bit substrings).
 * Removals only mark the entry; the next rebuild drops it. Additions queue as pending and are
 * indexed at the next query, so a bulk load costs one rebuild, not one per addition.
 */
export class MultiIndex {
  private readonly table: ExactTable
  private readonly rebuildMin: number
  private readonly substringBits: number | undefined

  private loc = new Int32Array(0)

  private base: Partition = evenPartition(MIH_DELTA_SUBSTRING_BITS)
  private baseTables: BucketTable[] = []
  private baseSize = 0
  private baseStale = 0
  private baseRadius = new Int32Array(0)

  private pending = new Int32Array(0)
  private pendingCount = 0

  private deltaHeads: Int32Array | null = null
  private deltaEntry = new Int32Array(0)
  private deltaNext = new Int32Array(0)
  private deltaCount = 0
  private readonly deltaRadius = new Int32Array(DELTA_TABLES)

  /** the query's substrings in the current partition */
  private querySubs = new Int32Array(32)
  /** per-query scratch, reused: the two slots of each bucket probed in one table, candidate ids */
  private probeFirst = new Int32Array(0)
  private probeSecond = new Int32Array(0)
  private candidates = new Int32Array(KEEP_CANDIDATES)
  /** kept so the touching loads in `searchBase` are not optimised away */
  private touched = 0

  constructor (table: ExactTable, init: MultiIndexInit = {}) {
    if (table.valueBytes !== 32) throw new Error('multi-index needs 256-bit values')
    this.table = table
    this.rebuildMin = init.rebuildMin ?? MIH_REBUILD_MIN
    this.substringBits = init.substringBits
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
    this.baseTables = []
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
    this.prepare()
    this.baseRadius = this.baseRadius.length === this.base.widths.length ? this.baseRadius : new Int32Array(this.base.widths.length)
    radii(this.base, maxDistance, this.baseRadius)
    radii(DELTA, maxDistance, this.deltaRadius)
    // expected candidates if substrings were uniform; beyond a share of all, scanning wins
    const expected = this.expectedCandidates(this.base, this.baseRadius, this.baseSize) +
      this.expectedCandidates(DELTA, this.deltaRadius, this.deltaCount)
    if (expected > live * MIH_LINEAR_SHARE) return this.scan(maxDistance, hits)
    if (this.baseSize > 0) this.searchBase(maxDistance, hits)
    if (this.deltaCount > 0) this.searchDelta(maxDistance, hits)
    return dedupe(hits)
  }

  /** Every live entry within `maxDistance`, by checking each one (the reference answer). */
  scan (maxDistance: number, hits: NearHits = { ids: [], distances: [] }): NearHits {
    const values = this.table.recordWords
    const stride = this.table.stride
    const query = this.table.query
    const limit = this.table.idLimit
    for (let id = 0; id < limit; id++) {
      if (!this.table.isLive(id)) continue
      const d = hammingWithin256(query, values, id * stride, maxDistance)
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

  /** Sorts every live entry into the built tables (`buildBucketTable`). */
  rebuild (): void {
    const table = this.table
    const limit = table.idLimit
    const values = table.recordWords
    const stride = table.stride
    if (this.loc.length < limit) {
      const grown = new Int32Array(limit).fill(ABSENT)
      grown.set(this.loc)
      this.loc = grown
    }
    const liveIds = new Int32Array(table.size)
    let n = 0
    for (let id = 0; id < limit; id++) {
      if (table.isLive(id)) {
        liveIds[n++] = id
        this.loc[id] = IN_BASE
      } else {
        this.loc[id] = ABSENT
      }
    }
    this.pendingCount = 0
    this.deltaCount = 0
    this.deltaHeads?.fill(-1)
    if (this.pending.length > 4096) this.pending = new Int32Array(0)
    this.baseStale = 0
    this.baseSize = n
    if (n === 0) {
      // nothing to index: do not hold megabytes of empty buckets
      this.baseTables = []
      return
    }
    const partition = this.substringBits === undefined ? partitionFor(n) : evenPartition(this.substringBits)
    const sameShape = partition.widths.join() === this.base.widths.join()
    const scratch = buildScratch(n)
    const tables = partition.widths.map((width, t) => {
      const start = partition.starts[t]
      for (let i = 0; i < n; i++) scratch.keys[i] = substring(values, liveIds[i] * stride, start, width)
      return buildBucketTable(liveIds, width, scratch, sameShape ? this.baseTables[t] : undefined)
    })
    this.base = partition
    this.baseTables = tables
  }

  private expectedCandidates (partition: Partition, radius: Int32Array, size: number): number {
    if (size === 0) return 0
    let expected = 0
    partition.widths.forEach((width, t) => {
      if (radius[t] >= 0) expected += probesWithin(width, radius[t]) * size / 2 ** width
    })
    return expected
  }

  private insertDelta (id: number): void {
    if (this.deltaHeads === null) this.deltaHeads = new Int32Array(DELTA_TABLES * DELTA_BUCKETS).fill(-1)
    if (this.deltaCount === this.deltaEntry.length) {
      const capacity = Math.max(256, this.deltaCount * 2)
      const entry = new Int32Array(capacity)
      entry.set(this.deltaEntry)
      const next = new Int32Array(capacity * DELTA_TABLES)
      next.set(this.deltaNext)
      this.deltaEntry = entry
      this.deltaNext = next
    }
    const node = this.deltaCount++
    const values = this.table.recordWords
    const stride = this.table.stride
    const heads = this.deltaHeads
    this.deltaEntry[node] = id
    for (let t = 0; t < DELTA_TABLES; t++) {
      const bucket = t * DELTA_BUCKETS + substring(values, id * stride, DELTA.starts[t], DELTA.widths[t])
      this.deltaNext[node * DELTA_TABLES + t] = heads[bucket]
      heads[bucket] = node
    }
    this.loc[id] = node
  }

  private loadQuerySubstrings (partition: Partition): void {
    const query = this.table.query
    for (let t = 0; t < partition.widths.length; t++) this.querySubs[t] = substring(query, 0, partition.starts[t], partition.widths[t])
  }

  /**
   * Probes the built tables in phases so the CPU can overlap their cache misses: every bucket
   * of a table first (independent loads), then its ids, then the candidates' records, then
   * one branch-free filter over every candidate on its first 128 bits (one cache line of its
   * record; a random hash passes with p < 1e-8), and only then the full distance. Probing,
   * reading and checking a bucket at a time waits for each miss in turn (measured at 1M
   * random hashes, distance 31: ~475 against ~290 µs of CPU a query). A hit found by two
   * tables is reported once (`dedupe`).
   */
  private searchBase (maxDistance: number, hits: NearHits): void {
    const values = this.table.recordWords
    const stride = this.table.stride
    const query = this.table.query
    const loc = this.loc
    const partition = this.base
    const radius = this.baseRadius
    this.loadQuerySubstrings(partition)
    let probes = 0
    for (let t = 0; t < partition.widths.length; t++) if (radius[t] >= 0) probes = Math.max(probes, probesWithin(partition.widths[t], radius[t]))
    if (this.probeFirst.length < probes) {
      this.probeFirst = new Int32Array(probes)
      this.probeSecond = new Int32Array(probes)
    }
    const first = this.probeFirst
    const second = this.probeSecond
    let cand = this.candidates
    let count = 0
    for (let t = 0; t < partition.widths.length; t++) {
      if (radius[t] < 0) continue
      const { slots, spill } = this.baseTables[t]
      const sub = this.querySubs[t]
      let r = 0
      for (let w = 0; w <= radius[t]; w++) {
        const masks = masksOfWeight(partition.widths[t], w)
        for (let m = 0; m < masks.length; m++) {
          const at = 2 * (sub ^ masks[m])
          first[r] = slots[at]
          second[r++] = slots[at + 1]
        }
      }
      let needed = count
      for (let k = 0; k < r; k++) needed += first[k] >= 0 ? 2 : first[k] === NO_ID ? 0 : second[k]
      if (needed > cand.length) {
        const grown = new Int32Array(Math.max(needed, cand.length * 2))
        grown.set(cand.subarray(0, count))
        cand = this.candidates = grown
      }
      for (let k = 0; k < r; k++) {
        const a = first[k]
        if (a >= 0) {
          cand[count++] = a
          if (second[k] >= 0) cand[count++] = second[k]
        } else if (a !== NO_ID) {
          for (let i = -2 - a, end = i + second[k]; i < end; i++) cand[count++] = spill[i]
        }
      }
    }
    // touch each candidate's record first: a loop of bare loads keeps many misses in flight,
    // where the popcounts below would fill the CPU's window with arithmetic (~30% faster at 1M)
    let touched = 0
    for (let k = 0; k < count; k++) touched ^= values[cand[k] * stride]
    this.touched = touched
    const q0 = query[0]
    const q1 = query[1]
    const q2 = query[2]
    const q3 = query[3]
    let kept = 0
    for (let k = 0; k < count; k++) {
      const id = cand[k]
      const o = id * stride
      const d = popcount32(q0 ^ values[o]) + popcount32(q1 ^ values[o + 1]) + popcount32(q2 ^ values[o + 2]) + popcount32(q3 ^ values[o + 3])
      if (d <= maxDistance) cand[kept++] = id
    }
    for (let k = 0; k < kept; k++) {
      const id = cand[k]
      const d = hammingWithin256(query, values, id * stride, maxDistance)
      // checked only for hits: a removed entry's words stay in the arena until its id is
      // reused, and a reused id is reported from the delta, so neither counts here
      if (d > maxDistance || loc[id] !== IN_BASE) continue
      hits.ids.push(id)
      hits.distances.push(d)
    }
    // a query into a dense cluster may need millions of candidates once: do not keep them
    if (cand.length > KEEP_CANDIDATES) this.candidates = new Int32Array(KEEP_CANDIDATES)
  }

  private searchDelta (maxDistance: number, hits: NearHits): void {
    const values = this.table.recordWords
    const stride = this.table.stride
    const query = this.table.query
    const heads = this.deltaHeads as Int32Array
    const entry = this.deltaEntry
    const next = this.deltaNext
    const loc = this.loc
    const radius = this.deltaRadius
    this.loadQuerySubstrings(DELTA)
    for (let t = 0; t < DELTA_TABLES; t++) {
      if (radius[t] < 0) continue
      const sub = this.querySubs[t]
      for (let w = 0; w <= radius[t]; w++) {
        const masks = masksOfWeight(DELTA.widths[t], w)
        for (let m = 0; m < masks.length; m++) {
          for (let node = heads[t * DELTA_BUCKETS + (sub ^ masks[m])]; node !== -1; node = next[node * DELTA_TABLES + t]) {
            const id = entry[node]
            const d = hammingWithin256(query, values, id * stride, maxDistance)
            if (d > maxDistance || loc[id] !== node) continue
            hits.ids.push(id)
            hits.distances.push(d)
          }
        }
      }
    }
  }


}

/** Each id once (several tables can find one hash): hits are few, so sorting beats a "seen" set. */
function dedupe (hits: NearHits): NearHits {
  if (hits.ids.length < 2) return hits
  const order = hits.ids.map((_, i) => i).sort((a, b) => hits.ids[a] - hits.ids[b])
  const out: NearHits = { ids: [], distances: [] }
  for (const i of order) {
    if (out.ids.length > 0 && out.ids[out.ids.length - 1] === hits.ids[i]) continue
    out.ids.push(hits.ids[i])
    out.distances.push(hits.distances[i])
  }
  return out
}
