import { EventEmitter } from 'node:events'
import { hfError, ErrorCodes } from '../errors.js'
import { pb, type hashfed } from '../proto/index.js'
import type { Store, BatchOp } from '../store/store.js'
import { batchKey, seqKey, sourcePrefix } from '../store/layout.js'
import { parsePeerId, peerIdFromBytes, type Identity } from '../identity/identity.js'
import { createLogger, type Logger } from '../util/logger.js'
import { decodeStored } from '../store/stored-record.js'
import { algorithmToEnum, formatHashValue, hexToBytes, parseHashValue, type AlgorithmName } from './hash-value.js'
import type { AppendItem, HashRecord, LogEntry } from './entry.js'
import { addToProto, entryFromProto, entryToProto, metaFromProto, metaToProto } from './entry-codec.js'
import { buildBatch, decodeBatch, openBatch, rejectReasonOf, verifyBatchSignature, type Batch, type RejectReason } from './batch.js'
import { DEFAULT_BATCH_ENTRIES, MAX_BATCH_ENTRIES } from './constants.js'
import { KeyFilter, keyHash } from './key-filter.js'
import { u64 } from './uint64.js'
import { RowTracker, type Effect, type Row } from './row-tracker.js'

type PbEntry = hashfed.v1.HashEntry.$Properties

export interface HashLogInit {
  store: Store
  /** @default createLogger({ component: 'log' }) */
  logger?: Logger
  /** clock for created_ms and fork evidence; @default Date.now */
  now?: () => number
  /** entries per batch that `append` writes (at most MAX_BATCH_ENTRIES); @default DEFAULT_BATCH_ENTRIES */
  batchEntries?: number
}

/** One origin's log head as this node holds it, with the counts of its current set. */
export interface OriginHead {
  /** origin peer ID string */
  origin: string
  originBytes: Uint8Array
  seq: number
  hash: Uint8Array
  /** entries (adds and retracts) in batches 1..seq */
  entries: number
  /** hashes in the origin's current set */
  current: number
  /** hashes the origin added and later retracted */
  retracted: number
}

export interface BatchRef {
  origin: string
  seq: number
  hash: Uint8Array
}

/** Emitted after a batch is stored (own or a peer's), in seq order per origin. */
export interface BatchEvent extends BatchRef {
  /** every entry of the batch, in order (an add of a hash already held is an update or a no-op) */
  entries: LogEntry[]
  /** the Signed batch as stored */
  signed: Uint8Array
  /** true for batches we appended, false for batches applied from peers */
  local: boolean
  /** peer that served the batch (remote batches) */
  fromPeer?: string
}

/** Emitted when a peer serves a batch that contradicts one we hold: the origin forked. */
export interface ForkEvent {
  origin: string
  seq: number
  keptHash: Uint8Array
  refusedHash: Uint8Array
  fromPeer?: string
}

export interface HashLogEvents {
  batch: [BatchEvent]
  fork: [ForkEvent]
}

export interface AppendInit {
  /**
   * A retract of a hash the origin does not currently hold: 'error' throws HF_NOT_FOUND
   * before anything is written; 'ignore' leaves it out and lists it in `notHeld`.
   * @default 'error'
   */
  missingRetract?: 'error' | 'ignore'
}

export interface AppendResult {
  /** batches written, in order; empty when nothing changed */
  batches: BatchRef[]
  /** hashes new to our current set (re-adds of retracted hashes included) */
  added: number
  /** hashes we held whose metadata changed */
  updated: number
  /** adds of hashes we already held with the same metadata: not written */
  unchanged: number
  /** hashes retracted (retract-source expansions included) */
  retracted: number
  /** indexes into `items` of retracts of hashes we did not hold (missingRetract 'ignore') */
  notHeld: number[]
}

export interface ApplyInit {
  /** whether an origin peer ID (string) is a federation member */
  isMember: (origin: string) => boolean
  /** peer ID string of the peer that served the batch: kept in fork evidence, passed in events */
  fromPeer?: string
}

export type ApplyResult =
  | { status: 'stored', origin: string, seq: number, hash: Uint8Array }
  | { status: 'duplicate', origin: string, seq: number }
  | { status: 'rejected', reason: RejectReason, message: string, origin?: string, seq?: number }

/** A hash in an origin's current set. */
export interface CurrentRecord {
  origin: string
  record: HashRecord
  /** batch that added it (or last changed its metadata) */
  seq: number
}

/** What one origin says about a hash (`hashfed hashes show`). */
export interface HashProvenance extends CurrentRecord {
  /** entry index inside batch `seq`, and that batch's hash */
  index: number
  batchHash: Uint8Array
  /** set when the origin retracted the hash (and did not re-add it) */
  retracted?: { seq: number, reason: string }
}

/** `hashfed hashes list-origins` */
export interface OriginSummary {
  origin: string
  /** hashes in the current set */
  entries: number
  /** hashes added then retracted */
  retractions: number
  headSeq: number
  headHash: Uint8Array
  /** entries in the whole log (adds and retracts) */
  logEntries: number
}

/** Problems verifyOrigin can find in a stored chain (batch-level reasons plus storage ones). */
export type ChainProblem = RejectReason
  /** a batch stored under another seq than its body says (re-ordered or moved) */
  | 'misplaced'
  /** a batch under this origin's keys names another origin */
  | 'wrong-origin'
  /** the stored Signed bytes are not the canonical encoding of what they carry */
  | 'not-canonical'
  /** the head row disagrees with the last stored batch */
  | 'head-mismatch'

export type VerifyReport =
  | { ok: true, origin: string, batches: number, headSeq: number }
  | { ok: false, origin: string, seq: number, problem: ChainProblem, message: string }

export interface ForkRecord {
  origin: string
  seq: number
  keptHash: Uint8Array
  refusedHash: Uint8Array
  /** Signed bytes of both batches: proof that the origin signed two histories */
  kept: Uint8Array
  refused: Uint8Array
  reportedBy?: string
  detectedMs: number
}

/**
 * Every origin's log as this node holds it: our own (append) and every member's (applyRemote),
 * over the store's `batches`, `heads`, `hashes`, `sources` and `forks` sublevels. Each batch
 * is stored with its head and the index rows it changes in one atomic write, and writes run
 * one at a time. Open one per store: heads and per-origin key filters live in memory.
 */
export interface HashLog extends EventEmitter<HashLogEvents> {
  /** Signs and stores `items` as our origin's next batch(es), with their index rows, atomically. */
  append: (identity: Identity, items: AppendItem[], init?: AppendInit) => Promise<AppendResult>
  /** Verifies a peer's Signed batch and stores it only if every check passes. */
  applyRemote: (signed: Uint8Array, init: ApplyInit) => Promise<ApplyResult>
  heads: () => OriginHead[]
  head: (origin: string) => OriginHead | undefined
  /** Signed bytes of batches fromSeq..toSeq (default: head) of an origin, read lazily. */
  readRange: (origin: string, fromSeq: number, toSeq?: number) => AsyncIterable<Uint8Array>
  getBatch: (origin: string, seq: number) => Promise<Uint8Array | undefined>
  /** Re-verifies an origin's whole stored chain; reports the first problem. */
  verifyOrigin: (origin: string) => Promise<VerifyReport>
  currentSet: (filter?: { origin?: string, algorithm?: AlgorithmName }) => AsyncIterable<CurrentRecord>
  show: (algorithm: AlgorithmName, value: Uint8Array) => Promise<HashProvenance[]>
  listOrigins: () => OriginSummary[]
  forks: () => Promise<ForkRecord[]>
  /** Whether fork evidence for this (origin, seq, refused batch hash) is kept already. */
  knowsFork: (origin: string, seq: number, refusedHash: Uint8Array) => Promise<boolean>
  /** Waits for writes in progress. The store stays open: it belongs to the caller. */
  close: () => Promise<void>
}

/** Opens the logs held in `init.store`, loading every origin's head. */
export async function openHashLog (init: HashLogInit): Promise<HashLog> {
  const log = new OriginLogs(init)
  await log.load()
  return log
}

/** '"' is the character after '!', so `<origin>!` .. `<origin>"` spans exactly one origin. */
const originRange = (origin: string): { gte: string, lt: string } => ({ gte: `${origin}!`, lt: `${origin}"` })

const toHex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex')
const sameBytes = (a: Uint8Array, b: Uint8Array): boolean => Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(b)
const NO_META: hashfed.v1.HashEntry.$Properties = {}

/** The two ASCII hex digits of each byte value, high byte first. */
const HEX_PAIRS = Uint16Array.from({ length: 256 }, (_, i) => ('0123456789abcdef'.charCodeAt(i >> 4) << 8) | '0123456789abcdef'.charCodeAt(i & 15))
const refScratch = Buffer.alloc(1024)

/**
 * `<alg>:<value hex>`, the part of a `hashes` key before the origin, as one flat string:
 * written into a scratch buffer and read back once, ~2x faster than building it from
 * Buffer#toString('hex') and concatenation, and a flat string hashes fast as a Map key.
 * Runs once per entry written.
 */
function refOf (algorithm: AlgorithmName, value: Uint8Array): string {
  const n = algorithm.length + 1 + 2 * value.length
  if (n > refScratch.length) return `${algorithm}:${formatHashValue(value)}`
  refScratch.write(algorithm, 0, 'latin1')
  refScratch[algorithm.length] = 0x3a // ':'
  for (let i = 0, j = algorithm.length + 1; i < value.length; i++, j += 2) {
    const pair = HEX_PAIRS[value[i]]
    refScratch[j] = pair >> 8
    refScratch[j + 1] = pair & 0xff
  }
  return refScratch.toString('latin1', 0, n)
}

class OriginLogs extends EventEmitter<HashLogEvents> implements HashLog {
  private readonly store: Store
  private readonly logger: Logger
  private readonly now: () => number
  private readonly batchEntries: number
  private readonly headMap = new Map<string, OriginHead>()
  private readonly filters = new Map<string, KeyFilter>()
  /** writes run one at a time: each reads a head and the rows it changes, then writes them */
  private tail: Promise<unknown> = Promise.resolve()

  constructor (init: HashLogInit) {
    super()
    this.store = init.store
    this.logger = init.logger ?? createLogger({ component: 'log' })
    this.now = init.now ?? Date.now
    this.batchEntries = Math.min(init.batchEntries ?? DEFAULT_BATCH_ENTRIES, MAX_BATCH_ENTRIES)
    if (!Number.isInteger(this.batchEntries) || this.batchEntries < 1) throw hfError(ErrorCodes.INVALID_ARGUMENT, 'batchEntries must be a positive integer')
  }

  async load (): Promise<void> {
    for await (const [origin, value] of this.store.sub.heads.iterator()) {
      const h = decodeStored(pb.Head, value, `head of ${origin}`)
      this.headMap.set(origin, {
        origin,
        originBytes: h.origin ?? new Uint8Array(0),
        seq: u64(h.seq),
        hash: h.hash ?? new Uint8Array(0),
        entries: u64(h.entries),
        current: u64(h.current),
        retracted: u64(h.retracted)
      })
    }
  }

  heads (): OriginHead[] {
    return [...this.headMap.values()].sort((a, b) => a.origin < b.origin ? -1 : 1).map(h => ({ ...h }))
  }

  head (origin: string): OriginHead | undefined {
    const h = this.headMap.get(origin)
    return h === undefined ? undefined : { ...h }
  }

  listOrigins (): OriginSummary[] {
    return this.heads().map(h => ({ origin: h.origin, entries: h.current, retractions: h.retracted, headSeq: h.seq, headHash: h.hash, logEntries: h.entries }))
  }

  async close (): Promise<void> {
    await this.tail.catch(() => {})
  }

  private async exclusive<T> (fn: () => Promise<T>): Promise<T> {
    const run = this.tail.then(fn, fn)
    this.tail = run.catch(() => {})
    return await run
  }

  // ------------------------------------------------------------------ writing our own log

  async append (identity: Identity, items: AppendItem[], init: AppendInit = {}): Promise<AppendResult> {
    return await this.exclusive(async () => await this.appendNow(identity, items, init))
  }

  private async appendNow (identity: Identity, items: AppendItem[], init: AppendInit): Promise<AppendResult> {
    const origin = identity.peerId.toString()
    const missing = init.missingRetract ?? 'error'

    // 1. validate every item before reading or writing anything
    interface Change { op: 'add' | 'retract', ref: string, pb: PbEntry, meta: PbEntry, hash: number, entry: LogEntry, row: Row | null }
    const changes: Array<Change | null> = items.map(item => {
      if (item.op === 'retract-source') {
        if (typeof item.source !== 'string' || item.source === '') throw hfError(ErrorCodes.INVALID_ARGUMENT, 'retract-source needs a source')
        requireReason(item.reason)
        return null
      }
      if (item.op === 'add') {
        const { entry, meta } = addToProto(item.record)
        return { op: 'add', ref: refOf(item.record.algorithm, item.record.value), pb: entry, meta, hash: keyHash(entry.algorithm as number, item.record.value), entry: item, row: null }
      }
      if (item.op === 'retract') {
        requireReason(item.reason)
        const entry = entryToProto(item)
        return { op: 'retract', ref: refOf(item.algorithm, item.value), pb: entry, meta: NO_META, hash: 0, entry: item, row: null }
      }
      throw hfError(ErrorCodes.INVALID_ARGUMENT, `unknown log item op "${String((item as { op?: unknown }).op)}"`)
    })

    // 2. load the rows these items may change: a LevelDB read only where the key filter says "maybe"
    const tracker = new RowTracker(origin)
    const filter = await this.filterFor(origin)
    const toFetch: string[] = []
    const sourceRefs = new Map<string, string[]>()
    for (const c of changes) {
      if (c === null) continue
      if (c.op === 'retract' || filter.mightHave(c.hash)) toFetch.push(c.ref)
      else tracker.load(c.ref, undefined)
    }
    for (const item of items) {
      if (item.op !== 'retract-source' || sourceRefs.has(item.source)) continue
      const refs: string[] = []
      const prefix = sourcePrefix(origin, item.source)
      for await (const k of this.store.sub.sources.keys({ gte: prefix, lt: prefix + '\xff' })) refs.push(k.slice(prefix.length))
      toFetch.push(...refs)
      sourceRefs.set(item.source, refs)
    }
    await this.fetchRows(tracker, origin, toFetch)

    // 3. walk the items in order: what each one changes; no-ops are left out of the batches
    const planned: Change[] = []
    const result: AppendResult = { batches: [], added: 0, updated: 0, unchanged: 0, retracted: 0, notHeld: [] }
    const count = (effect: Effect): void => {
      if (effect === 'added' || effect === 'readded') result.added++
      else if (effect === 'updated') result.updated++
      else if (effect === 'unchanged') result.unchanged++
      else if (effect === 'retracted') result.retracted++
    }
    for (let i = 0; i < items.length; i++) {
      const item = items[i]
      const c = changes[i]
      if (c !== null && c.op === 'add') {
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
          const colon = ref.indexOf(':')
          const algorithm = ref.slice(0, colon) as AlgorithmName
          const entry: LogEntry = { op: 'retract', algorithm, value: parseHashValue(algorithm, ref.slice(colon + 1)), reason: item.reason, source: item.source }
          planned.push({ op: 'retract', ref, pb: entryToProto(entry), meta: NO_META, hash: 0, entry, row: tracker.get(ref) })
        }
      }
    }
    if (planned.length === 0) return result

    // 4. cut batches, sign them, patch seq/index into the rows, write everything at once
    const head = this.headMap.get(origin)
    let seq = head?.seq ?? 0
    let prevHash = head?.hash ?? new Uint8Array(0)
    const batches: Array<{ batch: Batch, from: number, to: number }> = []
    const ranges: Array<[number, number]> = []
    for (let from = 0; from < planned.length; from += this.batchEntries) ranges.push([from, Math.min(from + this.batchEntries, planned.length)])
    const createdMs = this.now()
    while (ranges.length > 0) {
      const [from, to] = ranges.shift() as [number, number]
      let batch: Batch
      try {
        batch = buildBatch({ identity, seq: seq + 1, prevHash, createdMs, entries: planned.slice(from, to).map(p => p.pb) })
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
      batches.push({ batch, from, to })
      for (let i = from; i < to; i++) {
        const row = planned[i].row as Row
        // in entry order, so the last add or retract of a hash in this write decides its row
        if (planned[i].op === 'add') { row.seq = seq; row.index = i - from } else if (row.retracted) row.retractedSeq = seq
      }
    }
    const logEntries = (head?.entries ?? 0) + planned.length
    // before the write: a filter entry for a write that then fails costs one needless read later
    for (const p of planned) if (p.op === 'add') filter.add(p.hash)
    await this.writeBatches(identity.peerIdBytes, origin, batches.map(b => b.batch), tracker, logEntries)
    for (const { batch, from, to } of batches) {
      result.batches.push({ origin, seq: batch.seq, hash: batch.hash })
      this.emitSafe('batch', { origin, seq: batch.seq, hash: batch.hash, entries: planned.slice(from, to).map(p => p.entry), signed: batch.signed, local: true })
    }
    this.logger.debug({ origin, batches: batches.length, entries: planned.length }, 'appended')
    return result
  }

  // ------------------------------------------------------------------ peers' batches

  async applyRemote (signed: Uint8Array, init: ApplyInit): Promise<ApplyResult> {
    return await this.exclusive(async () => {
      const result = await this.applyNow(signed, init)
      if (result.status === 'rejected') this.logger.debug({ origin: result.origin, seq: result.seq, reason: result.reason, peer: init.fromPeer }, 'batch rejected')
      return result
    })
  }

  private async applyNow (signed: Uint8Array, init: ApplyInit): Promise<ApplyResult> {
    let batch: Batch
    try {
      batch = decodeBatch(signed)
    } catch (err) {
      return rejected(err)
    }
    const { originId: origin, seq } = batch
    const at = { origin, seq }
    if (!init.isMember(origin)) return { status: 'rejected', reason: 'not-member', message: `origin ${origin} is not a federation member`, ...at }
    if (!verifyBatchSignature(batch)) return { status: 'rejected', reason: 'bad-signature', message: `batch ${seq} of ${origin} is not signed by its origin`, ...at }

    const head = this.headMap.get(origin)
    const headSeq = head?.seq ?? 0
    if (seq <= headSeq) {
      const stored = await this.store.sub.batches.get(batchKey(origin, seq))
      if (stored === undefined) throw hfError(ErrorCodes.INTERNAL, `batch ${seq} of ${origin} is missing below its head ${headSeq}`)
      const kept = decodeBatch(stored)
      if (sameBytes(kept.hash, batch.hash)) return { status: 'duplicate', ...at }
      await this.recordFork(kept, batch, init.fromPeer)
      return { status: 'rejected', reason: 'fork', message: `origin ${origin} signed two different batches ${seq}: kept ours, evidence stored`, ...at }
    }
    if (seq > headSeq + 1) return { status: 'rejected', reason: 'gap', message: `batch ${seq} of ${origin} does not follow our head ${headSeq}`, ...at }
    if (head !== undefined && !sameBytes(batch.prevHash, head.hash)) {
      return { status: 'rejected', reason: 'broken-chain', message: `batch ${seq} of ${origin} names a previous batch we do not hold (the origin's batch ${headSeq} differs from ours)`, ...at }
    }
    let entries: LogEntry[]
    try {
      entries = batch.entries.map(e => entryFromProto(e))
    } catch (err) {
      return rejected(err, at)
    }

    const tracker = new RowTracker(origin)
    const filter = await this.filterFor(origin)
    const refs = entries.map(e => e.op === 'add' ? refOf(e.record.algorithm, e.record.value) : refOf(e.algorithm, e.value))
    const hashes = entries.map(e => e.op === 'add' ? keyHash(algorithmToEnum(e.record.algorithm), e.record.value) : 0)
    const toFetch: string[] = []
    entries.forEach((e, i) => {
      if (e.op === 'retract' || filter.mightHave(hashes[i])) toFetch.push(refs[i])
      else tracker.load(refs[i], undefined)
    })
    await this.fetchRows(tracker, origin, toFetch)
    entries.forEach((e, i) => {
      // a retract of a hash the origin does not hold is a no-op: the batch is still the origin's
      if (e.op === 'add') tracker.add(refs[i], metaToProto(e.record), seq, i)
      else tracker.retract(refs[i], e.reason, seq)
    })
    entries.forEach((e, i) => { if (e.op === 'add') filter.add(hashes[i]) })
    await this.writeBatches(batch.origin, origin, [batch], tracker, (head?.entries ?? 0) + entries.length)
    this.emitSafe('batch', { origin, seq, hash: batch.hash, entries, signed: batch.signed, local: false, fromPeer: init.fromPeer })
    return { status: 'stored', origin, seq, hash: batch.hash }
  }

  private async recordFork (kept: Batch, refused: Batch, fromPeer: string | undefined): Promise<void> {
    const key = forkKey(kept.originId, kept.seq, refused.hash)
    if (await this.store.sub.forks.get(key) === undefined) {
      let reportedBy: Uint8Array | undefined
      try {
        if (fromPeer !== undefined) reportedBy = parsePeerId(fromPeer).toMultihash().bytes
      } catch {}
      const evidence = pb.ForkEvidence.encode({
        origin: kept.origin,
        seq: kept.seq,
        kept: { body: kept.body, signature: kept.signature },
        refused: { body: refused.body, signature: refused.signature },
        reportedBy,
        detectedMs: this.now()
      }).finish()
      await this.store.write([{ type: 'put', sublevel: this.store.sub.forks, key, value: evidence }])
    }
    this.logger.warn({ origin: kept.originId, seq: kept.seq, peer: fromPeer }, 'fork: the origin signed two different batches for one sequence number')
    this.emitSafe('fork', { origin: kept.originId, seq: kept.seq, keptHash: kept.hash, refusedHash: refused.hash, fromPeer })
  }

  // ------------------------------------------------------------------ shared write path

  /** Gets the stored rows of `refs` (`<alg>:<hex>`, not yet tracked) into the tracker, with one getMany. */
  private async fetchRows (tracker: RowTracker, origin: string, refs: string[]): Promise<void> {
    const missing = [...new Set(refs)].filter(r => !tracker.has(r))
    if (missing.length === 0) return
    const values = await this.store.sub.hashes.getMany(missing.map(r => `${r}:${origin}`))
    missing.forEach((r, i) => tracker.load(r, values[i]))
  }

  /** One atomic write: the batches, the head and the index rows they change. */
  private async writeBatches (originBytes: Uint8Array, origin: string, batches: Batch[], tracker: RowTracker, logEntries: number): Promise<void> {
    const { sub } = this.store
    const { ops: rowOps, current, retracted } = tracker.finish(sub.hashes, sub.sources)
    const old = this.headMap.get(origin)
    const last = batches[batches.length - 1]
    const head: OriginHead = {
      origin,
      originBytes,
      seq: last.seq,
      hash: last.hash,
      entries: logEntries,
      current: (old?.current ?? 0) + current,
      retracted: (old?.retracted ?? 0) + retracted
    }
    const ops: BatchOp[] = batches.map(b => ({ type: 'put', sublevel: sub.batches, key: batchKey(origin, b.seq), value: b.signed }))
    ops.push({ type: 'put', sublevel: sub.heads, key: origin, value: pb.Head.encode({ origin: originBytes, seq: head.seq, hash: head.hash, entries: head.entries, current: head.current, retracted: head.retracted }).finish() })
    for (const op of rowOps) ops.push(op)
    await this.store.write(ops)
    this.headMap.set(origin, head)
  }

  /**
   * The key filter of an origin, built on first use from its stored batches (every add ever
   * made; retracted hashes keep their rows). ~1 s per million entries, once per process.
   */
  private async filterFor (origin: string): Promise<KeyFilter> {
    let filter = this.filters.get(origin)
    if (filter !== undefined) return filter
    filter = new KeyFilter()
    for await (const signed of this.store.sub.batches.values(originRange(origin))) {
      const body = decodeStored(pb.BatchBody, decodeStored(pb.Signed, signed, `a batch of ${origin}`).body, `a batch of ${origin}`)
      for (const e of body.entries) if (e.op === pb.HashEntry.Op.ADD && e.value != null) filter.add(keyHash(e.algorithm ?? 0, e.value))
    }
    this.filters.set(origin, filter)
    return filter
  }

  private emitSafe<K extends keyof HashLogEvents> (event: K, payload: HashLogEvents[K][0]): void {
    for (const listener of this.listeners(event)) {
      try {
        (listener as (p: HashLogEvents[K][0]) => void)(payload)
      } catch (err) {
        this.logger.error({ err, event }, 'a hash log listener failed')
      }
    }
  }

  // ------------------------------------------------------------------ reading

  async * readRange (origin: string, fromSeq: number, toSeq?: number): AsyncIterable<Uint8Array> {
    const last = toSeq ?? this.headMap.get(origin)?.seq ?? 0
    if (last < fromSeq) return
    yield * this.store.sub.batches.values({ gte: batchKey(origin, Math.max(1, fromSeq)), lte: batchKey(origin, last) })
  }

  async getBatch (origin: string, seq: number): Promise<Uint8Array | undefined> {
    return await this.store.sub.batches.get(batchKey(origin, seq))
  }

  async verifyOrigin (origin: string): Promise<VerifyReport> {
    let expected = 1
    let prevHash: Uint8Array = new Uint8Array(0)
    const fail = (seq: number, problem: ChainProblem, message: string): VerifyReport => ({ ok: false, origin, seq, problem, message })
    for await (const [key, signed] of this.store.sub.batches.iterator(originRange(origin))) {
      const keySeq = parseInt(key.slice(origin.length + 1), 16)
      let batch: Batch
      try {
        batch = openBatch(signed)
      } catch (err) {
        return fail(keySeq, rejectReasonOf(err) ?? 'malformed', (err as Error).message)
      }
      if (!sameBytes(batch.signed, signed)) return fail(keySeq, 'not-canonical', `stored batch ${keySeq} is not the canonical encoding of its body and signature`)
      if (batch.originId !== origin) return fail(keySeq, 'wrong-origin', `batch stored as ${origin} ${keySeq} is signed for ${batch.originId}`)
      if (batch.seq !== keySeq) return fail(keySeq, 'misplaced', `batch stored as ${keySeq} says it is batch ${batch.seq}`)
      if (keySeq !== expected) return fail(expected, 'gap', `batch ${expected} is missing (next stored is ${keySeq})`)
      if (!sameBytes(batch.prevHash, prevHash)) return fail(keySeq, 'broken-chain', `batch ${keySeq} does not name batch ${keySeq - 1} as its previous batch`)
      try {
        for (const e of batch.entries) entryFromProto(e)
      } catch (err) {
        return fail(keySeq, 'malformed', (err as Error).message)
      }
      prevHash = batch.hash
      expected++
    }
    const stored = await this.store.sub.heads.get(origin)
    const head = stored === undefined ? undefined : decodeStored(pb.Head, stored, `head of ${origin}`)
    if (u64(head?.seq) !== expected - 1 || !sameBytes(head?.hash ?? new Uint8Array(0), prevHash)) {
      return fail(expected - 1, 'head-mismatch', `the head says batch ${u64(head?.seq)} but the chain ends at batch ${expected - 1}`)
    }
    return { ok: true, origin, batches: expected - 1, headSeq: expected - 1 }
  }

  async * currentSet (filter: { origin?: string, algorithm?: AlgorithmName } = {}): AsyncIterable<CurrentRecord> {
    const range = filter.algorithm === undefined ? {} : { gte: `${filter.algorithm}:`, lt: `${filter.algorithm};` }
    const suffix = filter.origin === undefined ? undefined : `:${filter.origin}`
    for await (const [key, value] of this.store.sub.hashes.iterator(range)) {
      if (suffix !== undefined && !key.endsWith(suffix)) continue
      const p = decodeStored(pb.Provenance, value, `hash row ${key}`)
      if (p.retracted === true) continue
      yield toCurrent(key, p)
    }
  }

  async show (algorithm: AlgorithmName, value: Uint8Array): Promise<HashProvenance[]> {
    const prefix = `${algorithm}:${formatHashValue(value)}:`
    const out: HashProvenance[] = []
    for await (const [key, raw] of this.store.sub.hashes.iterator({ gte: prefix, lt: prefix + '\xff' })) {
      const p = decodeStored(pb.Provenance, raw, `hash row ${key}`)
      const current = toCurrent(key, p)
      const signed = await this.getBatch(current.origin, current.seq)
      const shown: HashProvenance = { ...current, index: p.index ?? 0, batchHash: signed === undefined ? new Uint8Array(0) : decodeBatch(signed).hash }
      if (p.retracted === true) shown.retracted = { seq: u64(p.retractedSeq), reason: p.retractReason ?? '' }
      out.push(shown)
    }
    return out
  }

  async knowsFork (origin: string, seq: number, refusedHash: Uint8Array): Promise<boolean> {
    return await this.store.sub.forks.get(forkKey(origin, seq, refusedHash)) !== undefined
  }

  async forks (): Promise<ForkRecord[]> {
    const out: ForkRecord[] = []
    for await (const [key, raw] of this.store.sub.forks.iterator()) {
      const f = decodeStored(pb.ForkEvidence, raw, `fork evidence ${key}`)
      const kept = pb.Signed.encode(f.kept ?? {}).finish()
      const refused = pb.Signed.encode(f.refused ?? {}).finish()
      const record: ForkRecord = {
        origin: key.slice(0, key.indexOf('!')),
        seq: u64(f.seq),
        keptHash: decodeBatch(kept).hash,
        refusedHash: decodeBatch(refused).hash,
        kept,
        refused,
        detectedMs: u64(f.detectedMs)
      }
      if (f.reportedBy != null && f.reportedBy.length > 0) {
        try {
          record.reportedBy = peerIdFromBytes(f.reportedBy).toString()
        } catch {}
      }
      out.push(record)
    }
    return out
  }
}

/** `forks` key: one row per (origin, seq, refused batch), so evidence is kept once. */
function forkKey (origin: string, seq: number, refusedHash: Uint8Array): string {
  return `${origin}!${seqKey(seq)}!${toHex(refusedHash)}`
}

function toCurrent (key: string, p: hashfed.v1.Provenance): CurrentRecord {
  const first = key.indexOf(':')
  const last = key.lastIndexOf(':')
  const algorithm = key.slice(0, first) as AlgorithmName
  const { quality, ...meta } = metaFromProto(p.entry ?? {})
  const record: HashRecord = { algorithm, value: hexToBytes(key.slice(first + 1, last)) ?? new Uint8Array(0), ...meta }
  if (quality !== undefined) record.quality = quality
  return { origin: key.slice(last + 1), record, seq: u64(p.seq) }
}

function requireReason (reason: unknown): void {
  if (typeof reason !== 'string' || reason.trim() === '') throw hfError(ErrorCodes.INVALID_ARGUMENT, 'a retraction needs a reason (e.g. "false positive")')
}

function rejected (err: unknown, at: { origin?: string, seq?: number } = {}): ApplyResult {
  const reason = rejectReasonOf(err)
  if (reason === undefined) throw err
  return { status: 'rejected', reason, message: (err as Error).message, ...at }
}
