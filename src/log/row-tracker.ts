import { pb, type hashfed } from '../proto/index.js'
import type { BatchOp, Sublevel } from '../store/store.js'
import { sourcePrefix } from '../store/layout.js'
import { u64 } from './uint64.js'

type PbEntry = hashfed.v1.HashEntry.$Properties

/** One origin's index row for one hash, as it will be written (a Provenance). */
export interface Row {
  /** batch and entry index of the add that set it; patched once batches are cut */
  seq: number
  index: number
  retracted: boolean
  retractedSeq: number
  retractReason: string
  /** the add entry's metadata: HashEntry fields without op, algorithm, value */
  meta: PbEntry
}

interface Tracked {
  /** the row before this write (current? retracted? its source): decides the count deltas and the `sources` rows to change */
  wasCurrent: boolean
  wasRetracted: boolean
  wasSource: string
  row: Row | null
  dirty: boolean
}

/** What one entry did to the origin's current set. */
export type Effect = 'added' | 'updated' | 'readded' | 'unchanged' | 'retracted' | 'not-held'

/**
 * Follows one origin's index rows through the entries of one write: what each add or retract
 * changes, in order, so an add and a retract of the same hash in one write come out right.
 * Knows the rows as they were (from the store) and produces the puts and deletes for
 * `hashes` and `sources`, and the changes of the origin's counts.
 */
export class RowTracker {
  private readonly tracked = new Map<string, Tracked>()
  /** keys whose row, as tracked, carries a given source (retract-source looks here) */
  private readonly bySource = new Map<string, Set<string>>()

  constructor (private readonly origin: string) {}

  /**
   * Registers the stored row of `key` (`<alg>:<hex>:<origin>`; undefined when there is none).
   * Call before any change; a key already tracked keeps its tracked state.
   */
  load (key: string, stored: Uint8Array | undefined): void {
    if (this.tracked.has(key)) return
    let row: Row | null = null
    if (stored !== undefined) {
      const p = pb.Provenance.decode(stored)
      row = { seq: u64(p.seq), index: p.index ?? 0, retracted: p.retracted ?? false, retractedSeq: u64(p.retractedSeq), retractReason: p.retractReason ?? '', meta: p.entry ?? {} }
    }
    const source = row?.meta.source ?? ''
    this.tracked.set(key, { wasCurrent: row !== null && !row.retracted, wasRetracted: row?.retracted ?? false, wasSource: source, row, dirty: false })
    if (row !== null && !row.retracted && source !== '') this.noteSource(source, key)
  }

  has (key: string): boolean {
    return this.tracked.has(key)
  }

  /** The row of `key` as tracked; null when the origin never held it. */
  row (key: string): Row | null {
    return this.tracked.get(key)?.row ?? null
  }

  /** Keys whose tracked row is current and carries `source`. */
  currentWithSource (source: string): string[] {
    const keys = this.bySource.get(source)
    if (keys === undefined) return []
    return [...keys].filter(k => {
      const row = this.row(k)
      return row !== null && !row.retracted && (row.meta.source ?? '') === source
    })
  }

  /**
   * An add of `meta` for `key`. Returns the effect and, when the row changed, the new row
   * (whose seq/index the caller may patch later).
   */
  add (key: string, meta: PbEntry, seq: number, index: number): { effect: Effect, row: Row | null } {
    const t = this.mustTrack(key)
    const old = t.row
    let effect: Effect
    if (old === null) effect = 'added'
    else if (old.retracted) effect = 'readded'
    else if (sameMeta(old.meta, meta)) return { effect: 'unchanged', row: null }
    else effect = 'updated'
    const row: Row = { seq, index, retracted: false, retractedSeq: 0, retractReason: '', meta }
    t.row = row
    t.dirty = true
    if (meta.source != null && meta.source !== '') this.noteSource(meta.source, key)
    return { effect, row }
  }

  /** A retract of `key`; the row is changed in place so a later seq patch of its add still lands. */
  retract (key: string, reason: string, seq: number): { effect: Effect, row: Row | null } {
    const t = this.mustTrack(key)
    const row = t.row
    if (row === null || row.retracted) return { effect: 'not-held', row: null }
    row.retracted = true
    row.retractedSeq = seq
    row.retractReason = reason
    t.dirty = true
    return { effect: 'retracted', row }
  }

  /** Store ops for every changed row, and how the origin's counts change. */
  finish (hashes: Sublevel, sources: Sublevel): { ops: BatchOp[], current: number, retracted: number } {
    const ops: BatchOp[] = []
    let current = 0
    let retracted = 0
    for (const [key, t] of this.tracked) {
      if (!t.dirty || t.row === null) continue
      const row = t.row
      const value = pb.Provenance.encode({
        seq: row.seq,
        index: row.index,
        retracted: row.retracted,
        retractedSeq: row.retractedSeq,
        retractReason: row.retractReason,
        entry: row.meta
      }).finish()
      ops.push({ type: 'put', sublevel: hashes, key, value })
      const nowCurrent = !row.retracted
      current += Number(nowCurrent) - Number(t.wasCurrent)
      retracted += Number(row.retracted) - Number(t.wasRetracted)
      // `sources` lists current rows only, so a retract-source never meets a stale key
      const before = t.wasCurrent ? t.wasSource : ''
      const after = nowCurrent ? (row.meta.source ?? '') : ''
      if (before !== after) {
        const ref = key.slice(0, key.lastIndexOf(':')) // <alg>:<hex>
        if (before !== '') ops.push({ type: 'del', sublevel: sources, key: sourcePrefix(this.origin, before) + ref })
        if (after !== '') ops.push({ type: 'put', sublevel: sources, key: sourcePrefix(this.origin, after) + ref, value: EMPTY })
      }
    }
    return { ops, current, retracted }
  }

  private mustTrack (key: string): Tracked {
    const t = this.tracked.get(key)
    if (t === undefined) throw new Error(`row ${key} was not loaded`)
    return t
  }

  private noteSource (source: string, key: string): void {
    let keys = this.bySource.get(source)
    if (keys === undefined) {
      keys = new Set()
      this.bySource.set(source, keys)
    }
    keys.add(key)
  }
}

const EMPTY = new Uint8Array(0)

/** Same metadata: compared on the encoding, so field order and absent-vs-default agree. */
function sameMeta (a: PbEntry, b: PbEntry): boolean {
  return Buffer.from(pb.HashEntry.encode(a).finish()).equals(pb.HashEntry.encode(b).finish())
}
