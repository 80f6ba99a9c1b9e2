import { EventEmitter } from 'node:events'
import { hfError, ErrorCodes } from '../errors.js'
import { pb } from '../proto/index.js'
import type { Store, StoreOp } from '../store/store.js'
import { batchKey, hashRef, originRange } from '../store/layout.js'
import { decodeStored } from '../store/stored-record.js'
import type { Identity } from '../identity/identity.js'
import { createLogger, type Logger } from '../util/logger.js'
import { Lock } from '../util/lock.js'
import type { AlgorithmName } from './hash-value.js'
import type { AppendItem } from './entry.js'
import { decodeBatch, type Batch } from './batch.js'
import { DEFAULT_BATCH_ENTRIES, MAX_BATCH_ENTRIES } from './constants.js'
import { KeyFilter, keyHash } from './key-filter.js'
import { u64 } from './uint64.js'
import { RowTracker } from './row-tracker.js'
import { trackRemoteRows } from './remote-rows.js'
import { PendingWrite } from './pending-write.js'
import { batchWriteOps, headOp } from './batch-write.js'
import { HeldCopies } from './held-copies.js'
import { IndexRows } from './index-rows.js'
import { planAppend } from './append-planner.js'
import { checkRemoteBatch } from './remote-verifier.js'
import { sameBytes } from '../util/bytes.js'
import { ForkEvidence } from './fork-evidence.js'
import { showHash, summarise } from './log-queries.js'
import { walkChain } from './chain-audit.js'
import { verifyStore } from './index-audit.js'
import { OriginKeys, KeyHistory, rotationRecord } from './key-history.js'
import { buildBatch } from './batch.js'
import { listRevoked, planCut, type Revocation } from './revocation.js'
import type {
  AppendInit, AppendResult, ApplyInit, ApplyResult, CurrentRecord, ForkRecord, HashLog, HashLogEvents, HashLogInit,
  HashProvenance, IndexRow, OriginHead, OriginSummary, StoreVerifyInit, StoreVerifyReport, VerifyReport, BatchRef, RevokedRecord
} from './log-types.js'

export type * from './log-types.js'

/** Opens the logs held in `init.store`, loading every origin's head. */
export async function openHashLog (init: HashLogInit): Promise<HashLog> {
  const log = new OriginLogs(init)
  await log.load()
  return log
}

/**
 * `hashfed verify` on a store no log has open (the node is stopped): reads heads, batches and
 * rows itself, so a damaged head is a fault it reports rather than a log that will not open.
 */
export async function verifyLogStore (store: Store, init: StoreVerifyInit = {}): Promise<StoreVerifyReport> {
  return await verifyStore(store, new IndexRows(store), init)
}

/**
 * The log itself: heads, key filters, the one-at-a-time write path and events. The parts
 * live beside it: append-planner (our batches), remote-verifier (peers' batches),
 * fork-evidence, index-rows (the `hashes`/`sources` rows), log-queries, chain-audit and
 * index-audit (`hashfed verify`).
 */
class OriginLogs extends EventEmitter<HashLogEvents> implements HashLog {
  private readonly store: Store
  private readonly logger: Logger
  private readonly now: () => number
  private readonly batchEntries: number
  private readonly rows: IndexRows
  private readonly forkEvidence: ForkEvidence
  private readonly headMap = new Map<string, OriginHead>()
  private readonly filters = new Map<string, KeyFilter>()
  /** every origin's signing keys by seq, and our own current signing key */
  private readonly keys: OriginKeys
  /** the batches we stored last: see heldCopy */
  private readonly held = new HeldCopies()
  /** writes run one at a time: each reads a head and the rows it changes, then writes them */
  private readonly writes = new Lock()
  /** our append's write in flight, which the next append of the origin may plan on */
  private pending: PendingWrite | null = null

  constructor (init: HashLogInit) {
    super()
    this.store = init.store
    this.logger = init.logger ?? createLogger({ component: 'log' })
    this.now = init.now ?? Date.now
    this.batchEntries = Math.min(init.batchEntries ?? DEFAULT_BATCH_ENTRIES, MAX_BATCH_ENTRIES)
    if (!Number.isInteger(this.batchEntries) || this.batchEntries < 1) throw hfError(ErrorCodes.INVALID_ARGUMENT, 'batchEntries must be a positive integer')
    this.rows = new IndexRows(init.store)
    this.forkEvidence = new ForkEvidence(init.store, this.now)
    this.keys = new OriginKeys(init.store)
  }

  async load (): Promise<void> {
    await this.keys.load()
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
    return summarise(this.heads())
  }

  async close (): Promise<void> {
    await this.writes.idle()
    await this.settled()
  }

  // ------------------------------------------------------------------ writing our own log

  async append (identity: Identity, items: AppendItem[], init: AppendInit = {}): Promise<AppendResult> {
    const run = await this.writes.run(async () => {
      const origin = identity.peerId.toString()
      if (this.pending?.origin !== origin) await this.settled()
      const pending = this.pending
      const head = pending?.head ?? this.headMap.get(origin)
      const plan = await planAppend({
        identity: this.keys.signingIdentity(identity), items, init, head, filter: await this.filterFor(origin), rows: this.rows, batchEntries: this.batchEntries, now: this.now,
        beforeRead: async (refs, readsSources) => { if (pending?.mustWaitFor(refs, readsSources) === true) await pending.done }
      })
      // planned on a write in flight: used only once that write is stored (its failure fails this append too)
      if (pending !== null) await pending.done
      const { result, batches } = plan
      if (batches.length === 0) return { result, done: undefined }
      const done = this.writeBatches(identity.peerIdBytes, origin, batches.map(b => b.batch), plan.tracker, plan.logEntries, () => {
        for (const { batch, entries } of batches) {
          result.batches.push({ origin, seq: batch.seq, hash: batch.hash })
          this.emitSafe('batch', { origin, seq: batch.seq, hash: batch.hash, entries, signed: batch.signed, local: true })
        }
        this.logger.debug({ origin, batches: batches.length, entries: plan.logEntries - (head?.entries ?? 0) }, 'appended')
      })
      return { result, done }
    })
    // the lock is free while our write is in flight: the next append may plan on it meanwhile
    await run.done
    return run.result
  }

  // ------------------------------------------------------------------ peers' batches

  async applyRemote (signed: Uint8Array, init: ApplyInit): Promise<ApplyResult> {
    const copy = this.heldCopy(signed, init)
    if (copy !== undefined) return copy
    const run = await this.writes.run(async () => {
      const held = this.heldCopy(signed, init)
      const run = held !== undefined ? { result: held } : await this.applyNow(signed, init)
      if (run.result.status === 'rejected') this.logger.debug({ origin: run.result.origin, seq: run.result.seq, reason: run.result.reason, peer: init.fromPeer }, 'batch rejected')
      return run
    })
    // the lock is free while our write is in flight: the next batch may be verified meanwhile
    await run.done
    return run.result
  }

  /**
   * A byte-exact copy of a batch we stored recently is a duplicate: its bytes were verified
   * when stored, so neither a decode nor a signature check can say otherwise. Each batch
   * reaches a node from several neighbours (and its origin from all of them), and without a
   * write to wait for this needs no turn of the write lock. Anything else, a copy signed
   * differently included, takes the full path (checkRemoteBatch).
   */
  private heldCopy (signed: Uint8Array, init: ApplyInit): ApplyResult | undefined {
    if (this.held.size === 0) return undefined
    const at = this.held.get(signed)
    if (at === undefined || !init.isMember(at.origin)) return undefined
    return { status: 'duplicate', origin: at.origin, seq: at.seq }
  }

  /**
   * Verifies a peer's batch and starts its write. A write in flight (the previous batch)
   * counts as stored for the verification: this batch must chain onto it, and is written
   * only once it is stored (its failure fails this batch too). A key rotation in flight is
   * waited for first: the key history moves only once it is stored.
   */
  private async applyNow (signed: Uint8Array, init: ApplyInit): Promise<{ result: ApplyResult, done?: Promise<void> }> {
    if (this.pending?.rotates === true) await this.settled()
    const pending = this.pending
    const verdict = await checkRemoteBatch(signed, {
      ...init,
      headOf: (origin) => pending?.origin === origin ? pending.head : this.headMap.get(origin),
      keysOf: (origin, originBytes) => this.keys.of(origin, originBytes),
      storedBatch: async (origin, seq) => {
        await this.settled()
        const stored = await this.getBatch(origin, seq)
        if (stored === undefined) throw hfError(ErrorCodes.INTERNAL, `batch ${seq} of ${origin} is missing below its head ${this.headMap.get(origin)?.seq ?? 0}`)
        return decodeBatch(stored)
      }
    })
    if (verdict.kind === 'rejected') return { result: verdict.result }
    const { batch } = verdict
    const { originId: origin, seq } = batch
    if (verdict.kind === 'held') {
      if (sameBytes(verdict.kept.hash, batch.hash)) return { result: { status: 'duplicate', origin, seq } }
      await this.recordFork(verdict.kept, batch, init.fromPeer)
      return { result: { status: 'rejected', reason: 'fork', message: `origin ${origin} signed two different batches ${seq}: kept ours, evidence stored`, origin, seq } }
    }
    const { entries } = verdict
    if (init.onVerified !== undefined) {
      try {
        init.onVerified({ origin, seq, prevHash: batch.prevHash, signed: batch.signed })
      } catch (err) {
        this.logger.error({ err }, 'a verified-batch listener failed')
      }
    }
    const tracker = await trackRemoteRows(origin, seq, entries, await this.filterFor(origin), this.rows, async (refs) => {
      if (pending?.mustWaitFor(refs, false) === true) await pending.done
    })
    // planned on the origin's write in flight: written once that is stored (its failure fails this batch too)
    if (pending?.origin === origin) await pending.done
    else await this.settled()
    const logEntries = (this.headMap.get(origin)?.entries ?? 0) + entries.length
    const done = this.writeBatches(batch.origin, origin, [batch], tracker, logEntries, () => {
      this.emitSafe('batch', { origin, seq, hash: batch.hash, entries, signed: batch.signed, local: false, fromPeer: init.fromPeer })
    })
    return { result: { status: 'stored', origin, seq, hash: batch.hash }, done }
  }

  private async recordFork (kept: Batch, refused: Batch, fromPeer: string | undefined): Promise<void> {
    await this.forkEvidence.record(kept, refused, fromPeer)
    this.logger.warn({ origin: kept.originId, seq: kept.seq, peer: fromPeer }, 'fork: the origin signed two different batches for one sequence number')
    this.emitSafe('fork', { origin: kept.originId, seq: kept.seq, keptHash: kept.hash, refusedHash: refused.hash, fromPeer })
  }

  // ------------------------------------------------------------------ shared write path

  /**
   * One atomic write: the batches, the head and the index rows they change. Memory (head,
   * key history, held copies) moves once it is stored, then `after` runs. Our append leaves
   * it in flight as `pending`; every other writer waits for it under the lock.
   */
  private async writeBatches (originBytes: Uint8Array, origin: string, batches: Batch[], tracker: RowTracker, logEntries: number, after?: () => void): Promise<void> {
    const { ops, head } = batchWriteOps(this.store, origin, originBytes, batches, this.headMap.get(origin), logEntries, this.rows.writeOps(tracker))
    const keyOps = this.keys.writeOps(origin, originBytes, batches)
    for (const op of keyOps.ops) ops.push(op)
    const done = this.store.write(ops).then(() => {
      this.headMap.set(origin, head)
      keyOps.commit()
      for (const b of batches) this.held.add(b.signed, origin, b.seq)
      after?.()
    })
    const pending = new PendingWrite(origin, head, tracker, done, keyOps.ops.length > 0)
    const clear = (): void => { if (this.pending === pending) this.pending = null }
    done.then(clear, clear)
    this.pending = pending
    await done
  }

  /** Waits for our append's write in flight, if any; its failure is its append's to report. */
  private async settled (): Promise<void> {
    await this.pending?.done.catch(() => {})
  }

  // ------------------------------------------------------------------ key lifecycle (key-history.ts, revocation.ts)

  keyHistory (origin: string, originBytes: Uint8Array): KeyHistory {
    return this.keys.of(origin, originBytes)
  }

  setSigningKey (origin: string, signer: Identity): void {
    this.keys.setSigner(origin, signer)
  }

  async rotateKey (identity: Identity, newKey: Identity): Promise<BatchRef> {
    return await this.writes.run(async () => {
      await this.settled()
      const origin = identity.peerId.toString()
      const head = this.headMap.get(origin)
      const seq = (head?.seq ?? 0) + 1
      const prevHash = head?.hash ?? new Uint8Array(0)
      const rotation = rotationRecord(identity.peerIdBytes, seq, prevHash, newKey)
      const batch = buildBatch({ identity: this.keys.signingIdentity(identity), seq, prevHash, createdMs: this.now(), entries: [], rotation })
      const problem = this.keys.of(origin, identity.peerIdBytes).check(batch)
      if (problem !== null) throw hfError(ErrorCodes.INVALID_KEY, `the rotation would not verify: ${problem.message} (is the node's current signing key loaded?)`)
      await this.writeBatches(identity.peerIdBytes, origin, [batch], new RowTracker(origin), head?.entries ?? 0)
      this.keys.setSigner(origin, newKey)
      this.logger.info({ origin, seq }, 'signing key rotated')
      this.emitSafe('batch', { origin, seq, hash: batch.hash, entries: [], signed: batch.signed, local: true })
      return { origin, seq, hash: batch.hash }
    })
  }

  async applyRevocation (revocation: Revocation): Promise<'applied' | 'duplicate'> {
    return await this.writes.run(async () => {
      await this.settled()
      const { originId: origin, origin: originBytes, firstBadSeq, newKey } = revocation
      const before = this.keys.of(origin, originBytes)
      const body = revocation.signed.body ?? new Uint8Array(0)
      if (before.revocations.some(r => sameBytes(r.body ?? new Uint8Array(0), body))) return 'duplicate'
      const headSeq = this.headMap.get(origin)?.seq ?? 0
      const cut = await planCut(this.store, this.rows, origin, firstBadSeq, headSeq, this.now())
      const epochs = before.epochs.filter(e => e.fromSeq < firstBadSeq).concat([{ fromSeq: firstBadSeq, key: newKey }])
      const after = new KeyHistory(originBytes, pb.KeyHistory.create({ epochs, revocations: [...before.revocations, revocation.signed] }), [...before.revokedFrom, firstBadSeq])
      const ops: StoreOp[] = cut.ops
      ops.push({ type: 'put', sublevel: this.store.sub.keys, key: origin, value: after.encode() })
      const h = cut.head
      if (h.seq === 0) ops.push({ type: 'del', sublevel: this.store.sub.heads, key: origin })
      else ops.push(headOp(this.store, origin, { origin, originBytes, ...h }))
      await this.store.write(ops)
      if (h.seq === 0) this.headMap.delete(origin)
      else this.headMap.set(origin, { origin, originBytes, ...h })
      this.keys.replace(origin, after)
      this.filters.delete(origin)
      // a revoked batch offered again is refused `revoked`, never answered as a held copy
      this.held.dropFrom(origin, firstBadSeq)
      this.logger.warn({ origin, firstBadSeq, revokedBatches: cut.revokedBatches }, 'REVOKED: the origin\'s recovery key revoked its batches from this seq; they are kept as evidence and no longer match')
      this.emitSafe('revoked', { origin, firstBadSeq, revokedBatches: cut.revokedBatches, revoked: cut.revoked, kept: cut.kept })
      return 'applied'
    })
  }

  async revokedBatches (origin?: string): Promise<RevokedRecord[]> {
    return await listRevoked(this.store, origin)
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
    return (await walkChain(this.store, origin)).report
  }

  async verify (init: StoreVerifyInit = {}): Promise<StoreVerifyReport> {
    // with writes held back: a batch stored halfway through would look like a fault
    return await this.writes.run(async () => { await this.settled(); return await verifyStore(this.store, this.rows, init) })
  }

  currentSet (filter: { origin?: string, algorithm?: AlgorithmName } = {}): AsyncIterable<CurrentRecord> {
    return this.rows.current(filter)
  }

  async show (algorithm: AlgorithmName, value: Uint8Array): Promise<HashProvenance[]> {
    return await showHash(this.rows, async (origin, seq) => await this.getBatch(origin, seq), algorithm, value)
  }

  async rowsOf (keys: Array<{ algorithm: string, valueHex: string, origin: string }>): Promise<Array<IndexRow | undefined>> {
    return await this.rows.get(keys.map(k => ({ ref: hashRef(k.algorithm, k.valueHex), origin: k.origin })))
  }

  async knowsFork (origin: string, seq: number, refusedHash: Uint8Array): Promise<boolean> {
    return await this.forkEvidence.knows(origin, seq, refusedHash)
  }

  async forks (): Promise<ForkRecord[]> {
    return await this.forkEvidence.list()
  }
}
