import { ExactTable, RefRemoval } from './exact-table.js'
import { MultiIndex } from './multi-index.js'
import { comparableFrames, vpdqVerdict, DEFAULT_VPDQ_RULE, type VpdqComparison, type VpdqMatchRule } from '../hashing/video/vpdq-match.js'
import type { VpdqFeature } from '../hashing/video/vpdq.js'

/** One stored video that matches a query, with the rule's two percentages. */
export interface VpdqIndexMatch extends VpdqComparison {
  videoId: number
}

interface StoredVideo {
  /** table entry of each comparable frame (unique hashes, so one entry per frame) */
  entries: Int32Array
}

/** The table's entries carry this one placeholder origin: the videos are in `postings`. */
const HELD = 0

/**
 * vPDQ matching against many stored videos without comparing every frame pair: the unique
 * frame hashes of all stored videos sit in one PDQ multi-index (multi-index.ts), each entry
 * posting the videos that hold it. A query looks up each of its comparable frames once; the
 * videos hit are the candidates, and their two percentages are counted exactly from the hits
 * (a stored video's comparable frames have distinct hashes, so a hit entry is a hit frame).
 * A video with no hit has comparePct 0 and cannot match, so the answer equals running
 * `matchVpdqBrute` against every stored video.
 */
export class VpdqFrameIndex {
  private readonly table = new ExactTable(32, false)
  private readonly index = new MultiIndex(this.table)
  /** entry id -> ids of the videos holding that frame hash */
  private readonly postings: number[][] = []
  private readonly videos = new Map<number, StoredVideo>()
  readonly rule: VpdqMatchRule

  constructor (rule: VpdqMatchRule = DEFAULT_VPDQ_RULE) {
    this.rule = rule
  }

  /** Stored videos. */
  get size (): number { return this.videos.size }
  /** Distinct frame hashes held. */
  get frames (): number { return this.table.size }

  /**
   * Stores a video's frames (replacing any earlier ones under `videoId`). Returns false, storing
   * nothing, when no frame reaches the quality threshold: such a video could never match.
   */
  add (videoId: number, features: readonly VpdqFeature[]): boolean {
    this.remove(videoId)
    const frames = comparableFrames(features, this.rule.qualityThreshold)
    if (frames.length === 0) return false
    const entries = new Int32Array(frames.length)
    frames.forEach((f, k) => {
      this.table.load(f.hash)
      const id = this.table.insert()
      if (this.table.created) {
        this.table.addRef(id, HELD, 0)
        this.index.added(id)
        this.postings[id] = []
      }
      this.postings[id].push(videoId)
      entries[k] = id
    })
    this.videos.set(videoId, { entries })
    return true
  }

  /** Drops a stored video; its frame hashes go when no other video holds them. */
  remove (videoId: number): boolean {
    const video = this.videos.get(videoId)
    if (video === undefined) return false
    this.videos.delete(videoId)
    for (const id of video.entries) {
      const list = this.postings[id]
      list.splice(list.indexOf(videoId), 1)
      if (list.length === 0 && this.table.removeRef(id, HELD) === RefRemoval.EMPTIED) this.index.removed(id)
    }
    return true
  }

  /**
   * Stored frames within `maxDistance` of one PDQ hash (an uploaded image: frame-to-image),
   * each with every video holding it. Frames below the quality threshold are not held.
   */
  frameHits (hash: Uint8Array, maxDistance: number): Array<{ videoId: number, hash: Uint8Array, distance: number }> {
    if (this.videos.size === 0) return []
    this.table.load(hash)
    const hits = this.index.search(maxDistance)
    const out: Array<{ videoId: number, hash: Uint8Array, distance: number }> = []
    for (let i = 0; i < hits.ids.length; i++) {
      const value = this.table.valueOf(hits.ids[i])
      for (const videoId of this.postings[hits.ids[i]]) out.push({ videoId, hash: value, distance: hits.distances[i] })
    }
    return out
  }

  /** Every stored video that matches the query video under the rule, best comparePct first. */
  query (features: readonly VpdqFeature[]): VpdqIndexMatch[] {
    const query = comparableFrames(features, this.rule.qualityThreshold)
    if (query.length === 0 || this.videos.size === 0) return []
    // per candidate video: distinct query frames hit, distinct stored entries hit
    const queryHits = new Map<number, { lastQuery: number, queryCount: number, entries: Set<number>, first: number, last: number }>()
    query.forEach((q, qi) => {
      this.table.load(q.hash)
      const hits = this.index.search(this.rule.distanceThreshold)
      for (const entry of hits.ids) {
        for (const videoId of this.postings[entry]) {
          let c = queryHits.get(videoId)
          if (c === undefined) {
            c = { lastQuery: -1, queryCount: 0, entries: new Set(), first: Infinity, last: -Infinity }
            queryHits.set(videoId, c)
          }
          c.entries.add(entry)
          if (c.lastQuery !== qi) {
            c.lastQuery = qi
            c.queryCount++
            c.first = Math.min(c.first, q.timestamp)
            c.last = Math.max(c.last, q.timestamp)
          }
        }
      }
    })
    const out: VpdqIndexMatch[] = []
    for (const [videoId, c] of queryHits) {
      const stored = this.videos.get(videoId) as StoredVideo
      const m: VpdqIndexMatch = {
        videoId,
        queryPct: (c.queryCount * 100) / query.length,
        comparePct: (c.entries.size * 100) / stored.entries.length,
        querySegment: { first: c.first, last: c.last }
      }
      if (vpdqVerdict(m, this.rule)) out.push(m)
    }
    return out.sort((a, b) => b.comparePct - a.comparePct || a.videoId - b.videoId)
  }
}
