import { EXACT_INITIAL_ENTRIES, EXACT_MAX_LOAD } from './constants.js'
import type { OriginTable } from './origin-table.js'

/** A reference from an index entry to the batch of the origin that vouches for it. */
export interface OriginRef {
  /** base58 peer ID of the hotline */
  origin: string
  /** the origin's batch that added (or last re-added) the value */
  seq: number
}

/** What removing an origin's reference did to the entry. */
export const RefRemoval = { NONE: 0, REMOVED: 1, EMPTIED: 2 } as const
export type RefRemoval = typeof RefRemoval[keyof typeof RefRemoval]

const EMPTY = -1

/**
 * Exact set of hash values of one algorithm, each with the origins vouching for it.
 *
 * A JS Map with a million string keys and an object per entry costs ~200 bytes per entry and
 * keeps the GC busy; here everything lives in typed arrays (~50 bytes per SHA-256 entry):
 * - an arena of values as 32-bit words, indexed by entry id (ids of removed values are reused);
 * - an open-addressing slot array (linear probing, backward-shift deletion) of entry ids,
 *   addressed by a hash of the value and verified against the stored words;
 * - the first origin reference inline per entry (most values have one origin), further
 *   origins in a linked overflow pool.
 *
 * Values are stored as little-endian words whatever the platform (`load`, `valueOf`); a
 * Hamming distance does not care about byte order as long as both sides are loaded alike.
 */
export class ExactTable {
  readonly valueBytes: number
  readonly words: number
  private readonly keyWords: number

  private capacity = 0
  private highWater = 0
  private live = 0
  private refs = 0

  private values = new Uint32Array(0)
  private firstOrigin = new Int32Array(0)
  private firstSeq = new Float64Array(0)
  private moreHead = new Int32Array(0)
  private freeIds = new Int32Array(0)
  private freeCount = 0

  private slots = new Int32Array(0)
  private slotMask = 0

  private moreOrigin = new Int32Array(0)
  private moreSeq = new Float64Array(0)
  private moreNext = new Int32Array(0)
  private moreFree = EMPTY
  private moreUsed = 0

  /** The value being looked up, as words (reused: no allocation per lookup). */
  readonly query: Uint32Array

  /**
   * @param valueBytes - bytes per value (a multiple of 4)
   * @param uniform - values are cryptographic digests: their first 8 bytes are already a good
   * hash key. Perceptual hashes and PhotoDNA are not uniform, so all their words are mixed.
   */
  constructor (valueBytes: number, uniform: boolean) {
    this.valueBytes = valueBytes
    this.words = valueBytes / 4
    this.keyWords = uniform ? 2 : this.words
    this.query = new Uint32Array(this.words)
    this.reset()
  }

  reset (): void {
    this.capacity = 0
    this.highWater = 0
    this.live = 0
    this.refs = 0
    this.freeCount = 0
    this.moreFree = EMPTY
    this.moreUsed = 0
    this.moreOrigin = new Int32Array(0)
    this.moreSeq = new Float64Array(0)
    this.moreNext = new Int32Array(0)
    this.growEntries(EXACT_INITIAL_ENTRIES)
    this.slots = new Int32Array(2 * EXACT_INITIAL_ENTRIES).fill(EMPTY)
    this.slotMask = this.slots.length - 1
  }

  /** Distinct values held. */
  get size (): number { return this.live }
  /** (value, origin) references held. */
  get refCount (): number { return this.refs }
  /** Entry ids below this have been handed out at least once. */
  get idLimit (): number { return this.highWater }
  /** The arena of values, `words` per entry id; replaced when the table grows. */
  get valueWords (): Uint32Array { return this.values }

  isLive (id: number): boolean {
    return this.firstOrigin[id] !== EMPTY
  }

  /** Copies `value` into `query`; call before `find`, `insert`, or a distance scan. */
  load (value: Uint8Array): void {
    // by hand: TypedArray#set costs more than the whole probe for a 32-byte value
    const q = this.query
    for (let k = 0, i = 0; k < q.length; k++, i += 4) {
      q[k] = value[i] | (value[i + 1] << 8) | (value[i + 2] << 16) | (value[i + 3] << 24)
    }
  }

  /** The entry id of the loaded value, or -1. */
  find (): number {
    const q = this.query
    const w = this.words
    const values = this.values
    const slots = this.slots
    const mask = this.slotMask
    let i = this.hashQuery() & mask
    for (;;) {
      const id = slots[i]
      if (id === EMPTY) return EMPTY
      const base = id * w
      let k = 0
      while (k < w && values[base + k] === q[k]) k++
      if (k === w) return id
      i = (i + 1) & mask
    }
  }

  /** Whether the last `insert` created its entry. */
  created = false

  /** The entry id of the loaded value, creating the entry (with no origins) if new. */
  insert (): number {
    const found = this.find()
    this.created = found === EMPTY
    if (found !== EMPTY) return found
    if ((this.live + 1) > this.slots.length * EXACT_MAX_LOAD) this.growSlots()
    let id: number
    if (this.freeCount > 0) {
      id = this.freeIds[--this.freeCount]
    } else {
      if (this.highWater === this.capacity) this.growEntries(Math.ceil(this.capacity * 1.5))
      id = this.highWater++
    }
    this.values.set(this.query, id * this.words)
    this.placeSlot(id, this.hashQuery())
    this.live++
    return id
  }

  /**
   * Records that `origin` vouches for entry `id` in batch `seq`. Returns false when the origin
   * already did: its reference then takes the newer `seq` (re-added in a later batch).
   */
  addRef (id: number, origin: number, seq: number): boolean {
    if (this.firstOrigin[id] === EMPTY) {
      this.firstOrigin[id] = origin
      this.firstSeq[id] = seq
      this.refs++
      return true
    }
    if (this.firstOrigin[id] === origin) {
      this.firstSeq[id] = seq
      return false
    }
    let tail = EMPTY
    for (let n = this.moreHead[id]; n !== EMPTY; n = this.moreNext[n]) {
      if (this.moreOrigin[n] === origin) {
        this.moreSeq[n] = seq
        return false
      }
      tail = n
    }
    const node = this.allocMore()
    this.moreOrigin[node] = origin
    this.moreSeq[node] = seq
    this.moreNext[node] = EMPTY
    if (tail === EMPTY) this.moreHead[id] = node
    else this.moreNext[tail] = node
    this.refs++
    return true
  }

  /** Drops `origin`'s reference to entry `id`; an entry left without origins is deleted. */
  removeRef (id: number, origin: number): RefRemoval {
    if (this.firstOrigin[id] === origin) {
      const next = this.moreHead[id]
      this.refs--
      if (next === EMPTY) {
        this.deleteEntry(id)
        return RefRemoval.EMPTIED
      }
      this.firstOrigin[id] = this.moreOrigin[next]
      this.firstSeq[id] = this.moreSeq[next]
      this.moreHead[id] = this.moreNext[next]
      this.freeMore(next)
      return RefRemoval.REMOVED
    }
    let prev = EMPTY
    for (let n = this.moreHead[id]; n !== EMPTY; prev = n, n = this.moreNext[n]) {
      if (this.moreOrigin[n] !== origin) continue
      if (prev === EMPTY) this.moreHead[id] = this.moreNext[n]
      else this.moreNext[prev] = this.moreNext[n]
      this.freeMore(n)
      this.refs--
      return RefRemoval.REMOVED
    }
    return RefRemoval.NONE
  }

  /** The enabled origins vouching for entry `id`, in the order they were added. */
  refsOf (id: number, origins: OriginTable): OriginRef[] {
    const out: OriginRef[] = []
    const first = this.firstOrigin[id]
    if (first === EMPTY) return out
    if (origins.isEnabled(first)) out.push({ origin: origins.name(first), seq: this.firstSeq[id] })
    for (let n = this.moreHead[id]; n !== EMPTY; n = this.moreNext[n]) {
      const o = this.moreOrigin[n]
      if (origins.isEnabled(o)) out.push({ origin: origins.name(o), seq: this.moreSeq[n] })
    }
    return out
  }

  /** A copy of the value of entry `id`, in its original byte order. */
  valueOf (id: number): Uint8Array {
    const bytes = new Uint8Array(this.valueBytes)
    const base = id * this.words
    for (let k = 0; k < this.words; k++) {
      const w = this.values[base + k]
      bytes[4 * k] = w
      bytes[4 * k + 1] = w >>> 8
      bytes[4 * k + 2] = w >>> 16
      bytes[4 * k + 3] = w >>> 24
    }
    return bytes
  }

  private deleteEntry (id: number): void {
    // backward-shift deletion keeps every probe chain unbroken without tombstones
    const mask = this.slotMask
    const slots = this.slots
    let i = this.hashAt(id) & mask
    while (slots[i] !== id) i = (i + 1) & mask
    let j = i
    for (;;) {
      j = (j + 1) & mask
      const other = slots[j]
      if (other === EMPTY) break
      const home = this.hashAt(other) & mask
      // `other` may move back to the hole at i unless its home lies cyclically in (i, j]
      const stays = i <= j ? (home > i && home <= j) : (home > i || home <= j)
      if (!stays) {
        slots[i] = other
        i = j
      }
    }
    slots[i] = EMPTY
    this.firstOrigin[id] = EMPTY
    this.moreHead[id] = EMPTY
    if (this.freeCount === this.freeIds.length) {
      const grown = new Int32Array(Math.max(64, this.freeIds.length * 2))
      grown.set(this.freeIds)
      this.freeIds = grown
    }
    this.freeIds[this.freeCount++] = id
    this.live--
  }

  private hashQuery (): number {
    return mix(this.query, 0, this.keyWords)
  }

  private hashAt (id: number): number {
    return mix(this.values, id * this.words, this.keyWords)
  }

  private placeSlot (id: number, hash: number): void {
    const mask = this.slotMask
    let i = hash & mask
    while (this.slots[i] !== EMPTY) i = (i + 1) & mask
    this.slots[i] = id
  }

  private growSlots (): void {
    const old = this.slots
    this.slots = new Int32Array(old.length * 2).fill(EMPTY)
    this.slotMask = this.slots.length - 1
    for (let i = 0; i < old.length; i++) {
      const id = old[i]
      if (id !== EMPTY) this.placeSlot(id, this.hashAt(id))
    }
  }

  private growEntries (capacity: number): void {
    const values = new Uint32Array(capacity * this.words)
    values.set(this.values)
    this.values = values
    this.firstOrigin = grow(Int32Array, this.firstOrigin, capacity, EMPTY)
    this.firstSeq = grow(Float64Array, this.firstSeq, capacity, 0)
    this.moreHead = grow(Int32Array, this.moreHead, capacity, EMPTY)
    this.capacity = capacity
  }

  private allocMore (): number {
    if (this.moreFree !== EMPTY) {
      const node = this.moreFree
      this.moreFree = this.moreNext[node]
      return node
    }
    if (this.moreUsed === this.moreOrigin.length) {
      const capacity = Math.max(64, this.moreUsed * 2)
      this.moreOrigin = grow(Int32Array, this.moreOrigin, capacity, EMPTY)
      this.moreSeq = grow(Float64Array, this.moreSeq, capacity, 0)
      this.moreNext = grow(Int32Array, this.moreNext, capacity, EMPTY)
    }
    return this.moreUsed++
  }

  private freeMore (node: number): void {
    this.moreNext[node] = this.moreFree
    this.moreFree = node
  }
}

type TypedArrayCtor<T> = new (length: number) => T
function grow<T extends Int32Array | Float64Array> (Ctor: TypedArrayCtor<T>, old: T, capacity: number, fill: number): T {
  const grown = new Ctor(capacity)
  grown.set(old as any)
  if (fill !== 0) grown.fill(fill, old.length)
  return grown
}

/** Murmur3-style mixing of `count` words from `offset`: spreads non-uniform perceptual bits. */
function mix (words: Uint32Array, offset: number, count: number): number {
  let h = 0x9747b28c
  for (let k = 0; k < count; k++) {
    let x = Math.imul(words[offset + k], 0xcc9e2d51)
    x = (x << 15) | (x >>> 17)
    h ^= Math.imul(x, 0x1b873593)
    h = (h << 13) | (h >>> 19)
    h = (Math.imul(h, 5) + 0xe6546b64) | 0
  }
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return h >>> 0
}
