import { VpdqFrameIndex } from './vpdq-frame-index.js'
import type { VpdqMatchRule } from '../hashing/video/vpdq-match.js'
import type { VpdqFeature } from '../hashing/video/vpdq.js'

/** A stored video (one origin's vpdq entry) that matches a query video. */
export interface VideoMatch {
  origin: string
  /** the vpdq entry's value (SHA-256 of its frames), hex */
  valueHex: string
  comparePct: number
  queryPct: number
  /** first and last timestamp (seconds) of the query's frames that matched */
  querySegment?: { first: number, last: number }
}

/** A stored video frame within distance of an image's PDQ hash (frame-to-image). */
export interface FrameMatch {
  origin: string
  valueHex: string
  /** the closest matching frame of that video */
  frameNumber: number
  timestamp: number
  distance: number
}

/**
 * The vpdq entries of every origin in a VpdqFrameIndex, keyed (origin, value) -> video id, so
 * a retraction by value removes exactly that origin's video. The kill switch is applied on
 * the answers (`enabled`), as the match index does for hashes.
 */
export class VideoMatcher {
  private readonly index: VpdqFrameIndex
  private readonly ids = new Map<string, number>()
  private readonly keys: Array<{ origin: string, valueHex: string, frames: VpdqFeature[] } | undefined> = []
  private readonly free: number[] = []

  constructor (rule: VpdqMatchRule, private readonly enabled: (origin: string) => boolean) {
    this.index = new VpdqFrameIndex(rule)
  }

  get size (): number { return this.index.size }

  add (origin: string, value: Uint8Array, frames: readonly VpdqFeature[]): void {
    const valueHex = Buffer.from(value).toString('hex')
    const key = `${origin}:${valueHex}`
    let id = this.ids.get(key)
    if (id === undefined) {
      id = this.free.pop() ?? this.keys.length
      this.ids.set(key, id)
    }
    this.keys[id] = { origin, valueHex, frames: [...frames] }
    if (!this.index.add(id, frames)) this.drop(key, id)
  }

  remove (origin: string, value: Uint8Array): void {
    const key = `${origin}:${Buffer.from(value).toString('hex')}`
    const id = this.ids.get(key)
    if (id === undefined) return
    this.index.remove(id)
    this.drop(key, id)
  }

  clear (): void {
    for (const [key, id] of [...this.ids]) { this.index.remove(id); this.drop(key, id) }
  }

  /** Stored videos matching the query video under the rule, enabled origins only. */
  query (features: readonly VpdqFeature[]): VideoMatch[] {
    return this.index.query(features).flatMap(m => {
      const k = this.keys[m.videoId]
      if (k === undefined || !this.enabled(k.origin)) return []
      const out: VideoMatch = { origin: k.origin, valueHex: k.valueHex, comparePct: m.comparePct, queryPct: m.queryPct }
      if (m.querySegment !== undefined) out.querySegment = m.querySegment
      return [out]
    })
  }

  /** Stored videos with a frame within `maxDistance` of `hash` (an image's PDQ), nearest first. */
  frames (hash: Uint8Array, maxDistance: number): FrameMatch[] {
    const out: FrameMatch[] = []
    for (const { videoId, hash: frameHash, distance } of this.index.frameHits(hash, maxDistance)) {
      const k = this.keys[videoId]
      if (k === undefined || !this.enabled(k.origin)) continue
      const f = k.frames.find(x => Buffer.from(x.hash).equals(Buffer.from(frameHash)))
      if (f === undefined) continue
      const prev = out.find(o => o.origin === k.origin && o.valueHex === k.valueHex)
      if (prev !== undefined && prev.distance <= distance) continue
      if (prev !== undefined) out.splice(out.indexOf(prev), 1)
      out.push({ origin: k.origin, valueHex: k.valueHex, frameNumber: f.frameNumber, timestamp: f.timestamp, distance })
    }
    return out.sort((a, b) => a.distance - b.distance || a.valueHex.localeCompare(b.valueHex))
  }

  private drop (key: string, id: number): void {
    this.ids.delete(key)
    this.keys[id] = undefined
    this.free.push(id)
  }
}
