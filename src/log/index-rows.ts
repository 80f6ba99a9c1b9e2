import { pb, type hashfed } from '../proto/index.js'
import type { Store, StoreOp } from '../store/store.js'
import { decodeStored } from '../store/stored-record.js'
import { hashKeyOfRef, hashRange, parseHashKey, parseSourceKey, sourceKey, sourceRange } from '../store/layout.js'
import { formatHashValue, hexToBytes, type AlgorithmName } from './hash-value.js'
import type { HashRecord } from './entry.js'
import { metaFromProto } from './entry-codec.js'
import { u64 } from './uint64.js'
import type { RowTracker } from './row-tracker.js'
import type { CurrentRecord, IndexRow } from './log-types.js'

/** One stored `hashes` row, decoded. */
export interface StoredRow {
  ref: string
  origin: string
  row: hashfed.v1.Provenance
}

/** Whole-sublevel scans (the audit) fetch ~1000 rows per round trip, not LevelDB's 16 KiB default. */
const SCAN = { limit: -1, highWaterMarkBytes: 1 << 20 }

/**
 * The log's index rows: `hashes` (one Provenance per value and origin, kept after a retract)
 * and `sources` (the current sourced hashes of an origin, for retract-source). This is the
 * only code that reads or writes them; the rows are derived from the batches and written in
 * the same atomic write (hash-log.ts), and the chain audit re-derives them.
 */
export class IndexRows {
  constructor (private readonly store: Store) {}

  /** Gets the stored rows of `refs` not yet tracked into the tracker, with one getMany. */
  async loadInto (tracker: RowTracker, origin: string, refs: string[]): Promise<void> {
    const missing = [...new Set(refs)].filter(r => !tracker.has(r))
    if (missing.length === 0) return
    const values = await this.store.sub.hashes.getMany(missing.map(r => hashKeyOfRef(r, origin)))
    missing.forEach((r, i) => tracker.load(r, values[i]))
  }

  /** Refs of the origin's current hashes with `source`. */
  async sourceRefs (origin: string, source: string): Promise<string[]> {
    const refs: string[] = []
    for await (const k of this.store.sub.sources.keys(sourceRange(origin, source))) refs.push(parseSourceKey(k).ref)
    return refs
  }

  /** The puts and deletes that write the tracker's changed rows, and the origin's count changes. */
  writeOps (tracker: RowTracker): { ops: StoreOp[], current: number, retracted: number } {
    return tracker.finish({ hashes: this.store.keyPrefix('hashes'), sources: this.store.keyPrefix('sources') }, this.store.sub.sources)
  }

  /** The rows of (ref, origin) pairs, in order; undefined where there is none. */
  async get (keys: Array<{ ref: string, origin: string }>): Promise<Array<IndexRow | undefined>> {
    const raws = await this.store.sub.hashes.getMany(keys.map(k => hashKeyOfRef(k.ref, k.origin)))
    return raws.map((raw, i) => raw === undefined ? undefined : toIndexRow(decodeRow(hashKeyOfRef(keys[i].ref, keys[i].origin), raw)))
  }

  /** The rows of (ref, origin) pairs as stored, decoded (the audit compares them to the batches). */
  async getRaw (pairs: Array<{ ref: string, origin: string }>): Promise<Array<hashfed.v1.Provenance | undefined>> {
    const keys = pairs.map(k => hashKeyOfRef(k.ref, k.origin))
    const raws = await this.store.sub.hashes.getMany(keys)
    return raws.map((raw, i) => raw === undefined ? undefined : decodeRow(keys[i], raw))
  }

  /** Every row, in key order (by value, then origin). */
  async * all (): AsyncIterable<StoredRow> {
    for await (const [key, raw] of this.store.sub.hashes.iterator(SCAN)) {
      const { ref, origin } = parseHashKey(key)
      yield { ref, origin, row: decodeRow(key, raw) }
    }
  }

  /** Every `sources` row: origin, source and ref, in key order. */
  async * sources (): AsyncIterable<{ origin: string, source: string, ref: string }> {
    for await (const key of this.store.sub.sources.keys(SCAN)) yield parseSourceKey(key)
  }

  /** Whether each (origin, source, ref) has its `sources` row. */
  async hasSources (keys: Array<{ origin: string, source: string, ref: string }>): Promise<boolean[]> {
    const raws = await this.store.sub.sources.getMany(keys.map(k => sourceKey(k.origin, k.source, k.ref)))
    return raws.map(raw => raw !== undefined)
  }

  /** Hashes in current sets, optionally of one origin and/or algorithm. */
  async * current (filter: { origin?: string, algorithm?: AlgorithmName } = {}): AsyncIterable<CurrentRecord> {
    const range = filter.algorithm === undefined ? {} : hashRange(filter.algorithm)
    for await (const [key, value] of this.store.sub.hashes.iterator(range)) {
      const { ref, origin } = parseHashKey(key)
      if (filter.origin !== undefined && origin !== filter.origin) continue
      const p = decodeRow(key, value)
      if (p.retracted === true) continue
      yield toCurrent(ref, origin, p)
    }
  }

  /** Every origin's row of one value, current or retracted. */
  async * ofValue (algorithm: AlgorithmName, value: Uint8Array): AsyncIterable<{ current: CurrentRecord, row: IndexRow }> {
    for await (const [key, raw] of this.store.sub.hashes.iterator(hashRange(algorithm, formatHashValue(value)))) {
      const { ref, origin } = parseHashKey(key)
      const p = decodeRow(key, raw)
      yield { current: toCurrent(ref, origin, p), row: toIndexRow(p) }
    }
  }
}

function decodeRow (key: string, raw: Uint8Array): hashfed.v1.Provenance {
  return decodeStored(pb.Provenance, raw, `hash row ${key}`)
}

function toIndexRow (p: hashfed.v1.Provenance): IndexRow {
  return { seq: u64(p.seq), index: p.index ?? 0, retracted: p.retracted === true, retractedSeq: u64(p.retractedSeq), retractReason: p.retractReason ?? '', meta: metaFromProto(p.entry ?? {}) }
}

function toCurrent (ref: string, origin: string, p: hashfed.v1.Provenance): CurrentRecord {
  const colon = ref.indexOf(':')
  const algorithm = ref.slice(0, colon) as AlgorithmName
  const { quality, ...meta } = metaFromProto(p.entry ?? {})
  const record: HashRecord = { algorithm, value: hexToBytes(ref.slice(colon + 1)) ?? new Uint8Array(0), ...meta }
  if (quality !== undefined) record.quality = quality
  return { origin, record, seq: u64(p.seq) }
}
