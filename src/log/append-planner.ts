import { hfError, ErrorCodes } from '../errors.js'
import { pb, type hashfed } from '../proto/index.js'
import type { Identity } from '../identity/identity.js'
import type { AppendItem, HashRecord, LogEntry } from './entry.js'
import { addToProto, checkEntry, entryToProto, metaToProto } from './entry-codec.js'
import { algorithmToEnum } from './hash-value.js'
import type { BodyEntries } from './batch-body-encoder.js'
import { buildBatch, rejectReasonOf, type Batch } from './batch.js'
import { keyHash, type KeyFilter } from './key-filter.js'
import { RowTracker, type Effect, type Row } from './row-tracker.js'
import { parseRef, refOf } from './hash-ref.js'
import type { IndexRows } from './index-rows.js'
import type { AppendInit, AppendResult, OriginHead } from './log-types.js'

type PbEntry = hashfed.v1.HashEntry.$Properties
const NO_META: PbEntry = {}

export interface AppendPlanInit {
  identity: Identity
  items: AppendItem[]
  init: AppendInit
  /** our origin's head before this write */
  head: OriginHead | undefined
  /** our origin's key filter: a row read only where it says "maybe" */
  filter: KeyFilter
  rows: IndexRows
  batchEntries: number
  /** read once, when there is something to write: the batches' created_ms */
  now: () => number
  /**
   * Called before any row or `sources` read with the refs to read: waits for a write in
   * flight that changes them (the rows in the store are not yet what this plan builds on).
   */
  beforeRead?: (refs: string[], readsSources: boolean) => Promise<void>
}

/** What one append writes: signed batches with the entries each holds, and the rows they change. */
export interface AppendPlan {
  result: AppendResult
  batches: Array<{ batch: Batch, entries: LogEntry[] }>
  tracker: RowTracker
  /** the origin's log entries after the write */
  logEntries: number
}

interface Change { op: 'add' | 'retract' | 'benign', ref: string, pb: PbEntry, meta: PbEntry, hash: number, entry: LogEntry, row: Row | null }

/** A planned entry: a Change, or the index in `items` of a fresh add (RowTracker.addFresh), which needs no object of its own. */
type Planned = Change | number

/**
 * Plans an append: validates every item before anything is read, loads the index rows the
 * items may change, walks the items in order (so an add and a retract of one hash in one
 * write come out right, and no-ops are left out), then cuts and signs the batches and patches
 * seq/index into the rows. Nothing is written: the log writes the plan in one atomic write.
 *
 * An add the key filter says the origin never held, of a hash no other entry of the write
 * adds or retracts, in a write without a retract-source, is "fresh": its effect is 'added'
 * without a read, and it is planned by its index alone (no ref string, Change, HashEntry or
 * Row object): an import of new hashes is nearly all such adds.
 */
export async function planAppend (p: AppendPlanInit): Promise<AppendPlan> {
  const { identity, items } = p
  const origin = identity.peerId.toString()
  const missing = p.init.missingRetract ?? 'error'
  const tracker = new RowTracker(origin)
  const result: AppendResult = { batches: [], added: 0, updated: 0, unchanged: 0, retracted: 0, notHeld: [] }
  const n = items.length
  let readsSources = false

  // 1. validate every item before reading or writing anything. Adds with the metadata of the
  // add before them share its meta object (an import's usually all do): fewer objects held
  // through the write, and the batch body and index rows encode it once
  let lastRecord: HashRecord | undefined
  let lastMeta: PbEntry = NO_META
  const metas = new Array<PbEntry>(n)
  const hashes = new Float64Array(n)
  const fresh = new Uint8Array(n)
  /** 1: an add or retract, whose key hash is in `hashes` */
  const keyed = new Uint8Array(n)
  const changes = new Array<Change | null>(n).fill(null)
  for (let i = 0; i < n; i++) {
    const item = items[i]
    if (item.op === 'add') {
      const record = item.record
      checkEntry(item)
      const meta = lastRecord !== undefined && sameRecordMeta(lastRecord, record) ? lastMeta : metaToProto(record)
      lastRecord = record
      lastMeta = meta
      const hash = keyHash(algorithmToEnum(record.algorithm), record.value)
      metas[i] = meta
      hashes[i] = hash
      keyed[i] = 1
      fresh[i] = record.frames !== undefined || record.algorithm === 'vpdq' || p.filter.mightHave(hash) ? 0 : 1
    } else if (item.op === 'retract-source') {
      if (typeof item.source !== 'string' || item.source === '') throw hfError(ErrorCodes.INVALID_ARGUMENT, 'retract-source needs a source')
      requireReason(item.reason)
      readsSources = true
    } else if (item.op === 'benign') {
      // no index row: benign entries live in the log and the benign index only
      changes[i] = { op: 'benign', ref: refOf(item.algorithm, item.value), pb: entryToProto(item), meta: NO_META, hash: 0, entry: item, row: null }
    } else if (item.op === 'retract') {
      requireReason(item.reason)
      const entry = entryToProto(item)
      hashes[i] = keyHash(entry.algorithm as number, item.value)
      keyed[i] = 1
      changes[i] = { op: 'retract', ref: refOf(item.algorithm, item.value), pb: entry, meta: NO_META, hash: 0, entry: item, row: null }
    } else {
      throw hfError(ErrorCodes.INVALID_ARGUMENT, `unknown log item op "${String((item as { op?: unknown }).op)}"`)
    }
  }
  if (readsSources) fresh.fill(0)
  else unmarkRepeats(hashes, keyed, fresh)
  for (let i = 0; i < n; i++) {
    const item = items[i]
    if (item.op !== 'add' || fresh[i] === 1) continue
    changes[i] = { op: 'add', ref: refOf(item.record.algorithm, item.record.value), pb: addToProto(item.record, metas[i]).entry, meta: metas[i], hash: hashes[i], entry: item, row: null }
  }

  // 2. load the rows these items may change: a LevelDB read only where the key filter says "maybe"
  const toFetch: string[] = []
  const sourceRefs = new Map<string, string[]>()
  for (const c of changes) {
    if (c === null || c.op === 'benign') continue
    if (c.op === 'retract' || p.filter.mightHave(c.hash)) toFetch.push(c.ref)
    else tracker.load(c.ref, undefined)
  }
  if (p.beforeRead !== undefined && (readsSources || toFetch.length > 0)) await p.beforeRead(toFetch, readsSources)
  for (const item of items) {
    if (item.op !== 'retract-source' || sourceRefs.has(item.source)) continue
    const refs = await p.rows.sourceRefs(origin, item.source)
    toFetch.push(...refs)
    sourceRefs.set(item.source, refs)
  }
  await p.rows.loadInto(tracker, origin, toFetch)

  // 3. walk the items in order: what each one changes; no-ops are left out of the batches
  const planned: Planned[] = []
  const count = (effect: Effect): void => {
    if (effect === 'added' || effect === 'readded') result.added++
    else if (effect === 'updated') result.updated++
    else if (effect === 'unchanged') result.unchanged++
    else if (effect === 'retracted') result.retracted++
  }
  let freshCount = 0
  for (let i = 0; i < n; i++) freshCount += fresh[i]
  tracker.reserveFresh(freshCount)
  for (let i = 0; i < n; i++) {
    const item = items[i]
    const c = changes[i]
    if (fresh[i] === 1) {
      result.added++
      tracker.addFresh((item as Extract<AppendItem, { op: 'add' }>).record, metas[i], hashes[i])
      planned.push(i)
    } else if (c !== null && c.op === 'benign') {
      planned.push(c)
    } else if (c !== null && c.op === 'add') {
      const effect = tracker.add(c.ref, c.meta, 0, 0)
      count(effect)
      if (effect === 'unchanged') continue
      c.row = tracker.get(c.ref)
      planned.push(c)
    } else if (c !== null) {
      const effect = tracker.retract(c.ref, (c.entry as { reason: string }).reason, 0)
      if (effect === 'not-held') {
        if (missing === 'error') throw hfError(ErrorCodes.NOT_FOUND, `cannot retract ${c.ref}: it is not in this node's current set`, { hash: c.ref })
        result.notHeld.push(i)
        continue
      }
      count(effect)
      c.row = tracker.get(c.ref)
      planned.push(c)
    } else if (item.op === 'retract-source') {
      const candidates = new Set([...(sourceRefs.get(item.source) ?? []), ...tracker.currentWithSource(item.source)])
      for (const ref of candidates) {
        const current = tracker.row(ref)
        if (current === null || current.retracted || (current.meta.source ?? '') !== item.source) continue
        const effect = tracker.retract(ref, item.reason, 0)
        if (effect !== 'retracted') continue
        count(effect)
        const entry: LogEntry = { op: 'retract', ...parseRef(ref), reason: item.reason, source: item.source }
        planned.push({ op: 'retract', ref, pb: entryToProto(entry), meta: NO_META, hash: 0, entry, row: tracker.get(ref) })
      }
    }
  }
  const logEntries = (p.head?.entries ?? 0) + planned.length
  if (planned.length === 0) return { result, batches: [], tracker, logEntries }

  // 4. cut batches, sign them, patch seq/index into the rows
  let seq = p.head?.seq ?? 0
  let prevHash = p.head?.hash ?? new Uint8Array(0)
  const batches: AppendPlan['batches'] = []
  const ranges: Array<[number, number]> = []
  for (let from = 0; from < planned.length; from += p.batchEntries) ranges.push([from, Math.min(from + p.batchEntries, planned.length)])
  const createdMs = p.now()
  const metaBytes = new Map<PbEntry, Uint8Array>()
  // the last one asked for: an import's adds share one meta, asked twice an entry (size, then write)
  let lastMetaAsked: PbEntry | undefined
  let lastMetaBytes: Uint8Array = new Uint8Array(0)
  const addOf = (x: number): HashRecord => (items[x] as Extract<AppendItem, { op: 'add' }>).record
  let slot = 0 // the next fresh row, in planned order
  while (ranges.length > 0) {
    const [from, to] = ranges.shift() as [number, number]
    const parts: BodyEntries = {
      length: to - from,
      pbAt: (k) => { const x = planned[from + k]; return typeof x === 'number' ? null : x.pb },
      algorithmAt: (k) => algorithmToEnum(addOf(planned[from + k] as number).algorithm),
      valueAt: (k) => addOf(planned[from + k] as number).value,
      metaBytesAt: (k) => {
        const meta = metas[planned[from + k] as number]
        if (meta === lastMetaAsked) return lastMetaBytes
        let bytes = metaBytes.get(meta)
        if (bytes === undefined) { bytes = pb.HashEntry.encode(meta).finish(); metaBytes.set(meta, bytes) }
        lastMetaAsked = meta
        lastMetaBytes = bytes
        return bytes
      }
    }
    let batch: Batch
    try {
      batch = buildBatch({ identity, seq: seq + 1, prevHash, createdMs, entries: parts })
    } catch (err) {
      // too many bytes (large metadata): halve the range and try again
      if (rejectReasonOf(err) === 'too-large' && to - from > 1) {
        const mid = from + Math.floor((to - from) / 2)
        ranges.unshift([from, mid], [mid, to])
        continue
      }
      throw err
    }
    seq++
    prevHash = batch.hash
    const entries = new Array<LogEntry>(to - from)
    for (let i = from; i < to; i++) {
      const x = planned[i]
      if (typeof x === 'number') {
        entries[i - from] = items[x] as LogEntry
        tracker.setFreshPosition(slot++, seq, i - from)
        continue
      }
      entries[i - from] = x.entry
      if (x.op === 'benign') continue
      const row = x.row as Row
      // in entry order, so the last add or retract of a hash in this write decides its row
      if (x.op === 'add') { row.seq = seq; row.index = i - from } else if (row.retracted) row.retractedSeq = seq
    }
    batches.push({ batch, entries })
  }
  // before the write: a filter entry for a write that then fails costs one needless read later
  for (const x of planned) {
    if (typeof x === 'number') p.filter.add(hashes[x])
    else if (x.op === 'add') p.filter.add(x.hash)
  }
  return { result, batches, tracker, logEntries }
}

/**
 * Clears `fresh` for every keyed item whose key hash another keyed item shares (the same hash
 * added twice, added and retracted, or two hashes that collide): those take the tracker. An
 * open-addressing table of item indexes, not a Map: it runs for every entry of an import.
 */
function unmarkRepeats (hashes: Float64Array, keyed: Uint8Array, fresh: Uint8Array): void {
  let size = 16
  while (size < 2 * hashes.length) size *= 2
  const mask = size - 1
  const slots = new Int32Array(size).fill(-1)
  for (let i = 0; i < hashes.length; i++) {
    if (keyed[i] === 0) continue
    const h = hashes[i]
    let s = h & mask
    for (;;) {
      const j = slots[s]
      if (j === -1) { slots[s] = i; break }
      if (hashes[j] === h) { fresh[j] = 0; fresh[i] = 0; break }
      s = (s + 1) & mask
    }
  }
}

/** Same metadata fields, compared as written (a record with vPDQ frames never shares). */
function sameRecordMeta (a: HashRecord, b: HashRecord): boolean {
  if (a.frames !== undefined || b.frames !== undefined) return false
  if (a.quality !== b.quality || a.classification !== b.classification || a.iwfCategory !== b.iwfCategory || a.vicsCategory !== b.vicsCategory ||
    a.ageBand !== b.ageBand || a.media !== b.media || a.source !== b.source) return false
  if (a.tags === b.tags) return true
  if (a.tags === undefined || b.tags === undefined || a.tags.length !== b.tags.length) return false
  return a.tags.every((t, i) => t === b.tags?.[i])
}

function requireReason (reason: unknown): void {
  if (typeof reason !== 'string' || reason.trim() === '') throw hfError(ErrorCodes.INVALID_ARGUMENT, 'a retraction needs a reason (e.g. "false positive")')
}
