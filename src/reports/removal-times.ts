export interface RemovalTimes {
  /** removed reports with a known time */
  count: number
  medianMs: number | null
  p90Ms: number | null
}

/** Below this many values a merge and sort is as quick as selecting in the lists... */
const SORT_BELOW = 2048
/** ...unless they are this few (a group's running list and a few blocks of days): selecting copies nothing */
const FEW_LISTS = 6

/** Linear interpolation between closest ranks (the common "type 7" definition). */
export function percentile (sorted: ArrayLike<number>, p: number): number | null {
  if (sorted.length === 0) return null
  return interpolate(sorted.length, p, i => sorted[i])
}

function interpolate (n: number, p: number, at: (rank: number) => number): number {
  const rank = (n - 1) * p
  const lo = Math.floor(rank)
  const hi = Math.ceil(rank)
  const a = at(lo)
  const b = hi === lo ? a : at(hi)
  return Math.round(a + (b - a) * (rank - lo))
}

/** First index in [lo, hi) whose value is > v (`orEqual` false: >= v). */
function bound (list: ArrayLike<number>, v: number, lo: number, hi: number, orEqual: boolean): number {
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (orEqual ? list[mid] <= v : list[mid] < v) lo = mid + 1
    else hi = mid
  }
  return lo
}

/**
 * The `k`-th smallest value (0-based) of the union of sorted lists, without merging them: each
 * round takes the weighted median of the lists' middle values as the pivot and drops at least a
 * quarter of what is left, so it costs O(lists · log² n), not O(n).
 */
export function selectSorted (lists: ReadonlyArray<ArrayLike<number>>, k: number): number {
  const m = lists.length
  const lo = new Int32Array(m)
  const hi = Int32Array.from(lists, l => l.length)
  const live: number[] = []
  for (;;) {
    live.length = 0
    let total = 0
    for (let i = 0; i < m; i++) if (hi[i] > lo[i]) { live.push(i); total += hi[i] - lo[i] }
    if (k < 0 || k >= total) throw new RangeError(`rank ${k} of ${total} values`)
    if (live.length === 1) return lists[live[0]][lo[live[0]] + k]
    const mid = (i: number): number => lists[i][(lo[i] + hi[i]) >>> 1]
    live.sort((a, b) => mid(a) - mid(b))
    let pivot = mid(live[live.length - 1])
    for (let i = 0, w = 0; i < live.length; i++) {
      w += hi[live[i]] - lo[live[i]]
      if (2 * w >= total) { pivot = mid(live[i]); break }
    }
    let less = 0
    let upTo = 0
    const lt = new Int32Array(m)
    const le = new Int32Array(m)
    for (const i of live) {
      lt[i] = bound(lists[i], pivot, lo[i], hi[i], false)
      le[i] = bound(lists[i], pivot, lt[i], hi[i], true)
      less += lt[i] - lo[i]
      upTo += le[i] - lo[i]
    }
    if (k < less) for (const i of live) hi[i] = lt[i]
    else if (k < upTo) return pivot
    else { k -= upTo; for (const i of live) lo[i] = le[i] }
  }
}

/** Count, median and p90 of the values in sorted lists, equal to those of the lists merged. */
export function removalTimes (lists: ReadonlyArray<ArrayLike<number>>): RemovalTimes {
  let n = 0
  for (const l of lists) n += l.length
  if (n === 0) return { count: 0, medianMs: null, p90Ms: null }
  let at: (rank: number) => number
  if (lists.length === 1) {
    const only = lists[0]
    at = i => only[i]
  } else if ((n < SORT_BELOW && lists.length > FEW_LISTS) || lists.length * 16 > n) {
    const all = new Float64Array(n)
    let j = 0
    for (const l of lists) for (let i = 0; i < l.length; i++) all[j++] = l[i]
    all.sort()
    at = i => all[i]
  } else {
    at = i => selectSorted(lists, i)
  }
  return { count: n, medianMs: interpolate(n, 0.5, at), p90Ms: interpolate(n, 0.9, at) }
}
