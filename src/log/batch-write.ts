import { pb } from '../proto/index.js'
import type { Store, StoreOp } from '../store/store.js'
import { batchKey } from '../store/layout.js'
import type { Batch } from './batch.js'
import type { OriginHead } from './log-types.js'

/** The `heads` row of an origin. */
export function headOp (store: Store, origin: string, h: OriginHead): StoreOp {
  return { type: 'put', sublevel: store.sub.heads, key: origin, value: pb.Head.encode({ origin: h.originBytes, seq: h.seq, hash: h.hash, entries: h.entries, current: h.current, retracted: h.retracted }).finish() }
}

/**
 * The ops of one atomic write of an origin's batches, and the head it leaves: the batches,
 * the head, then the index rows (`rows`, with how they change the origin's counts).
 */
export function batchWriteOps (store: Store, origin: string, originBytes: Uint8Array, batches: Batch[], old: OriginHead | undefined, logEntries: number,
  rows: { ops: StoreOp[], current: number, retracted: number }): { ops: StoreOp[], head: OriginHead } {
  const last = batches[batches.length - 1]
  const head: OriginHead = {
    origin,
    originBytes,
    seq: last.seq,
    hash: last.hash,
    entries: logEntries,
    current: (old?.current ?? 0) + rows.current,
    retracted: (old?.retracted ?? 0) + rows.retracted
  }
  const ops: StoreOp[] = batches.map(b => ({ type: 'put', sublevel: store.sub.batches, key: batchKey(origin, b.seq), value: b.signed }))
  ops.push(headOp(store, origin, head))
  for (const op of rows.ops) ops.push(op)
  return { ops, head }
}
