import { sameBytes } from '../util/bytes.js'
import { decodeBatch, rejectReasonOf, verifyBatchSignature, type Batch, type RejectReason } from './batch.js'
import type { LogEntry } from './entry.js'
import { entryFromProto } from './entry-codec.js'
import type { ApplyInit, ApplyResult, OriginHead } from './log-types.js'
import type { KeyHistory } from './key-history.js'

/** What a peer's batch is to us: a new batch to store, one we hold, a fork, or a rejection. */
export type RemoteVerdict =
  | { kind: 'new', batch: Batch, entries: LogEntry[] }
  | { kind: 'held', batch: Batch, kept: Batch }
  | { kind: 'rejected', result: ApplyResult & { status: 'rejected' } }

export interface RemoteCheckInit extends ApplyInit {
  headOf: (origin: string) => OriginHead | undefined
  /** the stored batch `seq` of `origin` (must exist below its head) */
  storedBatch: (origin: string, seq: number) => Promise<Batch>
  /** the origin's signing keys by seq (key-history.ts); without it, batches are checked against the origin id */
  keysOf?: (origin: string, originBytes: Uint8Array) => KeyHistory
}

/**
 * Checks a peer's Signed batch before anything is stored: it decodes, its origin is a member,
 * its origin's key at that seq signed it (and a key rotation in it is signed by its new key), it is the next batch of the origin's chain as we hold it, and every
 * entry is valid. A batch at or below our head is either one we hold or, signed differently,
 * proof of a fork (the caller keeps the evidence).
 */
export async function checkRemoteBatch (signed: Uint8Array, init: RemoteCheckInit): Promise<RemoteVerdict> {
  let batch: Batch
  try {
    batch = decodeBatch(signed)
  } catch (err) {
    return rejected(err)
  }
  const { originId: origin, seq } = batch
  const at = { origin, seq }
  if (!init.isMember(origin)) return reject('not-member', `origin ${origin} is not a federation member`, at)
  if (init.keysOf === undefined) {
    if (!verifyBatchSignature(batch)) return reject('bad-signature', `batch ${seq} of ${origin} is not signed by its origin`, at)
  } else {
    // the key valid at this seq: rotations and revocations move it on
    const problem = init.keysOf(origin, batch.origin).check(batch)
    if (problem !== null) return reject(problem.reason, problem.message, at)
  }

  const head = init.headOf(origin)
  const headSeq = head?.seq ?? 0
  if (seq <= headSeq) return { kind: 'held', batch, kept: await init.storedBatch(origin, seq) }
  if (seq > headSeq + 1) return reject('gap', `batch ${seq} of ${origin} does not follow our head ${headSeq}`, at)
  if (head !== undefined && !sameBytes(batch.prevHash, head.hash)) {
    return reject('broken-chain', `batch ${seq} of ${origin} names a previous batch we do not hold (the origin's batch ${headSeq} differs from ours)`, at)
  }
  try {
    const entries = batch.entries.map(e => entryFromProto(e))
    // the decoded entries are not read again (the LogEntries are): let go before the batch waits for its write
    return { kind: 'new', batch: { ...batch, entries: [] }, entries }
  } catch (err) {
    return rejected(err, at)
  }
}

function reject (reason: RejectReason, message: string, at: { origin: string, seq: number }): RemoteVerdict {
  return { kind: 'rejected', result: { status: 'rejected', reason, message, ...at } }
}

/** A batch-level error as a rejection; anything else is ours and is thrown. */
function rejected (err: unknown, at: { origin?: string, seq?: number } = {}): RemoteVerdict {
  const reason = rejectReasonOf(err)
  if (reason === undefined) throw err
  return { kind: 'rejected', result: { status: 'rejected', reason, message: (err as Error).message, ...at } }
}
