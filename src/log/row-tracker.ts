import { pb, type hashfed } from '../proto/index.js'
import type { BatchOp, StoreOp, Sublevel } from '../store/store.js'
import { HashKeyWriter, hashKeyBytes, hashKeyOfRef, sourceKey, sourceKeyBytes } from '../store/layout.js'
import { decodeStored } from '../store/stored-record.js'
import { u64 } from './uint64.js'
import type { HashRecord } from './entry.js'
import { algorithmToEnum } from './hash-value.js'
import { parseRef, refOf } from './hash-ref.js'
import { keyHash } from './key-filter.js'
import { CurrentRowWriter, ProvenanceWriter, type ProvenanceFields } from './provenance-writer.js'

type PbEntry = hashfed.v1.HashEntry.$Properties

/**
 * One origin's index row for one hash through one write: as it was in the store (`was…`) and
 * as it will be written (a Provenance). One object per hash: a write touches thousands.
 */
export interface Row extends ProvenanceFields {
  /** a row exists (stored, or created by this write); seq/index (the add that set it) are patched once batches are cut */
  exists: boolean
  /** changed by this write */
  dirty: boolean
  /** the stored row: current? retracted? its source. Decides the count deltas and `sources` rows */
  wasCurrent: boolean
  wasRetracted: boolean
  wasSource: string
}

/** What one entry did to the origin's current set. */
export type Effect = 'added' | 'updated' | 'readded' | 'unchanged' | 'retracted' | 'not-held'

const NO_META: PbEntry = {}

/**
 * Follows one origin's index rows through the entries of one write: what each add or retract
 * changes, in order, so an add and a retract of the same hash in one write come out right.
 * Knows the rows as they were (from the store) and produces the puts and deletes for
 * `hashes` and `sources`, and the changes of the origin's counts.
 */
export class RowTracker {
  private readonly rows = new Map<string, Row>()
  /** keys whose row, as tracked, carries a given source (retract-source looks here) */
  private readonly bySource = new Map<string, Set<string>>()

  /**
   * Rows this write creates for hashes the origin never held and no other entry of the write
   * touches (addFresh): an import's rows, kept as columns rather than a Row, a ref string and
   * a map entry each, which lived through the write and were most of an import's garbage.
   */
  private readonly fresh = { count: 0, records: [] as HashRecord[], metas: [] as PbEntry[], hashes: new Float64Array(16), seqs: new Float64Array(16), indexes: new Uint32Array(16) }
  /** once finished: the keys of the tracked rows the write changes (the rows themselves are let go, see finish) */
  private written: string[] | null = null
  private writtenSet: Set<string> | null = null
  private scans = 0

  /** `keepsSources` false: nothing will ask currentWithSource (a peer's batch has no retract-source), no per-source sets are kept */
  constructor (private readonly origin: string, private readonly keepsSources = true) {}

  /**
   * A row for `record` (no vPDQ frames) that the origin does not hold (its key filter said
   * so) and that no other entry of this write adds or retracts: its effect is 'added'. Not
   * for a write with a retract-source (currentWithSource does not see these rows). Returns
   * its slot for setFreshPosition.
   */
  addFresh (record: HashRecord, meta: PbEntry, hash: number): number {
    const f = this.fresh
    if (f.count === f.hashes.length) this.reserveFresh(2 * f.count)
    const slot = f.count++
    f.records[slot] = record
    f.metas[slot] = meta
    f.hashes[slot] = hash
    f.seqs[slot] = 0
    f.indexes[slot] = 0
    return slot
  }

  /**
   * Room for `n` fresh rows in all (a write's adds, when known): the columns are sized once,
   * not grown a push at a time (array growth was a tenth of what an import allocated).
   */
  reserveFresh (n: number): void {
    const f = this.fresh
    if (n <= f.hashes.length) return
    const grown = <T extends Float64Array | Uint32Array>(a: T, b: T): T => { b.set(a.subarray(0, f.count)); return b }
    f.hashes = grown(f.hashes, new Float64Array(n))
    f.seqs = grown(f.seqs, new Float64Array(n))
    f.indexes = grown(f.indexes, new Uint32Array(n))
    if (f.count === 0) {
      f.records = new Array<HashRecord>(n)
      f.metas = new Array<PbEntry>(n)
    }
  }

  /** How many rows addFresh added. */
  get freshRows (): number {
    return this.fresh.count
  }

  /** The batch seq and entry index of a fresh row's add, once batches are cut. */
  setFreshPosition (slot: number, seq: number, index: number): void {
    this.fresh.seqs[slot] = seq
    this.fresh.indexes[slot] = index
  }

  /**
   * Registers the stored row of `key` (`<alg>:<hex>`, the `hashes` key without its origin;
   * undefined when there is none).
   * Call before any change; a key already tracked keeps its tracked state.
   */
  load (key: string, stored: Uint8Array | undefined): void {
    if (this.rows.has(key)) return
    if (stored === undefined) {
      this.rows.set(key, { exists: false, seq: 0, index: 0, retracted: false, retractedSeq: 0, retractReason: '', meta: NO_META, dirty: false, wasCurrent: false, wasRetracted: false, wasSource: '' })
      return
    }
    const p = decodeStored(pb.Provenance, stored, `hash row ${hashKeyOfRef(key, this.origin)}`)
    const meta = p.entry ?? NO_META
    const retracted = p.retracted ?? false
    const source = meta.source ?? ''
    this.rows.set(key, { exists: true, seq: u64(p.seq), index: p.index ?? 0, retracted, retractedSeq: u64(p.retractedSeq), retractReason: p.retractReason ?? '', meta, dirty: false, wasCurrent: !retracted, wasRetracted: retracted, wasSource: source })
    if (!retracted && source !== '') this.noteSource(source, key)
  }

  has (key: string): boolean {
    return this.rows.has(key)
  }

  /** This write changes the row of `key` (for a fresh row: may change, on a key-hash match). */
  changes (key: string): boolean {
    if (this.written !== null) {
      // the next write asks about the few keys its key filter may hold (false positives, in a
      // sync): a scan of the keys for those, a Set (~1.5 ms for 10,000 keys) only for many
      if (this.writtenSet === null && ++this.scans <= 16) {
        if (this.written.includes(key)) return true
      } else {
        this.writtenSet ??= new Set(this.written)
        if (this.writtenSet.has(key)) return true
      }
    } else if (this.rows.get(key)?.dirty === true) return true
    const { hashes, count } = this.fresh
    if (count === 0) return false
    let hash: number
    try {
      const { algorithm, value } = parseRef(key)
      hash = keyHash(algorithmToEnum(algorithm), value)
    } catch {
      return true // not a ref we can hash: waiting is always safe
    }
    // a scan, not a set: asked only for the rows a next write reads (its key filter's "maybe"s)
    for (let i = 0; i < count; i++) if (hashes[i] === hash) return true
    return false
  }

  /** The row of `key` if the origin holds or held the hash, as tracked; null otherwise. */
  row (key: string): Row | null {
    const row = this.rows.get(key)
    return row?.exists === true ? row : null
  }

  /** Keys whose tracked row is current and carries `source`. */
  currentWithSource (source: string): string[] {
    if (!this.keepsSources) throw new Error('this row tracker keeps no sources')
    const keys = this.bySource.get(source)
    if (keys === undefined) return []
    return [...keys].filter(k => {
      const row = this.row(k)
      return row !== null && !row.retracted && (row.meta.source ?? '') === source
    })
  }

  /**
   * An add of `meta` for `key`. Returns the effect; when it changed the row, the caller
   * patches the row's seq/index once batches are cut (patches applied in entry order).
   */
  add (key: string, meta: PbEntry, seq: number, index: number): Effect {
    const row = this.mustGet(key)
    let effect: Effect
    if (!row.exists) effect = 'added'
    else if (row.retracted) effect = 'readded'
    else if (sameMeta(row.meta, meta)) return 'unchanged'
    else effect = 'updated'
    row.exists = true
    row.seq = seq
    row.index = index
    row.retracted = false
    row.retractedSeq = 0
    row.retractReason = ''
    row.meta = meta
    row.dirty = true
    if (meta.source != null && meta.source !== '') this.noteSource(meta.source, key)
    return effect
  }

  /** A retract of `key`: 'retracted' when the origin held it, 'not-held' otherwise. */
  retract (key: string, reason: string, seq: number): Effect {
    const row = this.mustGet(key)
    if (!row.exists || row.retracted) return 'not-held'
    row.retracted = true
    row.retractedSeq = seq
    row.retractReason = reason
    row.dirty = true
    return 'retracted'
  }

  /** The tracked row of `key` (loaded before), for seq patches after an add or retract. */
  get (key: string): Row {
    return this.mustGet(key)
  }

  /**
   * Store ops for every changed row, and how the origin's counts change. `hashes` rows go as
   * RawPuts behind `hashesPrefix` (Store.keyPrefix('hashes')): keys and values of a write are
   * each built into one buffer.
   */
  finish (prefixes: { hashes: Uint8Array, sources: Uint8Array }, sources: Sublevel): { ops: StoreOp[], current: number, retracted: number } {
    let current = 0
    let retracted = 0
    const values = new ProvenanceWriter()
    const refs: string[] = []
    const sourceDels: BatchOp[] = []
    const putSources: string[] = []
    const putRefs: string[] = []
    // forEach, not for-of: no [key, row] pair allocated per row
    this.rows.forEach((row, key) => {
      if (!row.dirty) return
      values.add(row)
      refs.push(key)
      const nowCurrent = !row.retracted
      current += Number(nowCurrent) - Number(row.wasCurrent)
      retracted += Number(row.retracted) - Number(row.wasRetracted)
      // `sources` lists current rows only, so a retract-source never meets a stale key
      const before = row.wasCurrent ? row.wasSource : ''
      const after = nowCurrent ? (row.meta.source ?? '') : ''
      if (before !== after) {
        if (before !== '') sourceDels.push({ type: 'del', sublevel: sources, key: sourceKey(this.origin, before, key) })
        if (after !== '') { putSources.push(after); putRefs.push(key) }
      }
    })
    const f = this.fresh
    for (let i = 0; i < f.count; i++) {
      const source = f.metas[i].source ?? ''
      if (source !== '') { putSources.push(source); putRefs.push(refOf(f.records[i].algorithm, f.records[i].value)) }
    }
    current += f.count
    const encoded = values.finish()
    const keys = hashKeyBytes(prefixes.hashes, refs, this.origin)
    const sourceKeys = sourceKeyBytes(prefixes.sources, this.origin, putSources, putRefs)
    const fresh = f.count > 0 ? 1 : 0
    const ops = new Array<StoreOp>(keys.length + fresh + sourceDels.length + sourceKeys.length)
    let at = 0
    for (let i = 0; i < keys.length; i++) ops[at++] = { type: 'put', key: keys[i], value: encoded[i], keyEncoding: 'view' }
    if (fresh === 1) {
      // the fresh rows, made as LevelDB takes them (Store's MadePuts): keys and values written into scratch buffers
      const keyWriter = new HashKeyWriter(prefixes.hashes, this.origin)
      const rowWriter = new CurrentRowWriter()
      const { records, metas, seqs, indexes } = f
      ops[at++] = { type: 'made', count: f.count, key: (i) => keyWriter.keyOf(records[i].algorithm, records[i].value), value: (i) => rowWriter.row(seqs[i], indexes[i], metas[i]) }
    }
    // every `sources` key holds its row's ref: no del and put of one write share a key, so their order is free
    for (let i = 0; i < sourceDels.length; i++) ops[at++] = sourceDels[i]
    for (let i = 0; i < sourceKeys.length; i++) ops[at++] = { type: 'put', key: sourceKeys[i], value: EMPTY, keyEncoding: 'view' }
    // the ops are all that is written: the rows go now, not once LevelDB has stored them. A sync
    // verifies the next batch meanwhile, and what lived through its scavenges was promoted to
    // the old generation (~900 bytes per entry); only the changed keys are kept (`changes`)
    this.written = refs
    this.rows.clear()
    this.bySource.clear()
    return { ops, current, retracted }
  }

  private mustGet (key: string): Row {
    const row = this.rows.get(key)
    if (row === undefined) throw new Error(`row ${key} was not loaded`)
    return row
  }

  private noteSource (source: string, key: string): void {
    if (!this.keepsSources) return
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
