import { hfError, ErrorCodes } from '../errors.js'
import { ALGORITHMS, VALUE_BYTES, PERCEPTUAL } from '../log/hash-value.js'
import type { AlgorithmName } from '../log/hash-value.js'
import { DEFAULT_BLOCKHASH_THRESHOLD, DEFAULT_PDQ_THRESHOLD, MAX_NEAR_DISTANCE } from './constants.js'
import { ExactTable, RefRemoval } from './exact-table.js'
import type { OriginRef } from './exact-table.js'
import { MultiIndex } from './multi-index.js'
import type { NearHits } from './multi-index.js'
import { OriginTable } from './origin-table.js'

export type { OriginRef } from './exact-table.js'

/** The algorithms that support near-match. */
export type PerceptualAlgorithm = 'pdq' | 'blockhash'

/** One stored value within the asked distance of the query. */
export interface NearMatch {
  value: Uint8Array
  distance: number
  /** enabled origins vouching for the value, in the order they were added */
  origins: OriginRef[]
}

export interface AlgorithmCounts {
  /** distinct values */
  values: number
  /** (value, origin) references: a value vouched for by two hotlines counts twice */
  refs: number
}

export interface MatchIndexInit {
  /**
   * Near-match threshold for PDQ when `near` is called without one.
   * @default 31
   */
  pdqThreshold?: number
  /**
   * Near-match threshold for 256-bit blockhash when `near` is called without one.
   * @default 10
   */
  blockhashThreshold?: number
  /**
   * Perceptual hashes added or removed since the multi-index was last built that are kept in
   * its small incremental part (beyond an eighth of the built part) before a query rebuilds.
   * @default 4096
   */
  nearRebuildMin?: number
  /**
   * Bits per multi-index substring (8..22), fixed instead of chosen from the number of
   * perceptual hashes at each build. For tuning and tests; results are the same either way.
   * @default round(log2(hashes)), within 16..22
   */
  nearSubstringBits?: number
}

/**
 * In-memory index of every hash the node holds, fed by the store as batches and retractions
 * arrive (and rebuilt from it on start). Knows nothing of the network or of LevelDB.
 */
export interface MatchIndex {
  /**
   * `origin` vouches for `value` in its batch `seq`. Returns false if it already did (its
   * reference then takes this newer `seq`).
   */
  add: (origin: string, algorithm: AlgorithmName, value: Uint8Array, seq: number) => boolean
  /**
   * `add` of the value at `bytes[offset .. offset + length)`, without a view of its own: the
   * index load at start adds millions of values straight from the stored batches.
   */
  addAt: (origin: string, algorithm: AlgorithmName, bytes: Uint8Array, offset: number, length: number, seq: number) => boolean
  /** `origin` retracted `value`. Returns false if it did not vouch for it. */
  remove: (origin: string, algorithm: AlgorithmName, value: Uint8Array) => boolean
  /** Enabled origins vouching for exactly `value`; empty when none. */
  lookup: (algorithm: AlgorithmName, value: Uint8Array) => OriginRef[]
  /**
   * Stored values within Hamming distance `maxDistance` (inclusive; default: the algorithm's
   * threshold) that an enabled origin vouches for, nearest first (ties by value bytes).
   * Exactly the values a linear scan would return.
   */
  near: (algorithm: PerceptualAlgorithm, value: Uint8Array, maxDistance?: number) => NearMatch[]
  /**
   * Kill switch: a disabled origin's hashes stay in the index but leave every result at once;
   * enabling restores them. Survives `clear`.
   */
  setOriginEnabled: (origin: string, enabled: boolean) => void
  isOriginEnabled: (origin: string) => boolean
  /** Distinct values held, for one algorithm or all. Counts disabled origins' values too. */
  size: (algorithm?: AlgorithmName) => number
  counts: () => Record<AlgorithmName, AlgorithmCounts>
  /** Builds the near-match structures now (after a bulk load) instead of at the next query. */
  optimize: () => void
  /** Drops every entry (origins' enabled state is kept). */
  clear: () => void
}

const CRYPTOGRAPHIC: ReadonlySet<AlgorithmName> = new Set(['md5', 'sha1', 'sha256'])

class InMemoryMatchIndex implements MatchIndex {
  private readonly origins = new OriginTable()
  private readonly tables = new Map<AlgorithmName, ExactTable>()
  private readonly nearIndexes = new Map<AlgorithmName, MultiIndex>()
  private readonly thresholds: Record<PerceptualAlgorithm, number>
  private lastOrigin = ''
  private lastOriginId = -1

  constructor (init: MatchIndexInit) {
    this.thresholds = {
      pdq: checkDistance(init.pdqThreshold ?? DEFAULT_PDQ_THRESHOLD),
      blockhash: checkDistance(init.blockhashThreshold ?? DEFAULT_BLOCKHASH_THRESHOLD)
    }
    const substringBits = init.nearSubstringBits
    if (substringBits !== undefined && !(Number.isInteger(substringBits) && substringBits >= 8 && substringBits <= 22)) {
      throw hfError(ErrorCodes.INVALID_ARGUMENT, `nearSubstringBits must be an integer from 8 to 22, got ${String(substringBits)}`)
    }
    if (init.nearRebuildMin !== undefined && !(Number.isSafeInteger(init.nearRebuildMin) && init.nearRebuildMin >= 0)) {
      throw hfError(ErrorCodes.INVALID_ARGUMENT, `nearRebuildMin must be a non-negative integer, got ${String(init.nearRebuildMin)}`)
    }
    for (const algorithm of ALGORITHMS) {
      const table = new ExactTable(VALUE_BYTES[algorithm], CRYPTOGRAPHIC.has(algorithm))
      this.tables.set(algorithm, table)
      if (PERCEPTUAL.has(algorithm)) this.nearIndexes.set(algorithm, new MultiIndex(table, { rebuildMin: init.nearRebuildMin, substringBits }))
    }
  }

  add (origin: string, algorithm: AlgorithmName, value: Uint8Array, seq: number): boolean {
    return this.addLoaded(this.loaded(algorithm, value), origin, algorithm, seq)
  }

  addAt (origin: string, algorithm: AlgorithmName, bytes: Uint8Array, offset: number, length: number, seq: number): boolean {
    const table = this.table(algorithm)
    if (!(bytes instanceof Uint8Array) || length !== table.valueBytes || !Number.isSafeInteger(offset) || offset < 0 || offset + length > bytes.length) {
      throw hfError(ErrorCodes.INVALID_HASH, `a ${algorithm} value has ${table.valueBytes} bytes, got ${length}`, { algorithm })
    }
    table.load(bytes, offset)
    return this.addLoaded(table, origin, algorithm, seq)
  }

  /** Adds the value loaded into `table` (its query). */
  private addLoaded (table: ExactTable, origin: string, algorithm: AlgorithmName, seq: number): boolean {
    if (!Number.isSafeInteger(seq) || seq < 0) throw hfError(ErrorCodes.INVALID_ARGUMENT, `batch seq must be a non-negative integer, got ${String(seq)}`)
    const originId = this.originId(origin)
    const id = table.insert()
    if (table.created) this.nearIndexes.get(algorithm)?.added(id)
    return table.addRef(id, originId, seq)
  }

  remove (origin: string, algorithm: AlgorithmName, value: Uint8Array): boolean {
    const table = this.loaded(algorithm, value)
    const originId = this.origins.find(origin)
    if (originId === undefined) return false
    const id = table.find()
    if (id < 0) return false
    const outcome = table.removeRef(id, originId)
    if (outcome === RefRemoval.EMPTIED) this.nearIndexes.get(algorithm)?.removed(id)
    return outcome !== RefRemoval.NONE
  }

  lookup (algorithm: AlgorithmName, value: Uint8Array): OriginRef[] {
    const table = this.loaded(algorithm, value)
    const id = table.find()
    return id < 0 ? [] : table.refsOf(id, this.origins)
  }

  near (algorithm: PerceptualAlgorithm, value: Uint8Array, maxDistance?: number): NearMatch[] {
    const index = this.nearIndexes.get(algorithm)
    if (index === undefined) {
      throw hfError(ErrorCodes.INVALID_ARGUMENT, `near-match needs a perceptual algorithm (${[...PERCEPTUAL].join(', ')}), got "${String(algorithm)}"`)
    }
    const table = this.loaded(algorithm, value)
    const limit = checkDistance(maxDistance ?? this.thresholds[algorithm])
    return this.results(table, index.search(limit))
  }

  setOriginEnabled (origin: string, enabled: boolean): void {
    this.origins.setEnabled(origin, enabled)
  }

  isOriginEnabled (origin: string): boolean {
    const id = this.origins.find(origin)
    return id === undefined || this.origins.isEnabled(id)
  }

  size (algorithm?: AlgorithmName): number {
    if (algorithm !== undefined) return this.table(algorithm).size
    let total = 0
    for (const table of this.tables.values()) total += table.size
    return total
  }

  counts (): Record<AlgorithmName, AlgorithmCounts> {
    const out: Partial<Record<AlgorithmName, AlgorithmCounts>> = {}
    for (const [algorithm, table] of this.tables) out[algorithm] = { values: table.size, refs: table.refCount }
    return out as Record<AlgorithmName, AlgorithmCounts>
  }

  optimize (): void {
    for (const index of this.nearIndexes.values()) index.rebuild()
  }

  clear (): void {
    for (const table of this.tables.values()) table.reset()
    for (const index of this.nearIndexes.values()) index.clear()
  }

  /** Near hits as results: enabled origins only, nearest first, ties by value bytes. */
  private results (table: ExactTable, hits: NearHits): NearMatch[] {
    const out: NearMatch[] = []
    for (let i = 0; i < hits.ids.length; i++) {
      const origins = table.refsOf(hits.ids[i], this.origins)
      if (origins.length > 0) out.push({ value: table.valueOf(hits.ids[i]), distance: hits.distances[i], origins })
    }
    return out.sort((x, y) => x.distance - y.distance || Buffer.compare(x.value, y.value))
  }

  private originId (origin: string): number {
    if (origin !== this.lastOrigin || this.lastOriginId < 0) {
      this.lastOriginId = this.origins.idOf(origin)
      this.lastOrigin = origin
    }
    return this.lastOriginId
  }

  private table (algorithm: AlgorithmName): ExactTable {
    const table = this.tables.get(algorithm)
    if (table === undefined) throw hfError(ErrorCodes.INVALID_HASH, `unknown algorithm "${String(algorithm)}" (expected one of ${ALGORITHMS.join(', ')})`)
    return table
  }

  /** The algorithm's table with `value` validated and loaded as its query. */
  private loaded (algorithm: AlgorithmName, value: Uint8Array): ExactTable {
    const table = this.table(algorithm)
    if (!(value instanceof Uint8Array) || value.length !== table.valueBytes) {
      const got = value instanceof Uint8Array ? `${value.length} bytes` : typeof value
      throw hfError(ErrorCodes.INVALID_HASH, `a ${algorithm} value has ${table.valueBytes} bytes, got ${got}`, { algorithm })
    }
    table.load(value)
    return table
  }
}

function checkDistance (distance: number): number {
  if (!Number.isInteger(distance) || distance < 0 || distance > MAX_NEAR_DISTANCE) {
    throw hfError(ErrorCodes.INVALID_ARGUMENT, `near-match distance must be an integer from 0 to ${MAX_NEAR_DISTANCE}, got ${String(distance)}`)
  }
  return distance
}

/** A new, empty match index. */
export function createMatchIndex (init: MatchIndexInit = {}): MatchIndex {
  return new InMemoryMatchIndex(init)
}
