import { pb } from '../proto/index.js'
import type { Store } from '../store/store.js'
import { decodeStored } from '../store/stored-record.js'
import { originRange, parseBatchKey } from '../store/layout.js'
import { decodeBatch, rejectReasonOf, type Batch } from './batch.js'
import { walkStartHistory, type KeyHistory } from './key-history.js'
import type { LogEntry } from './entry.js'
import { entryFromProto } from './entry-codec.js'
import { u64 } from './uint64.js'
import { sameBytes } from '../util/bytes.js'
import type { ChainProblem, StoreFault, VerifyReport } from './log-types.js'

/** Called with each batch once it verified; a fault it returns ends the walk. */
export type BatchVisitor = (batch: Batch, entries: LogEntry[]) => Promise<StoreFault | undefined>

export interface ChainWalk {
  report: VerifyReport
  /** entries in the batches verified */
  entries: number
  /** what the visitor found, if anything (the walk stopped there) */
  fault?: StoreFault
}

/**
 * Re-verifies one origin's stored chain from batch 1, streaming: each batch is signed by the
 * origin's key at its seq (rotations followed, revocations from the `keys` row), canonical, stored under its own origin and seq, names the previous batch, has no gap
 * before it and only valid entries; the head row names the last one. Reports the first problem.
 */
export async function walkChain (store: Store, origin: string, visit?: BatchVisitor): Promise<ChainWalk> {
  let expected = 1
  let entries = 0
  let prevHash: Uint8Array = new Uint8Array(0)
  let keys: KeyHistory | undefined
  const fail = (seq: number, problem: ChainProblem, message: string): ChainWalk => ({ report: { ok: false, origin, seq, problem, message }, entries })
  for await (const [key, signed] of store.sub.batches.iterator(originRange(origin))) {
    const keySeq = parseBatchKey(key).seq
    let batch: Batch
    try {
      batch = decodeBatch(signed)
    } catch (err) {
      return fail(keySeq, rejectReasonOf(err) ?? 'malformed', (err as Error).message)
    }
    // signed by the origin's key at this seq: the history is re-derived as the chain is walked
    keys ??= await walkStartHistory(store, origin, batch.origin)
    const keyProblem = keys.check(batch)
    if (keyProblem !== null) return fail(keySeq, keyProblem.reason, keyProblem.message)
    if (!sameBytes(batch.signed, signed)) return fail(keySeq, 'not-canonical', `stored batch ${keySeq} is not the canonical encoding of its body and signature`)
    if (batch.originId !== origin) return fail(keySeq, 'wrong-origin', `batch stored as ${origin} ${keySeq} is signed for ${batch.originId}`)
    if (batch.seq !== keySeq) return fail(keySeq, 'misplaced', `batch stored as ${keySeq} says it is batch ${batch.seq}`)
    if (keySeq !== expected) return fail(expected, 'gap', `batch ${expected} is missing (next stored is ${keySeq})`)
    if (!sameBytes(batch.prevHash, prevHash)) return fail(keySeq, 'broken-chain', `batch ${keySeq} does not name batch ${keySeq - 1} as its previous batch`)
    let decoded: LogEntry[]
    try {
      decoded = batch.entries.map(e => entryFromProto(e))
    } catch (err) {
      return fail(keySeq, 'malformed', (err as Error).message)
    }
    if (visit !== undefined) {
      const fault = await visit(batch, decoded)
      if (fault !== undefined) return { report: { ok: false, origin, seq: fault.seq, problem: fault.problem as ChainProblem, message: fault.message }, entries, fault }
    }
    keys.accept(batch)
    entries += decoded.length
    prevHash = batch.hash
    expected++
  }
  const stored = await store.sub.heads.get(origin)
  const head = stored === undefined ? undefined : decodeStored(pb.Head, stored, `head of ${origin}`)
  if (u64(head?.seq) !== expected - 1 || !sameBytes(head?.hash ?? new Uint8Array(0), prevHash)) {
    return fail(expected - 1, 'head-mismatch', `the head says batch ${u64(head?.seq)} but the chain ends at batch ${expected - 1}`)
  }
  return { report: { ok: true, origin, batches: expected - 1, headSeq: expected - 1 }, entries }
}

/** The origins the store holds anything of: a head or batches, sorted. Reads one key per batch. */
export async function storedOrigins (store: Store): Promise<string[]> {
  const origins = new Set<string>()
  for await (const origin of store.sub.heads.keys()) origins.add(origin)
  for await (const key of store.sub.batches.keys()) origins.add(parseBatchKey(key).origin)
  return [...origins].sort()
}
