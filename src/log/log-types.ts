import type { EventEmitter } from 'node:events'
import type { Store } from '../store/store.js'
import type { Identity } from '../identity/identity.js'
import type { Logger } from '../util/logger.js'
import type { AlgorithmName } from './hash-value.js'
import type { AppendItem, EntryMeta, HashRecord, LogEntry } from './entry.js'
import type { RejectReason } from './batch.js'
import type { KeyHistory, Revocation } from './key-history.js'

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

/** Emitted when an origin's recovery key revoked its batches from `firstBadSeq` (they left the chain). */
export interface RevokedEvent {
  origin: string
  firstBadSeq: number
  revokedBatches: number
  /** the entries of the batches taken out */
  revoked: LogEntry[]
  /** the origin's batches kept (1..firstBadSeq-1) and their entries: what its current set is rebuilt from */
  kept: Array<{ seq: number, entries: LogEntry[] }>
}

/** A batch a revocation took out of the chain, kept as evidence. */
export interface RevokedRecord {
  origin: string
  seq: number
  hash: Uint8Array
  entries: number
  revokedMs: number
}

export interface HashLogEvents {
  batch: [BatchEvent]
  fork: [ForkEvent]
  revoked: [RevokedEvent]
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
  /**
   * Called once the batch is verified as the next of its origin's chain (signature, chain,
   * every entry), before it is written: replication relays it onward while the write runs.
   */
  onVerified?: (batch: VerifiedBatch) => void
}

/** A peer's batch, verified and about to be stored. */
export interface VerifiedBatch {
  origin: string
  seq: number
  prevHash: Uint8Array
  /** the encoded Signed batch */
  signed: Uint8Array
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

/** One origin's index row of one hash: the add that set it and, if so, its retraction. */
export interface IndexRow {
  seq: number
  index: number
  retracted: boolean
  retractedSeq: number
  retractReason: string
  meta: EntryMeta & { quality?: number }
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
  /**
   * Re-verifies every stored batch (or one origin's) and every index row against them, with
   * writes held back meanwhile; reports the first fault (`hashfed verify`).
   */
  verify: (init?: StoreVerifyInit) => Promise<StoreVerifyReport>
  currentSet: (filter?: { origin?: string, algorithm?: AlgorithmName }) => AsyncIterable<CurrentRecord>
  show: (algorithm: AlgorithmName, value: Uint8Array) => Promise<HashProvenance[]>
  /** The index rows of (value, origin) pairs, in order; undefined where the origin never added it. */
  rowsOf: (keys: Array<{ algorithm: string, valueHex: string, origin: string }>) => Promise<Array<IndexRow | undefined>>
  listOrigins: () => OriginSummary[]
  forks: () => Promise<ForkRecord[]>
  /** Whether fork evidence for this (origin, seq, refused batch hash) is kept already. */
  knowsFork: (origin: string, seq: number, refusedHash: Uint8Array) => Promise<boolean>
  /** The origin's signing keys by seq (its genesis key only, until it rotates). */
  keyHistory: (origin: string, originBytes: Uint8Array) => KeyHistory
  /** Our origin signs its next batches with `signer` (the key the history names next). */
  setSigningKey: (origin: string, signer: Identity) => void
  /** Appends our origin's key rotation (signed by the current key and `newKey`) and signs with `newKey` from then. */
  rotateKey: (identity: Identity, newKey: Identity) => Promise<BatchRef>
  /** Applies a verified revocation: cuts the origin's chain, keeps the cut batches as evidence. */
  applyRevocation: (revocation: Revocation) => Promise<'applied' | 'duplicate'>
  revokedBatches: (origin?: string) => Promise<RevokedRecord[]>
  /** Waits for writes in progress. The store stays open: it belongs to the caller. */
  close: () => Promise<void>
}

/** Faults only the index audit finds: rows that disagree with the batches. */
export type IndexProblem =
  /** an add in a batch has no `hashes` row, or a current sourced row no `sources` row */
  | 'missing-row'
  /** a `hashes` or `sources` row that no batch accounts for */
  | 'extra-row'
  /** a row that exists but says something else than the batches */
  | 'wrong-row'
  /** the head's counts disagree with the rows */
  | 'head-counts'
  /** a head or index row that does not decode */
  | 'undecodable'

export interface StoreVerifyInit {
  /** only this origin (peer ID string); @default every origin in the store */
  origin?: string
}

export interface StoreVerifySummary {
  origins: number
  batches: number
  /** entries (adds and retracts) in the batches checked */
  entries: number
  /** `hashes` rows checked */
  indexRows: number
  /** `sources` rows checked */
  sourceRows: number
  ms: number
}

export interface StoreFault {
  origin: string
  /** the batch the fault is in or names (0: none, e.g. a head of an empty chain) */
  seq: number
  problem: ChainProblem | IndexProblem
  message: string
}

export type StoreVerifyReport =
  | { ok: true } & StoreVerifySummary
  | { ok: false, fault: StoreFault } & StoreVerifySummary
