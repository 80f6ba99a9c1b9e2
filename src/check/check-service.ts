import { hfError, ErrorCodes, isHashfedError } from '../errors.js'
import type { MatchIndex, OriginRef, PerceptualAlgorithm } from '../match/match-index.js'
import { ALGORITHMS, formatHashValue, parseAlgorithm, parseHashValue, PERCEPTUAL, type AlgorithmName } from '../log/hash-value.js'
import type { ClassificationName, HashRecord } from '../log/entry.js'
import type { ImageHashes } from '../hashing/hash-image.js'
import type { MatchMetadata, Vouch, VouchRef } from './match-metadata.js'
import { PDQ_MIN_QUALITY } from './constants.js'
import { DEFAULT_CLASSIFICATION } from '../lists/default-classification.js'
import type { VideoMatcher } from '../match/video-matcher.js'
import type { VpdqFeature } from '../hashing/video/vpdq.js'
import { DIHEDRAL_TRANSFORMS, inverseTransform, type DihedralTransform } from '../hashing/pdq-dihedral.js'
import type { BenignIndex } from '../match/benign-index.js'

/** One hash to check, as a hoster sends it. */
export interface CheckQuery {
  algorithm: string
  value: string
  /** PDQ quality 0-100 if the hoster computed it */
  quality?: number
}

/** A hotline vouching for a matched value, with what it says about it. */
export interface MatchOrigin {
  /** member name of the hotline (its peer ID when no longer a member) */
  name: string
  peerId: string
  classification?: ClassificationName
  iwfCategory?: string
  vicsCategory?: number
  ageBand?: string
  media?: string
  tags?: string[]
  source?: string
  /** PDQ quality of the stored hash */
  quality?: number
  /** the stored PDQ hash has quality below 50: weak evidence */
  lowQuality?: true
  /** the signed batch of the origin's log that vouches for the value */
  batch: { origin: string, seq: number, index: number, hash: string }
}

export interface CheckMatch {
  algorithm: AlgorithmName
  /** the stored value that matched (equal to the query for exact matches) */
  value: string
  /** Hamming distance for PDQ and blockhash; 0 for exact matches */
  distance: number
  /** the query matched after this rotation or mirror of the stored image (dihedral PDQ) */
  transform?: Exclude<DihedralTransform, 'original'>
  /** a frame of a stored video matched the image (algorithm vpdq: `value` names the video) */
  frame?: { frameNumber: number, timestamp: number }
  /** the most severe classification among the origins (baseline > national > not-illegal); DEFAULT_CLASSIFICATION for hashes published without one */
  classification: ClassificationName
  origins: MatchOrigin[]
  /** the hash is held on this node (too many hosters or matches, or an operator's hold): not a plain match */
  held?: true
  heldSince?: string
  heldReason?: string
  /** a benign entry of a trusted member covers the value: reported here, never as a match */
  suppressed?: { by: string, byPeerId: string, reason: string, benignValue: string, distance: number }
}

/** A stored video that matches a query video under Meta's vPDQ rule. */
export interface VideoCheckMatch {
  algorithm: 'vpdq'
  /** the stored vpdq entry's value (SHA-256 of its frames) */
  value: string
  /** % of the stored video's frames found in the query */
  comparePct: number
  /** % of the query's frames found in the stored video */
  queryPct: number
  /** first and last timestamp (seconds) of the query's matching frames */
  segment: { first: number, last: number }
  classification?: ClassificationName
  origins: MatchOrigin[]
}

/** What the false-positive quarantine needs on the check path (check/quarantine-service). */
export interface MatchGate {
  held: (ref: string) => { sinceMs: number, reason: string } | undefined
  record: (ref: string, origins: string[], hoster: string) => void
  stats: { heldAnswers: number }
}

/** Benign lists (match/benign-index) with this node's trust in their authors. */
export interface BenignFilter {
  index: BenignIndex
  trusted: (origin: string) => boolean
  pdqThreshold: number
}

export interface VideoCheckResult {
  /** exact matches of the file's SHA-256, SHA-1 and MD5 */
  results: CheckResult[]
  /** vPDQ matches, best comparePct first */
  videos: VideoCheckMatch[]
  /** the query's hashed frames (after deduplication, all qualities) */
  frames: number
}
export interface CheckResult {
  algorithm: AlgorithmName
  value: string
  quality?: number
  /** the queried PDQ hash has quality below 50 (flat or tiny image): matches on it are weak */
  lowQuality?: true
  matches: CheckMatch[]
  /** a matched hash is held here: see `heldMatches` (a hoster should not act on it as a match) */
  held?: true
  heldMatches?: CheckMatch[]
  /** matches suppressed by benign entries, with who said so and why */
  suppressed?: CheckMatch[]
}

export interface ImageCheckResult {
  image: { format: string, width: number, height: number }
  results: CheckResult[]
}

export interface CheckServiceInit {
  index: MatchIndex
  metadata: MatchMetadata
  /** member name of an origin peer ID */
  nameOf: (peerId: string) => string
  /** @default 10000 */
  maxHashes?: number
  /** stored videos: vPDQ queries and frame-to-image matches */
  videos?: VideoMatcher
  /** PDQ distance for frame-to-image matches @default 31 */
  pdqThreshold?: number
  /** also try the seven rotated and mirrored PDQ variants of an image @default true */
  dihedral?: boolean
  benign?: BenignFilter
  gate?: MatchGate
}

/** Who asks: a hoster's checks are counted by the quarantine, an analyst's are not. */
export interface CheckContext { hoster?: string }

const EXACT_NAMES: ReadonlySet<string> = new Set(ALGORITHMS)
const LOWER_HEX = /^[0-9a-f]+$/

const SEVERITY: Record<ClassificationName, number> = { baseline: 3, national: 2, 'not-illegal': 1 }

interface Parsed { algorithm: AlgorithmName, value: Uint8Array, valueHex: string, quality?: number }
interface Hit { algorithm: AlgorithmName, value: Uint8Array, valueHex: string, distance: number, origins: OriginRef[], transform?: Exclude<DihedralTransform, 'original'>, frame?: { frameNumber: number, timestamp: number } }

/**
 * Answers "is this known?" for hosters and analysts: exact lookup for every algorithm and
 * near-match (Hamming distance within the configured threshold) for PDQ and blockhash, over
 * every enabled origin, with each match's metadata and vouching batch. Misses touch memory
 * only; metadata is read for matches.
 */
export class CheckService {
  readonly maxHashes: number
  /** matches answered as suppressed by a benign entry */
  suppressedMatches = 0

  constructor (private readonly init: CheckServiceInit) {
    this.maxHashes = init.maxHashes ?? 10_000
  }

  /** Results in query order. Throws HF_INVALID_HASH (details.index) for a bad query, HF_TOO_LARGE beyond maxHashes. */
  async check (queries: CheckQuery[], ctx?: CheckContext): Promise<CheckResult[]> {
    return await this.checkNow(queries, ctx)
  }

  /**
   * `check` without a promise when nothing matched (most requests: misses touch memory only),
   * for the check API's hot path; a promise when a match's metadata is read. Throws as `check` rejects.
   */
  checkNow (queries: CheckQuery[], ctx?: CheckContext): CheckResult[] | Promise<CheckResult[]> {
    if (!Array.isArray(queries)) throw hfError(ErrorCodes.INVALID_ARGUMENT, 'hashes: an array of {algorithm, value}')
    if (queries.length > this.maxHashes) throw hfError(ErrorCodes.TOO_LARGE, `at most ${this.maxHashes} hashes per request, got ${queries.length}`, { maxHashes: this.maxHashes })
    return this.answer(queries.map((q, i) => parseQuery(q, i)), ctx)
  }

  /** One value already parsed (bytes and lower-case hex), as `checkNow` of it would answer (HMA's raw_lookup). */
  checkValueNow (algorithm: AlgorithmName, value: Uint8Array, valueHex: string, ctx?: CheckContext): CheckResult | Promise<CheckResult> {
    const results = this.answer([{ algorithm, value, valueHex }], ctx)
    return Array.isArray(results) ? results[0] : results.then(r => r[0])
  }

  /** The hashes of an image (see ImageHashPool) checked like a request of five hashes. */
  async checkImage (hashes: ImageHashes, ctx?: CheckContext): Promise<ImageCheckResult> {
    const parsed = hashes.records.map(recordQuery)
    const variants = this.init.dihedral === false ? undefined : hashes.pdqVariants
    const extra = (q: Parsed, direct: Hit[]): Hit[] => q.algorithm === 'pdq' ? this.imageExtras(q.value, direct, variants) : []
    return { image: { format: hashes.format, width: hashes.width, height: hashes.height }, results: await this.answer(parsed, ctx, extra) }
  }

  /**
   * A video's check: its exact hashes as records, and its vPDQ frames against every stored
   * video by Meta's rule (match.vpdqComparePct / vpdqQueryPct).
   */
  async checkVideo (exact: HashRecord[], features: readonly VpdqFeature[], ctx?: CheckContext): Promise<VideoCheckResult> {
    const results = await this.answer(exact.map(recordQuery), ctx)
    const matches = this.init.videos?.query(features) ?? []
    const videos: VideoCheckMatch[] = []
    if (matches.length > 0) {
      const byValue = new Map<string, typeof matches>()
      for (const m of matches) byValue.set(m.valueHex, [...(byValue.get(m.valueHex) ?? []), m])
      const hits: Hit[] = [...byValue].map(([valueHex, ms]) => ({ algorithm: 'vpdq', value: Buffer.from(valueHex, 'hex'), valueHex, distance: 0, origins: ms.map(m => ({ origin: m.origin, seq: 0 })) as OriginRef[] }))
      const vouches = await this.vouchesFor([hits])
      for (const hit of hits) {
        const match = this.toMatch(hit, vouches)
        if (match === null) continue
        const best = (byValue.get(hit.valueHex) ?? [])[0]
        const v: VideoCheckMatch = { algorithm: 'vpdq', value: hit.valueHex, comparePct: round2(best.comparePct), queryPct: round2(best.queryPct), segment: best.querySegment ?? { first: 0, last: 0 }, origins: match.origins }
        if (match.classification !== undefined) v.classification = match.classification
        videos.push(v)
      }
      videos.sort((a, b) => b.comparePct - a.comparePct || a.value.localeCompare(b.value))
    }
    return { results, videos, frames: features.length }
  }

  /** Matches beyond the direct PDQ lookup: rotated/mirrored variants, and frames of stored videos. */
  private imageExtras (hash: Uint8Array, direct: Hit[], variants: Partial<Record<DihedralTransform, Uint8Array>> | undefined): Hit[] {
    const { index, videos } = this.init
    const seen = new Set(direct.map(h => h.valueHex))
    const out: Hit[] = []
    for (const t of DIHEDRAL_TRANSFORMS) {
      if (t === 'original') continue
      const v = variants?.[t]
      if (v === undefined) continue
      for (const m of index.near('pdq', v)) {
        const valueHex = formatHashValue(m.value)
        if (seen.has(valueHex)) continue
        seen.add(valueHex)
        out.push({ algorithm: 'pdq', value: m.value, valueHex, distance: m.distance, origins: m.origins, transform: inverseTransform(t) as Exclude<DihedralTransform, 'original'> })
      }
    }
    if (videos !== undefined && videos.size > 0) {
      const threshold = this.init.pdqThreshold ?? 31
      const found = new Map<string, Hit>()
      for (const t of DIHEDRAL_TRANSFORMS) {
        const v = t === 'original' ? hash : variants?.[t]
        if (v === undefined) continue
        for (const f of videos.frames(v, threshold)) {
          const key = f.valueHex
          const prev = found.get(key)
          if (prev !== undefined && prev.distance <= f.distance) {
            if (!prev.origins.some(o => o.origin === f.origin)) prev.origins.push({ origin: f.origin, seq: 0 } as OriginRef)
            continue
          }
          const hit: Hit = { algorithm: 'vpdq', value: Buffer.from(f.valueHex, 'hex'), valueHex: f.valueHex, distance: f.distance, origins: [...(prev?.origins ?? []), { origin: f.origin, seq: 0 } as OriginRef].filter((o, i, a) => a.findIndex(x => x.origin === o.origin) === i), frame: { frameNumber: f.frameNumber, timestamp: f.timestamp } }
          if (t !== 'original') hit.transform = inverseTransform(t) as Exclude<DihedralTransform, 'original'>
          found.set(key, hit)
        }
      }
      out.push(...found.values())
    }
    return out
  }

  /** Checks already-parsed records (CLI and image paths). */
  async checkRecords (records: HashRecord[], ctx?: CheckContext): Promise<CheckResult[]> {
    return await this.answer(records.map(recordQuery), ctx)
  }

  private answer (parsed: Parsed[], ctx?: CheckContext, extra?: (q: Parsed, direct: Hit[]) => Hit[]): CheckResult[] | Promise<CheckResult[]> {
    const { index } = this.init
    const hitsPer: Hit[][] = []
    let anyHit = false
    for (const q of parsed) {
      let hits: Hit[]
      if (PERCEPTUAL.has(q.algorithm)) {
        hits = index.near(q.algorithm as PerceptualAlgorithm, q.value).map(m => ({ algorithm: q.algorithm, value: m.value, valueHex: formatHashValue(m.value), distance: m.distance, origins: m.origins }))
      } else {
        const origins = index.lookup(q.algorithm, q.value)
        hits = origins.length === 0 ? [] : [{ algorithm: q.algorithm, value: q.value, valueHex: q.valueHex, distance: 0, origins }]
      }
      if (extra !== undefined) hits.push(...extra(q, hits))
      if (hits.length > 0) anyHit = true
      hitsPer.push(hits)
    }
    if (!anyHit) return this.results(parsed, hitsPer, null, ctx)
    return this.vouchesFor(hitsPer).then(vouches => this.results(parsed, hitsPer, vouches, ctx))
  }

  private results (parsed: Parsed[], hitsPer: Hit[][], vouches: Map<string, Vouch | null> | null, ctx: CheckContext | undefined): CheckResult[] {
    return parsed.map((q, i) => {
      const matches: CheckMatch[] = []
      for (const hit of hitsPer[i]) {
        const match = this.toMatch(hit, vouches as Map<string, Vouch | null>)
        if (match !== null) matches.push(match)
      }
      const result: CheckResult = q.quality === undefined
        ? { algorithm: q.algorithm, value: q.valueHex, matches }
        : q.algorithm === 'pdq' && q.quality < PDQ_MIN_QUALITY
          ? { algorithm: q.algorithm, value: q.valueHex, quality: q.quality, lowQuality: true, matches }
          : { algorithm: q.algorithm, value: q.valueHex, quality: q.quality, matches }
      if (matches.length > 0 && (this.init.benign !== undefined || this.init.gate !== undefined)) this.screen(result, hitsPer[i], ctx)
      return result
    })
  }

  /**
   * The false-positive defences, only for values that matched: a match on a benign value of a
   * trusted member is moved to `suppressed`, a held one to `heldMatches`; a plain match is
   * counted for the hoster that asked (the quarantine decides on the next one).
   */
  private screen (result: CheckResult, hits: Hit[], ctx: CheckContext | undefined): void {
    const { benign, gate } = this.init
    const plain: CheckMatch[] = []
    for (const m of result.matches) {
      const hit = hits.find(h => h.valueHex === m.value) as Hit
      const b = benign?.index.find(m.algorithm, hit.value, m.value, benign.trusted, benign.pdqThreshold) ?? null
      if (b !== null) {
        m.suppressed = { by: this.init.nameOf(b.origin), byPeerId: b.origin, reason: b.reason, benignValue: b.value, distance: b.distance }
        ;(result.suppressed ??= []).push(m)
        this.suppressedMatches++
        continue
      }
      const ref = `${m.algorithm}:${m.value}`
      const hold = gate?.held(ref)
      if (hold !== undefined) {
        m.held = true
        m.heldSince = new Date(hold.sinceMs).toISOString()
        m.heldReason = hold.reason
        result.held = true
        ;(result.heldMatches ??= []).push(m)
        ;(gate as MatchGate).stats.heldAnswers++
        continue
      }
      plain.push(m)
      if (gate !== undefined && ctx?.hoster !== undefined) gate.record(ref, m.origins.map(o => o.peerId), ctx.hoster)
    }
    result.matches = plain
  }

  private async vouchesFor (hitsPer: Hit[][]): Promise<Map<string, Vouch | null>> {
    const refs: VouchRef[] = []
    for (const hits of hitsPer) for (const h of hits) for (const o of h.origins) refs.push({ algorithm: h.algorithm, valueHex: h.valueHex, origin: o.origin })
    const answers = await this.init.metadata.get(refs)
    const out = new Map<string, Vouch | null>()
    refs.forEach((r, i) => out.set(`${r.algorithm}:${r.valueHex}:${r.origin}`, answers[i]))
    return out
  }

  private toMatch (hit: Hit, vouches: Map<string, Vouch | null>): CheckMatch | null {
    const origins: MatchOrigin[] = []
    let classification: ClassificationName | undefined
    for (const ref of hit.origins) {
      const v = vouches.get(`${hit.algorithm}:${hit.valueHex}:${ref.origin}`)
      if (v === null || v === undefined) continue // retracted between the index lookup and the read
      const { frames: _frames, ...meta } = v.meta as typeof v.meta & { frames?: unknown }
      const o: MatchOrigin = { name: this.init.nameOf(ref.origin), peerId: ref.origin, ...meta, batch: { origin: ref.origin, seq: v.seq, index: v.index, hash: v.batchHash } }
      if (hit.algorithm === 'pdq' && v.meta.quality !== undefined && v.meta.quality < PDQ_MIN_QUALITY) o.lowQuality = true
      // hashes published before the import default existed carry none: answered with it (see DEFAULT_CLASSIFICATION)
      const c = v.meta.classification ?? DEFAULT_CLASSIFICATION
      if (v.meta.classification === undefined) o.classification = c
      if (c !== undefined && (classification === undefined || SEVERITY[c] > SEVERITY[classification])) classification = c
      origins.push(o)
    }
    if (origins.length === 0) return null
    const match: CheckMatch = { algorithm: hit.algorithm, value: hit.valueHex, distance: hit.distance, classification: classification ?? DEFAULT_CLASSIFICATION, origins }
    if (hit.transform !== undefined) match.transform = hit.transform
    if (hit.frame !== undefined) match.frame = hit.frame
    return match
  }
}

function parseQuery (q: CheckQuery, i: number): Parsed {
  try {
    if (q === null || typeof q !== 'object' || typeof q.algorithm !== 'string' || typeof q.value !== 'string') {
      throw hfError(ErrorCodes.INVALID_HASH, 'each hash is {algorithm, value}')
    }
    // a misspelt field (e.g. "qualty") must not pass silently
    for (const field in q) {
      if (field !== 'algorithm' && field !== 'value' && field !== 'quality') throw hfError(ErrorCodes.INVALID_ARGUMENT, `unknown field "${field}" (a hash is {algorithm, value, quality?})`, { field })
    }
    // the hot path: a hoster sends the canonical name and lower-case hex, which is used as is
    const algorithm = EXACT_NAMES.has(q.algorithm) ? q.algorithm as AlgorithmName : parseAlgorithm(q.algorithm)
    const value = parseHashValue(algorithm, q.value)
    const valueHex = q.value.length === 2 * value.length && LOWER_HEX.test(q.value) ? q.value : formatHashValue(value)
    const parsed: Parsed = { algorithm, value, valueHex }
    if (q.quality !== undefined) {
      if (!Number.isInteger(q.quality) || q.quality < 0 || q.quality > 100) throw hfError(ErrorCodes.INVALID_HASH, 'quality: an integer 0-100')
      parsed.quality = q.quality
    }
    return parsed
  } catch (err) {
    if (isHashfedError(err)) throw hfError(err.code, `hashes[${i}]: ${err.message}`, { ...err.details, index: i })
    throw err
  }
}

function recordQuery (r: HashRecord): Parsed {
  const parsed: Parsed = { algorithm: r.algorithm, value: r.value, valueHex: formatHashValue(r.value) }
  if (r.quality !== undefined) parsed.quality = r.quality
  return parsed
}

function round2 (x: number): number {
  return Math.round(x * 100) / 100
}
