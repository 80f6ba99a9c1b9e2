import { isHashfedError, ErrorCodes } from '../errors.js'
import { pb, type hashfed } from '../proto/index.js'
import type { Store } from '../store/store.js'
import { decodeStored } from '../store/stored-record.js'
import { batchKey } from '../store/layout.js'
import { decodeBatch, type Batch } from './batch.js'
import type { LogEntry } from './entry.js'
import { algorithmOf, metaFromProto, metaToProto } from './entry-codec.js'
import { refOf } from './hash-ref.js'
import { u64 } from './uint64.js'
import { storedOrigins, walkChain } from './chain-audit.js'
import type { IndexRows } from './index-rows.js'
import type { IndexProblem, StoreFault, StoreVerifyInit, StoreVerifyReport, StoreVerifySummary } from './log-types.js'

type PbEntry = hashfed.v1.HashEntry.$Properties
type Provenance = hashfed.v1.Provenance

/** Per origin: what the batches account for, and what the rows hold. */
interface Tally {
  /** rows an add proved (the row names that add and carries its metadata) */
  provenAdds: number
  /** retracted rows a retract proved */
  provenRetracts: number
  entries: number
  rows: number
  retracted: number
  /** current rows with a source: each needs its `sources` row */
  sourced: number
  sourceRows: number
}

const SOURCE_CHUNK = 1000

/**
 * `hashfed verify`: every stored batch (walkChain) and every index row against the batches,
 * streaming with memory bounded by one batch and a few counters per origin.
 *
 * The rows are checked without replaying the log into memory. While walking the batches, each
 * entry's row is read: an add needs a row naming that add or a later one; the row that names
 * exactly this add must carry its metadata and is counted as proven; a retract after the row's
 * add needs a retracted row, and the first such retract proves it. Then the rows are counted:
 * a row no add proved (extra), or a retracted row no retract proved, makes the counts differ,
 * and only then is the culprit looked for row by row.
 */
export async function verifyStore (store: Store, rows: IndexRows, init: StoreVerifyInit = {}): Promise<StoreVerifyReport> {
  const summary: StoreVerifySummary = { origins: 0, batches: 0, entries: 0, indexRows: 0, sourceRows: 0, ms: 0 }
  const started = performance.now()
  try {
    return await audit(store, rows, init, summary, started)
  } catch (err) {
    // a record that does not decode is a fault like any other, not a crash of the audit
    if (!isHashfedError(err, ErrorCodes.STORE_CORRUPT)) throw err
    summary.ms = Math.round(performance.now() - started)
    return { ok: false, fault: { origin: originOf(String(err.details?.what ?? '')), seq: 0, problem: 'undecodable', message: err.message }, ...summary }
  }
}

/** The origin a damaged record names (`hash row <alg>:<hex>:<origin>`, `head of <origin>`), if any. */
function originOf (what: string): string {
  if (what.startsWith('head of ')) return what.slice('head of '.length)
  if (what.startsWith('hash row ')) return what.slice(what.lastIndexOf(':') + 1)
  return ''
}

async function audit (store: Store, rows: IndexRows, init: StoreVerifyInit, summary: StoreVerifySummary, started: number): Promise<StoreVerifyReport> {
  const done = (fault?: StoreFault): StoreVerifyReport => {
    summary.ms = Math.round(performance.now() - started)
    return fault === undefined ? { ok: true, ...summary } : { ok: false, fault, ...summary }
  }
  const wanted = (origin: string): boolean => init.origin === undefined || origin === init.origin
  const origins = (await storedOrigins(store)).filter(wanted)
  const tallies = new Map<string, Tally>()
  const tallyOf = (origin: string): Tally => {
    let t = tallies.get(origin)
    if (t === undefined) tallies.set(origin, t = { provenAdds: 0, provenRetracts: 0, entries: 0, rows: 0, retracted: 0, sourced: 0, sourceRows: 0 })
    return t
  }

  // 1. the chains, and each entry against its row
  for (const origin of origins) {
    const tally = tallyOf(origin)
    const walk = await walkChain(store, origin, async (batch, entries) => await checkEntries(rows, batch, entries, tally))
    summary.origins++
    summary.entries += walk.entries
    if (!walk.report.ok) return done(walk.fault ?? { origin, seq: walk.report.seq, problem: walk.report.problem, message: walk.report.message })
    summary.batches += walk.report.batches
    tally.entries = walk.entries
  }

  // 2. every row, counted per origin
  for await (const { origin, row } of rows.all()) {
    if (!wanted(origin)) continue
    summary.indexRows++
    const t = tallyOf(origin)
    t.rows++
    if (row.retracted === true) t.retracted++
    else if ((row.entry?.source ?? '') !== '') t.sourced++
  }
  for (const [origin, t] of [...tallies].sort(([a], [b]) => a < b ? -1 : 1)) {
    if (t.rows !== t.provenAdds || t.retracted !== t.provenRetracts) return done(await findUnproven(store, rows, origin))
    const fault = await checkHeadCounts(store, origin, t)
    if (fault !== undefined) return done(fault)
  }

  // 3. every `sources` row names a current row with that source, and every such row has one
  let chunk: Array<{ origin: string, source: string, ref: string }> = []
  const checkChunk = async (): Promise<StoreFault | undefined> => {
    const found = await rows.getRaw(chunk)
    for (let i = 0; i < chunk.length; i++) {
      const { origin, source, ref } = chunk[i]
      const row = found[i]
      if (row === undefined || row.retracted === true || (row.entry?.source ?? '') !== source) {
        return fault(origin, row === undefined ? 0 : u64(row.seq), 'extra-row', `the sources row of ${ref} (source "${source}") names no current hash of ${origin} with that source`)
      }
    }
    chunk = []
  }
  for await (const s of rows.sources()) {
    if (!wanted(s.origin)) continue
    summary.sourceRows++
    tallyOf(s.origin).sourceRows++
    chunk.push(s)
    if (chunk.length >= SOURCE_CHUNK) {
      const f = await checkChunk()
      if (f !== undefined) return done(f)
    }
  }
  const f = await checkChunk()
  if (f !== undefined) return done(f)
  for (const [origin, t] of [...tallies].sort(([a], [b]) => a < b ? -1 : 1)) {
    if (t.sourceRows !== t.sourced) return done(await findMissingSource(rows, origin))
  }
  return done()
}

/** Checks one verified batch's entries against the origin's rows (see verifyStore). */
async function checkEntries (rows: IndexRows, batch: Batch, entries: LogEntry[], tally: Tally): Promise<StoreFault | undefined> {
  const origin = batch.originId
  const s = batch.seq
  const refs = entries.map(e => e.op === 'add' ? refOf(e.record.algorithm, e.record.value) : refOf(e.algorithm, e.value))
  const unique = [...new Set(refs)]
  const stored = await rows.getRaw(unique.map(ref => ({ ref, origin })))
  const rowOf = new Map(unique.map((r, i) => [r, stored[i]]))
  /** refs whose retraction this batch proved already: later retracts of them here are no-ops */
  const retractedHere = new Set<string>()
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i]
    const ref = refs[i]
    const row = rowOf.get(ref)
    const at = `batch ${s} entry ${i}`
    if (e.op === 'benign') continue // benign entries have no index row
    if (e.op === 'add') {
      if (row === undefined) return fault(origin, s, 'missing-row', `${at} adds ${ref} but its index row is missing`)
      // where the row's add is, against this add: a later add decides the row, so nothing to check here
      const cmp = compare(u64(row.seq), row.index ?? 0, s, i)
      if (cmp === 0) {
        if (!sameMeta(row.entry ?? {}, batch.entries[i])) return fault(origin, s, 'wrong-row', `the index row of ${ref} does not carry the metadata of ${at}`)
        tally.provenAdds++
      } else if (cmp < 0) {
        // an add after the row's add leaves the row only when it repeats the metadata of a current hash
        if (!sameMeta(row.entry ?? {}, batch.entries[i]) || (row.retracted === true && retractedBefore(row, s, ref, retractedHere))) {
          return fault(origin, s, 'wrong-row', `${at} adds ${ref} but its index row names an earlier add (batch ${u64(row.seq)} entry ${row.index ?? 0})`)
        }
      }
      continue
    }
    // a retract of a hash the origin never held is a no-op; one before the row's add is history
    if (row === undefined || compare(u64(row.seq), row.index ?? 0, s, i) > 0) continue
    const rs = u64(row.retractedSeq)
    if (row.retracted !== true) return fault(origin, s, 'wrong-row', `${at} retracts ${ref} after its last add, but its index row says it is current`)
    if (rs > s) return fault(origin, s, 'wrong-row', `${at} retracts ${ref}, but its index row says batch ${rs} did`)
    if (rs === s && !retractedHere.has(ref)) {
      if ((row.retractReason ?? '') !== e.reason) return fault(origin, s, 'wrong-row', `the index row of ${ref} does not carry the reason of ${at}`)
      retractedHere.add(ref)
      tally.provenRetracts++
    }
  }
}

/** The row's retraction happened before entry (s, ·) of this batch: in an earlier batch, or earlier here. */
function retractedBefore (row: Provenance, s: number, ref: string, here: Set<string>): boolean {
  const rs = u64(row.retractedSeq)
  return rs < s || (rs === s && here.has(ref))
}

/** The head row's counts against the rows and batches. */
async function checkHeadCounts (store: Store, origin: string, t: Tally): Promise<StoreFault | undefined> {
  const raw = await store.sub.heads.get(origin)
  if (raw === undefined) return t.rows === 0 ? undefined : fault(origin, 0, 'extra-row', `${t.rows} index rows name ${origin}, which has no log in this store`)
  const h = decodeStored(pb.Head, raw, `head of ${origin}`)
  const want = { entries: t.entries, current: t.rows - t.retracted, retracted: t.retracted }
  const got = { entries: u64(h.entries), current: u64(h.current), retracted: u64(h.retracted) }
  for (const k of ['entries', 'current', 'retracted'] as const) {
    if (want[k] !== got[k]) return fault(origin, u64(h.seq), 'head-counts', `the head of ${origin} counts ${got[k]} ${k}, the log and its rows ${want[k]}`)
  }
}

/**
 * The first row of `origin` that no batch entry proves: its add is not where it says, or its
 * retraction is not. Runs only when the counts say there is one; reads batches with a small cache.
 */
async function findUnproven (store: Store, rows: IndexRows, origin: string): Promise<StoreFault> {
  const cache = new Map<number, Batch | null>()
  const batchAt = async (seq: number): Promise<Batch | null> => {
    if (!cache.has(seq)) {
      if (cache.size >= 64) cache.delete(cache.keys().next().value as number)
      const signed = await store.sub.batches.get(batchKey(origin, seq))
      // the chain walk verified its signature (with the key history) before the index is looked at
      cache.set(seq, signed === undefined ? null : decodeBatch(signed))
    }
    return cache.get(seq) ?? null
  }
  for await (const { ref, origin: o, row } of rows.all()) {
    if (o !== origin) continue
    const seq = u64(row.seq)
    const index = row.index ?? 0
    const added = (await batchAt(seq))?.entries[index]
    if (added === undefined || added.op !== pb.HashEntry.Op.ADD || refOfPb(added) !== ref) {
      return fault(origin, seq, 'extra-row', `the index row of ${ref} names batch ${seq} entry ${index}, which does not add it`)
    }
    if (row.retracted !== true) continue
    const rs = u64(row.retractedSeq)
    const retracts = (await batchAt(rs))?.entries.some((e, i) => e.op === pb.HashEntry.Op.RETRACT && refOfPb(e) === ref && compare(seq, index, rs, i) < 0) ?? false
    if (!retracts) return fault(origin, rs, 'wrong-row', `the index row of ${ref} says batch ${rs} retracted it after batch ${seq}, but that batch does not`)
  }
  return fault(origin, 0, 'wrong-row', `the index rows of ${origin} do not match its log`)
}

/** The first current sourced row of `origin` without its `sources` row. */
async function findMissingSource (rows: IndexRows, origin: string): Promise<StoreFault> {
  for await (const { ref, origin: o, row } of rows.all()) {
    const source = row.entry?.source ?? ''
    if (o !== origin || row.retracted === true || source === '') continue
    const [has] = await rows.hasSources([{ origin, source, ref }])
    if (!has) return fault(origin, u64(row.seq), 'missing-row', `${ref} is current with source "${source}" but its sources row is missing`)
  }
  return fault(origin, 0, 'extra-row', `the sources rows of ${origin} do not match its index rows`)
}

function fault (origin: string, seq: number, problem: IndexProblem, message: string): StoreFault {
  return { origin, seq, problem, message }
}

/** Orders (seq, index) positions in the log. */
function compare (s1: number, i1: number, s2: number, i2: number): number {
  return s1 !== s2 ? s1 - s2 : i1 - i2
}

/** Same metadata, normalised through the codec (a decoded default and an absent field agree). */
function sameMeta (a: PbEntry, b: PbEntry): boolean {
  const norm = (e: PbEntry): Buffer => Buffer.from(pb.HashEntry.encode(metaToProto(metaFromProto(e))).finish())
  return norm(a).equals(norm(b))
}

function refOfPb (e: PbEntry): string {
  return refOf(algorithmOf(e), e.value ?? new Uint8Array(0))
}
