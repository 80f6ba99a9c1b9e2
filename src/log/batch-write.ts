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
  // sized once: an import's write holds 10,000 row ops
  const ops = new Array<StoreOp>(batches.length + 1 + rows.ops.length)
  batches.forEach((b, i) => { ops[i] = { type: 'put', sublevel: store.sub.batches, key: batchKey(origin, b.seq), value: b.signed } })
  ops[batches.length] = headOp(store, origin, head)
  for (let i = 0; i < rows.ops.length; i++) ops[batches.length + 1 + i] = rows.ops[i]
  return { ops, head }
}
