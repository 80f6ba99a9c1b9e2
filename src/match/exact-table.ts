import { fmix32 } from '../util/mix32.js'
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

const NONE = -1
const TWO_32 = 2 ** 32

// Words after the value in an entry record: first origin + 1 (0: free entry), first overflow
// node + 1 (0: none), and the first origin's seq as low and high 32 bits.
const ORIGIN = 0
const MORE = 1
const SEQ_LO = 2
const SEQ_HI = 3
const META_WORDS = 4

/**
 * Exact set of hash values of one algorithm, each with the origins vouching for it.
 *
 * A JS Map with a million string keys and an object per entry costs ~220 bytes per entry and
 * keeps the GC busy; here everything lives in typed arrays (~65 bytes per SHA-256 entry):
 * - records indexed by entry id (ids of removed values are reused): the value as 32-bit words,
 *   then the first origin reference (most values have one origin). Further origins go to a
 *   linked overflow pool;
 * - open-addressing slots (linear probing, backward-shift deletion) holding the value's 32-bit
 *   hash beside the entry id, so a probe rejects other values without reading their record.
 * A hit thus touches about two cache lines (slot, record), a miss about one.
 *
 * Values are stored as little-endian words whatever the platform (`load`, `valueOf`); a
 * Hamming distance does not care about byte order as long as both sides are loaded alike.
 */
export class ExactTable {
  readonly valueBytes: number
  readonly words: number
  /** words per record: the value, then the first origin reference */
  readonly stride: number
  private readonly keyWords: number

  private capacity = 0
  private highWater = 0
  private live = 0
  private refs = 0

  private records = new Uint32Array(0)
  private freeIds = new Int32Array(0)
  private freeCount = 0

  /** per slot: [hash, entry id + 1 (0: empty)] */
  private slots = new Uint32Array(0)
  private slotMask = 0

  private moreOrigin = new Int32Array(0)
  private moreSeq = new Float64Array(0)
  private moreNext = new Int32Array(0)
  private moreFree = NONE
  private moreUsed = 0

  /** The value being looked up, as words (reused: no allocation per lookup). */
  readonly query: Uint32Array
  private queryHash = 0

  /** Whether the last `insert` created its entry. */
  created = false

  /**
   * @param valueBytes - bytes per value (a multiple of 4)
   * @param uniform - values are cryptographic digests: their first 8 bytes are already a good
   * hash key. Perceptual hashes and PhotoDNA are not uniform, so all their words are mixed.
   */
  constructor (valueBytes: number, uniform: boolean) {
    this.valueBytes = valueBytes
    this.words = valueBytes / 4
    this.stride = this.words + META_WORDS
    this.keyWords = uniform ? 2 : this.words
    this.query = new Uint32Array(this.words)
    this.reset()
  }

  reset (): void {
    this.capacity = 0
    this.highWater = 0
    this.live = 0
    this.refs = 0
    this.records = new Uint32Array(0)
    this.freeIds = new Int32Array(0)
    this.freeCount = 0
    this.moreFree = NONE
    this.moreUsed = 0
    this.moreOrigin = new Int32Array(0)
    this.moreSeq = new Float64Array(0)
    this.moreNext = new Int32Array(0)
    this.growEntries(EXACT_INITIAL_ENTRIES)
    this.slots = new Uint32Array(2 * 2 * EXACT_INITIAL_ENTRIES)
    this.slotMask = 2 * EXACT_INITIAL_ENTRIES - 1
  }

  /** Distinct values held. */
  get size (): number { return this.live }
  /** (value, origin) references held. */
  get refCount (): number { return this.refs }
  /** Entry ids below this have been handed out at least once. */
  get idLimit (): number { return this.highWater }
  /** The records: entry `id`'s value is `stride * id` onwards; replaced when the table grows. */
  get recordWords (): Uint32Array { return this.records }

  isLive (id: number): boolean {
    return this.records[id * this.stride + this.words + ORIGIN] !== 0
  }

  /**
   * Copies `value` (from byte `offset`: a value inside a larger buffer needs no view of its
   * own) into `query`; call before `find`, `insert`, or a distance scan.
   */
  load (value: Uint8Array, offset = 0): void {
    // by hand: TypedArray#set costs more than the whole probe for a 32-byte value
    const q = this.query
    for (let k = 0, i = offset; k < q.length; k++, i += 4) {
      q[k] = value[i] | (value[i + 1] << 8) | (value[i + 2] << 16) | (value[i + 3] << 24)
    }
    this.queryHash = mix(q, 0, this.keyWords)
  }

  /** The entry id of the loaded value, or -1. */
  find (): number {
    const q = this.query
    const w = this.words
    const stride = this.stride
    const records = this.records
    const slots = this.slots
    const mask = this.slotMask
    const hash = this.queryHash
    for (let i = hash & mask; ; i = (i + 1) & mask) {
      const held = slots[2 * i + 1]
      if (held === 0) return NONE
      if (slots[2 * i] !== hash) continue
      const id = held - 1
      const base = id * stride
      let k = 0
      while (k < w && records[base + k] === q[k]) k++
      if (k === w) return id
    }
  }

  /** The entry id of the loaded value, creating the entry (with no origins) if new. */
  insert (): number {
    const found = this.find()
    this.created = found === NONE
    if (found !== NONE) return found
    if ((this.live + 1) > (this.slotMask + 1) * EXACT_MAX_LOAD) this.growSlots()
    let id: number
    if (this.freeCount > 0) {
      id = this.freeIds[--this.freeCount]
    } else {
      if (this.highWater === this.capacity) this.growEntries(Math.ceil(this.capacity * 1.5))
      id = this.highWater++
    }
    this.records.set(this.query, id * this.stride)
    this.place(this.queryHash, id)
    this.live++
    return id
  }

  /**
   * Records that `origin` vouches for entry `id` in batch `seq`. Returns false when the origin
   * already did: its reference then takes the newer `seq` (re-added in a later batch).
   */
  addRef (id: number, origin: number, seq: number): boolean {
    const meta = id * this.stride + this.words
    const records = this.records
    const first = records[meta + ORIGIN] - 1
    if (first === NONE || first === origin) {
      records[meta + ORIGIN] = origin + 1
      records[meta + SEQ_LO] = seq % TWO_32
      records[meta + SEQ_HI] = Math.floor(seq / TWO_32)
      if (first === NONE) this.refs++
      return first === NONE
    }
    let tail = NONE
    for (let n = records[meta + MORE] - 1; n !== NONE; n = this.moreNext[n]) {
      if (this.moreOrigin[n] === origin) {
        this.moreSeq[n] = seq
        return false
      }
      tail = n
    }
    const node = this.allocMore()
    this.moreOrigin[node] = origin
    this.moreSeq[node] = seq
    this.moreNext[node] = NONE
    if (tail === NONE) records[meta + MORE] = node + 1
    else this.moreNext[tail] = node
    this.refs++
    return true
  }

  /** Drops `origin`'s reference to entry `id`; an entry left without origins is deleted. */
  removeRef (id: number, origin: number): RefRemoval {
    const meta = id * this.stride + this.words
    const records = this.records
    const next = records[meta + MORE] - 1
    if (records[meta + ORIGIN] - 1 === origin) {
      this.refs--
      if (next === NONE) {
        this.deleteEntry(id)
        return RefRemoval.EMPTIED
      }
      // the first overflow reference moves inline, keeping the order origins were added in
      records[meta + ORIGIN] = this.moreOrigin[next] + 1
      const seq = this.moreSeq[next]
      records[meta + SEQ_LO] = seq % TWO_32
      records[meta + SEQ_HI] = Math.floor(seq / TWO_32)
      records[meta + MORE] = this.moreNext[next] + 1
      this.freeMore(next)
      return RefRemoval.REMOVED
    }
    let prev = NONE
    for (let n = next; n !== NONE; prev = n, n = this.moreNext[n]) {
      if (this.moreOrigin[n] !== origin) continue
      if (prev === NONE) records[meta + MORE] = this.moreNext[n] + 1
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
    const meta = id * this.stride + this.words
    const first = this.records[meta + ORIGIN] - 1
    if (first === NONE) return out
    if (origins.isEnabled(first)) out.push({ origin: origins.name(first), seq: this.records[meta + SEQ_HI] * TWO_32 + this.records[meta + SEQ_LO] })
    for (let n = this.records[meta + MORE] - 1; n !== NONE; n = this.moreNext[n]) {
      const o = this.moreOrigin[n]
      if (origins.isEnabled(o)) out.push({ origin: origins.name(o), seq: this.moreSeq[n] })
    }
    return out
  }

  /** A copy of the value of entry `id`, in its original byte order. */
  valueOf (id: number): Uint8Array {
    const bytes = new Uint8Array(this.valueBytes)
    const base = id * this.stride
    for (let k = 0; k < this.words; k++) {
      const w = this.records[base + k]
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
    let i = mix(this.records, id * this.stride, this.keyWords) & mask
    while (slots[2 * i + 1] !== id + 1) i = (i + 1) & mask
    let j = i
    for (;;) {
      j = (j + 1) & mask
      if (slots[2 * j + 1] === 0) break
      const home = slots[2 * j] & mask
      // the entry at j may move back to the hole at i unless its home lies cyclically in (i, j]
      const stays = i <= j ? (home > i && home <= j) : (home > i || home <= j)
      if (!stays) {
        slots[2 * i] = slots[2 * j]
        slots[2 * i + 1] = slots[2 * j + 1]
        i = j
      }
    }
    slots[2 * i] = 0
    slots[2 * i + 1] = 0
    const meta = id * this.stride + this.words
    this.records[meta + ORIGIN] = 0
    this.records[meta + MORE] = 0
    if (this.freeCount === this.freeIds.length) {
      const grown = new Int32Array(Math.max(64, this.freeIds.length * 2))
      grown.set(this.freeIds)
      this.freeIds = grown
    }
    this.freeIds[this.freeCount++] = id
    this.live--
  }

  private place (hash: number, id: number): void {
    const mask = this.slotMask
    let i = hash & mask
    while (this.slots[2 * i + 1] !== 0) i = (i + 1) & mask
    this.slots[2 * i] = hash
    this.slots[2 * i + 1] = id + 1
  }

  private growSlots (): void {
    const old = this.slots
    this.slots = new Uint32Array(old.length * 2)
    this.slotMask = old.length - 1
    for (let i = 0; i < old.length; i += 2) {
      if (old[i + 1] !== 0) this.place(old[i], old[i + 1] - 1)
    }
  }

  private growEntries (capacity: number): void {
    const records = new Uint32Array(capacity * this.stride)
    records.set(this.records)
    this.records = records
    this.capacity = capacity
  }

  private allocMore (): number {
    if (this.moreFree !== NONE) {
      const node = this.moreFree
      this.moreFree = this.moreNext[node]
      return node
    }
    if (this.moreUsed === this.moreOrigin.length) {
      const capacity = Math.max(64, this.moreUsed * 2)
      this.moreOrigin = grow(new Int32Array(capacity), this.moreOrigin)
      this.moreSeq = grow(new Float64Array(capacity), this.moreSeq)
      this.moreNext = grow(new Int32Array(capacity), this.moreNext)
    }
    return this.moreUsed++
  }

  private freeMore (node: number): void {
    this.moreNext[node] = this.moreFree
    this.moreFree = node
  }
}

function grow<T extends Int32Array | Float64Array> (grown: T, old: T): T {
  grown.set(old)
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
  return fmix32(h)
}
