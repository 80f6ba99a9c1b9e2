import { hfError, ErrorCodes } from '../errors.js'
import type { hashfed } from '../proto/index.js'
import type { Identity } from '../identity/identity.js'
import type { AppendItem, HashRecord, LogEntry } from './entry.js'
import { addToProto, entryToProto } from './entry-codec.js'
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

/**
 * Plans an append: validates every item before anything is read, loads the index rows the
 * items may change, walks the items in order (so an add and a retract of one hash in one
 * write come out right, and no-ops are left out), then cuts and signs the batches and patches
 * seq/index into the rows. Nothing is written: the log writes the plan in one atomic write.
 */
export async function planAppend (p: AppendPlanInit): Promise<AppendPlan> {
  const { identity, items } = p
  const origin = identity.peerId.toString()
  const missing = p.init.missingRetract ?? 'error'
  const tracker = new RowTracker(origin)
  const result: AppendResult = { batches: [], added: 0, updated: 0, unchanged: 0, retracted: 0, notHeld: [] }

  // 1. validate every item before reading or writing anything. Adds with the metadata of the
  // add before them share its meta object (an import's usually all do): fewer objects held
  // through the write, and the index rows encode it once (provenance-writer.ts)
  let lastRecord: HashRecord | undefined
  let lastMeta: PbEntry = NO_META
  const changes: Array<Change | null> = items.map(item => {
    if (item.op === 'retract-source') {
      if (typeof item.source !== 'string' || item.source === '') throw hfError(ErrorCodes.INVALID_ARGUMENT, 'retract-source needs a source')
      requireReason(item.reason)
      return null
    }
    if (item.op === 'add') {
      const { entry, meta } = addToProto(item.record, lastRecord !== undefined && sameRecordMeta(lastRecord, item.record) ? lastMeta : undefined)
      lastRecord = item.record
      lastMeta = meta
      return { op: 'add', ref: refOf(item.record.algorithm, item.record.value), pb: entry, meta, hash: keyHash(entry.algorithm as number, item.record.value), entry: item, row: null }
    }
    if (item.op === 'benign') {
      // no index row: benign entries live in the log and the benign index only
      return { op: 'benign', ref: refOf(item.algorithm, item.value), pb: entryToProto(item), meta: NO_META, hash: 0, entry: item, row: null }
    }
    if (item.op === 'retract') {
      requireReason(item.reason)
      const entry = entryToProto(item)
      return { op: 'retract', ref: refOf(item.algorithm, item.value), pb: entry, meta: NO_META, hash: 0, entry: item, row: null }
    }
    throw hfError(ErrorCodes.INVALID_ARGUMENT, `unknown log item op "${String((item as { op?: unknown }).op)}"`)
  })

  // 2. load the rows these items may change: a LevelDB read only where the key filter says "maybe"
  const toFetch: string[] = []
  const sourceRefs = new Map<string, string[]>()
  for (const c of changes) {
    if (c === null || c.op === 'benign') continue
    if (c.op === 'retract' || p.filter.mightHave(c.hash)) toFetch.push(c.ref)
    else tracker.load(c.ref, undefined)
  }
  const readsSources = items.some(item => item.op === 'retract-source')
  if (p.beforeRead !== undefined && (readsSources || toFetch.length > 0)) await p.beforeRead(toFetch, readsSources)
  for (const item of items) {
    if (item.op !== 'retract-source' || sourceRefs.has(item.source)) continue
    const refs = await p.rows.sourceRefs(origin, item.source)
    toFetch.push(...refs)
    sourceRefs.set(item.source, refs)
  }
  await p.rows.loadInto(tracker, origin, toFetch)

  // 3. walk the items in order: what each one changes; no-ops are left out of the batches
  const planned: Change[] = []
  const count = (effect: Effect): void => {
    if (effect === 'added' || effect === 'readded') result.added++
    else if (effect === 'updated') result.updated++
    else if (effect === 'unchanged') result.unchanged++
    else if (effect === 'retracted') result.retracted++
  }
  for (let i = 0; i < items.length; i++) {
    const item = items[i]
    const c = changes[i]
    if (c !== null && c.op === 'benign') {
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
  while (ranges.length > 0) {
    const [from, to] = ranges.shift() as [number, number]
    let batch: Batch
    try {
      batch = buildBatch({ identity, seq: seq + 1, prevHash, createdMs, entries: planned.slice(from, to).map(c => c.pb) })
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
    batches.push({ batch, entries: planned.slice(from, to).map(c => c.entry) })
    for (let i = from; i < to; i++) {
      if (planned[i].op === 'benign') continue
      const row = planned[i].row as Row
      // in entry order, so the last add or retract of a hash in this write decides its row
      if (planned[i].op === 'add') { row.seq = seq; row.index = i - from } else if (row.retracted) row.retractedSeq = seq
    }
  }
  // before the write: a filter entry for a write that then fails costs one needless read later
  for (const c of planned) if (c.op === 'add') p.filter.add(c.hash)
  return { result, batches, tracker, logEntries }
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
