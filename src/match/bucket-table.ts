/** Slot value of an unused slot (an empty bucket, or the second slot of a bucket of one). */
export const NO_ID = -1

/**
 * One table of the multi-index's built part: entry ids by substring value, directly addressed.
 * Every bucket has two slots side by side in `slots`, so a probe reads one 8-byte pair (one
 * cache line): `[-1, -1]` empty, `[a, -1]` one id, `[a, b]` two ids. A bucket of more keeps
 * its ids in `spill`, marked `[-2 - start, count]`. With substrings of about log2(entries)
 * bits a bucket holds about one hash, so most probes need no second read, where offsets into
 * a sorted id list always need one (a third of the search time at 1M hashes).
 */
export interface BucketTable {
  readonly slots: Int32Array
  readonly spill: Int32Array
}

/** Work arrays of one build, `n` entries each, shared by its tables. */
export interface BuildScratch {
  keys: Uint32Array
  tempKeys: Uint32Array
  tempIds: Int32Array
  sortedIds: Int32Array
}

export function buildScratch (n: number): BuildScratch {
  return { keys: new Uint32Array(n), tempKeys: new Uint32Array(n), tempIds: new Int32Array(n), sortedIds: new Int32Array(n) }
}

/**
 * The table of `ids` by `scratch.keys` (each < 2^width; the keys are overwritten). Reuses
 * `reuse`'s arrays when their sizes fit, so steady rebuilds do not churn memory.
 */
export function buildBucketTable (ids: Int32Array, width: number, scratch: BuildScratch, reuse?: BucketTable): BucketTable {
  const n = ids.length
  const keys = scratch.keys
  const sorted = scratch.sortedIds
  sortByKey(keys, ids, width, scratch.tempKeys, scratch.tempIds, sorted)
  let spilled = 0
  for (let i = 0; i < n;) {
    let j = i + 1
    while (j < n && keys[j] === keys[i]) j++
    if (j - i > 2) spilled += j - i
    i = j
  }
  const size = 2 << width
  const slots = reuse !== undefined && reuse.slots.length === size ? reuse.slots : new Int32Array(size)
  const spill = reuse !== undefined && reuse.spill.length === spilled ? reuse.spill : new Int32Array(spilled)
  slots.fill(NO_ID)
  let at = 0
  for (let i = 0; i < n;) {
    const key = keys[i]
    let j = i + 1
    while (j < n && keys[j] === key) j++
    if (j - i <= 2) {
      slots[2 * key] = sorted[i]
      if (j - i === 2) slots[2 * key + 1] = sorted[i + 1]
    } else {
      slots[2 * key] = -2 - at
      slots[2 * key + 1] = j - i
      for (let k = i; k < j; k++) spill[at++] = sorted[k]
    }
    i = j
  }
  return { slots, spill }
}

/**
 * Sorts `ids` by `keys` (each < 2^width) into `outIds`; `keys` ends sorted. Two counting
 * passes over half the key bits each (least significant first): their counters fit in L1,
 * where one pass over all 20 bits would hit a 4 MB counter array at random, 2-3 times slower
 * at 1M hashes.
 */
function sortByKey (keys: Uint32Array, ids: Int32Array, width: number, tempKeys: Uint32Array, tempIds: Int32Array, outIds: Int32Array): void {
  const n = ids.length
  const lowBits = Math.ceil(width / 2)
  const lowMask = (1 << lowBits) - 1
  const low = new Uint32Array((1 << lowBits) + 1)
  for (let i = 0; i < n; i++) low[(keys[i] & lowMask) + 1]++
  for (let k = 0; k < lowMask + 1; k++) low[k + 1] += low[k]
  for (let i = 0; i < n; i++) {
    const p = low[keys[i] & lowMask]++
    tempKeys[p] = keys[i]
    tempIds[p] = ids[i]
  }
  const high = new Uint32Array((1 << (width - lowBits)) + 1)
  for (let i = 0; i < n; i++) high[(tempKeys[i] >>> lowBits) + 1]++
  for (let k = 0; k < high.length - 1; k++) high[k + 1] += high[k]
  for (let i = 0; i < n; i++) {
    const p = high[tempKeys[i] >>> lowBits]++
    keys[p] = tempKeys[i]
    outIds[p] = tempIds[i]
  }
}
