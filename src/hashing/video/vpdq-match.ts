import { hammingDistance } from '../hamming.js'
import { VPDQ_COMPARE_MATCH_PCT, VPDQ_DISTANCE_THRESHOLD, VPDQ_QUALITY_THRESHOLD, VPDQ_QUERY_MATCH_PCT } from './constants.js'
import type { VpdqFeature } from './vpdq.js'

/**
 * Meta's vPDQ match rule (pytx `vpdq_brute_matcher.match_VPDQ_hash_brute`, C++
 * `matchTwoHashBrute`). Both videos are reduced to their unique frame hashes of quality
 * >= qualityThreshold; `queryPct` is the share of the query's frames within
 * distanceThreshold of some frame of the compared video, `comparePct` the share of the
 * compared video's frames within it of some query frame. The compared (stored) video
 * matches when comparePct >= comparePct threshold and queryPct >= queryPct threshold.
 *
 * Thresholds: pytx's defaults put 80 % on the query side and 0 on the index side (a query
 * must be mostly the stored video); issue 16 asks the other way round, 80 % of the stored
 * video's frames found in the query, so a known clip inside a longer upload matches. Both
 * are a matter of these two numbers. Distances are inclusive (<=, as pytx; the C++ app
 * compares with <).
 */
export interface VpdqMatchRule {
  /** @default 50 */
  qualityThreshold: number
  /** @default 31 */
  distanceThreshold: number
  /** @default 80 */
  comparePct: number
  /** @default 0 */
  queryPct: number
}

export const DEFAULT_VPDQ_RULE: VpdqMatchRule = {
  qualityThreshold: VPDQ_QUALITY_THRESHOLD,
  distanceThreshold: VPDQ_DISTANCE_THRESHOLD,
  comparePct: VPDQ_COMPARE_MATCH_PCT,
  queryPct: VPDQ_QUERY_MATCH_PCT
}

/**
 * The frames a video is compared by: quality >= threshold, then the first frame of each
 * distinct hash (pytx's `prepare_vpdq_feature` order), in their original order.
 */
export function comparableFrames (features: readonly VpdqFeature[], qualityThreshold = VPDQ_QUALITY_THRESHOLD): VpdqFeature[] {
  const seen = new Set<string>()
  const out: VpdqFeature[] = []
  for (const f of features) {
    if (f.quality < qualityThreshold) continue
    const key = Buffer.from(f.hash).toString('hex')
    if (seen.has(key)) continue
    seen.add(key)
    out.push(f)
  }
  return out
}

export interface VpdqComparison {
  /** % of the query's comparable frames that match some frame of the compared video */
  queryPct: number
  /** % of the compared video's comparable frames that match some query frame */
  comparePct: number
  /** first and last timestamp of the query's matching frames (seconds), when any matched */
  querySegment?: { first: number, last: number }
}

/**
 * Brute-force comparison of two videos' comparable frames (from `comparableFrames`): every
 * pair is measured. Either side empty gives 0 % and 0 % (the C++ reference's answer; pytx
 * would divide by zero).
 */
export function compareVpdq (query: readonly VpdqFeature[], compared: readonly VpdqFeature[], distanceThreshold = VPDQ_DISTANCE_THRESHOLD): VpdqComparison {
  if (query.length === 0 || compared.length === 0) return { queryPct: 0, comparePct: 0 }
  const comparedHit = new Uint8Array(compared.length)
  let queryHits = 0
  let first = Infinity
  let last = -Infinity
  for (const q of query) {
    let hit = false
    for (let j = 0; j < compared.length; j++) {
      if (hammingDistance(q.hash, compared[j].hash) <= distanceThreshold) {
        hit = true
        comparedHit[j] = 1
      }
    }
    if (hit) {
      queryHits++
      first = Math.min(first, q.timestamp)
      last = Math.max(last, q.timestamp)
    }
  }
  const compareHits = comparedHit.reduce((a, b) => a + b, 0)
  return {
    queryPct: (queryHits * 100) / query.length,
    comparePct: (compareHits * 100) / compared.length,
    ...(queryHits > 0 ? { querySegment: { first, last } } : {})
  }
}

/** The rule's verdict on a comparison. */
export function vpdqVerdict (c: Pick<VpdqComparison, 'queryPct' | 'comparePct'>, rule: VpdqMatchRule = DEFAULT_VPDQ_RULE): boolean {
  return c.comparePct > 0 && c.comparePct >= rule.comparePct && c.queryPct >= rule.queryPct
}

/** Whole rule, brute force, on two full feature lists: the reference answer. */
export function matchVpdqBrute (query: readonly VpdqFeature[], compared: readonly VpdqFeature[], rule: VpdqMatchRule = DEFAULT_VPDQ_RULE): VpdqComparison & { match: boolean } {
  const c = compareVpdq(comparableFrames(query, rule.qualityThreshold), comparableFrames(compared, rule.qualityThreshold), rule.distanceThreshold)
  return { ...c, match: vpdqVerdict(c, rule) }
}
