import type { SyncRejectReason } from './reject-reasons.js'
import type { VerifiedBatch } from '../log/log-types.js'

export type { VerifiedBatch }

/** One origin's head as sync sees it. */
export interface OriginHead {
  origin: string
  seq: number
  hash: Uint8Array
  /** entries in batches 1..seq */
  entries: number
}

/** `origin`: the batch's origin, when it decoded (a pushed batch names its origin only inside). */
export type ApplyOutcome =
  | { status: 'stored', origin?: string, seq?: number }
  /** `seq`: the batch's sequence number, when known (a batch from before a requested range is a replay) */
  | { status: 'duplicate', seq?: number, origin?: string }
  | { status: 'rejected', reason: SyncRejectReason, message: string, origin?: string }

/** What replication needs from the hash log: heads, ranges to serve, verified apply. */
export interface SyncLog {
  heads: () => OriginHead[]
  head: (origin: string) => OriginHead | undefined
  /** stored Signed batch bytes of `origin`, seq from..to inclusive, in order, streamed */
  readRange: (origin: string, fromSeq: number, toSeq: number) => AsyncIterable<Uint8Array>
  /** hash of our batch `seq` of `origin`, or null when we do not hold it */
  batchHashAt: (origin: string, seq: number) => Promise<Uint8Array | null>
  /** whether we keep fork evidence for this (origin, seq, refused batch hash) already */
  knowsFork: (origin: string, seq: number, hash: Uint8Array) => Promise<boolean>
  /** verifies, then stores a batch served by `fromPeer`; `onVerified` runs between the two */
  applyRemote: (signed: Uint8Array, fromPeer: string, onVerified?: (batch: VerifiedBatch) => void) => Promise<ApplyOutcome>
}
