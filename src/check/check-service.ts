import { hfError, ErrorCodes, isHashfedError } from '../errors.js'
import type { MatchIndex, OriginRef, PerceptualAlgorithm } from '../match/match-index.js'
import { ALGORITHMS, formatHashValue, parseAlgorithm, parseHashValue, PERCEPTUAL, type AlgorithmName } from '../log/hash-value.js'
import type { ClassificationName, HashRecord } from '../log/entry.js'
import type { ImageHashes } from '../hashing/hash-image.js'
import type { MatchMetadata, Vouch, VouchRef } from './match-metadata.js'
import { PDQ_MIN_QUALITY } from './constants.js'
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
  /** the most severe classification among the origins (baseline > national > not-illegal) */
  classification?: ClassificationName
  origins: MatchOrigin[]
  /** the hash is held on this node (too many hosters or matches, or an operator's hold): not a plain match */
  held?: true
  heldSince?: string
  heldReason?: string
  /** a benign entry of a trusted member covers the value: reported here, never as a match */
  suppressed?: { by: string, byPeerId: string, reason: string, benignValue: string, distance: number }
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
  benign?: BenignFilter
  gate?: MatchGate
}

/** Who asks: a hoster's checks are counted by the quarantine, an analyst's are not. */
export interface CheckContext { hoster?: string }

const EXACT_NAMES: ReadonlySet<string> = new Set(ALGORITHMS)
const LOWER_HEX = /^[0-9a-f]+$/

const SEVERITY: Record<ClassificationName, number> = { baseline: 3, national: 2, 'not-illegal': 1 }

interface Parsed { algorithm: AlgorithmName, value: Uint8Array, valueHex: string, quality?: number }
interface Hit { algorithm: AlgorithmName, value: Uint8Array, valueHex: string, distance: number, origins: OriginRef[] }

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
    if (!Array.isArray(queries)) throw hfError(ErrorCodes.INVALID_ARGUMENT, 'hashes: an array of {algorithm, value}')
    if (queries.length > this.maxHashes) throw hfError(ErrorCodes.TOO_LARGE, `at most ${this.maxHashes} hashes per request, got ${queries.length}`, { maxHashes: this.maxHashes })
    return await this.answer(queries.map((q, i) => parseQuery(q, i)), ctx)
  }

  /** The hashes of an image (see ImageHashPool) checked like a request of five hashes. */
  async checkImage (hashes: ImageHashes, ctx?: CheckContext): Promise<ImageCheckResult> {
    const parsed = hashes.records.map(recordQuery)
    return { image: { format: hashes.format, width: hashes.width, height: hashes.height }, results: await this.answer(parsed, ctx) }
  }

  /** Checks already-parsed records (CLI and image paths). */
  async checkRecords (records: HashRecord[]): Promise<CheckResult[]> {
    return await this.answer(records.map(recordQuery))
  }

  private async answer (parsed: Parsed[], ctx?: CheckContext): Promise<CheckResult[]> {
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
      if (hits.length > 0) anyHit = true
      hitsPer.push(hits)
    }
    const vouches = anyHit ? await this.vouchesFor(hitsPer) : null
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
      const o: MatchOrigin = { name: this.init.nameOf(ref.origin), peerId: ref.origin, ...v.meta, batch: { origin: ref.origin, seq: v.seq, index: v.index, hash: v.batchHash } }
      if (hit.algorithm === 'pdq' && v.meta.quality !== undefined && v.meta.quality < PDQ_MIN_QUALITY) o.lowQuality = true
      const c = v.meta.classification
      if (c !== undefined && (classification === undefined || SEVERITY[c] > SEVERITY[classification])) classification = c
      origins.push(o)
    }
    if (origins.length === 0) return null
    const match: CheckMatch = { algorithm: hit.algorithm, value: hit.valueHex, distance: hit.distance, origins }
    if (classification !== undefined) match.classification = classification
    return match
  }
}

function parseQuery (q: CheckQuery, i: number): Parsed {
  try {
    if (q === null || typeof q !== 'object' || typeof q.algorithm !== 'string' || typeof q.value !== 'string') {
      throw hfError(ErrorCodes.INVALID_HASH, 'each hash is {algorithm, value}')
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
