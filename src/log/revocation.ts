import { pb, type hashfed } from '../proto/index.js'
import type { Store, StoreOp } from '../store/store.js'
import { batchKey, hashKeyOfRef, originRange, parseBatchKey } from '../store/layout.js'
import { decodeStored } from '../store/stored-record.js'
import type { RevokedRecord } from './log-types.js'
import { peerIdFromBytes, verifySignature, type Identity } from '../identity/identity.js'
import { hfError, ErrorCodes } from '../errors.js'
import { decodeBatch } from './batch.js'
import { entryFromProto, metaToProto } from './entry-codec.js'
import { refOf } from './hash-ref.js'
import { RowTracker } from './row-tracker.js'
import type { IndexRows } from './index-rows.js'
import { u64 } from './uint64.js'
import type { LogEntry } from './entry.js'
import type { Revocation } from './key-history.js'

export type { Revocation } from './key-history.js'

export const REVOCATION_VERSION = 1
/** A revocation is a few dozen bytes; anything much larger is not one. */
export const MAX_REVOCATION_BYTES = 1024

function invalid (reason: string, message: string): Error {
  return hfError(ErrorCodes.INVALID_SIGNATURE, message, { reason })
}

/** Signs a revocation with the recovery key: batches `firstBadSeq`.. of `origin` are the attacker's, `newKey` signs from there. */
export function signRevocation (recovery: Identity, init: { origin: Uint8Array, firstBadSeq: number, newKey: Uint8Array, createdMs?: number }): hashfed.v1.ISigned {
  const body = pb.KeyRevocation.encode({ version: REVOCATION_VERSION, origin: init.origin, firstBadSeq: init.firstBadSeq, newKey: init.newKey, createdMs: init.createdMs ?? Date.now() }).finish()
  return { body, signature: recovery.sign(body) }
}

/**
 * Decodes a revocation without trusting it: shape, version, origin and new key. Throws with
 * `details.reason` 'malformed'. The signature is checked by openRevocation.
 */
export function decodeRevocation (signed: hashfed.v1.ISigned): Omit<Revocation, 'signed'> {
  const body = signed.body ?? new Uint8Array(0)
  if (body.length > MAX_REVOCATION_BYTES) throw invalid('malformed', `a revocation is at most ${MAX_REVOCATION_BYTES} bytes`)
  let r: hashfed.v1.KeyRevocation
  try {
    r = pb.KeyRevocation.decode(body)
  } catch {
    throw invalid('malformed', 'not a KeyRevocation')
  }
  if (r.version !== REVOCATION_VERSION) throw invalid('malformed', `unsupported revocation version ${r.version}`)
  const firstBadSeq = u64(r.firstBadSeq)
  if (!Number.isSafeInteger(firstBadSeq) || firstBadSeq < 1) throw invalid('malformed', 'first_bad_seq must be 1 or more')
  let originId: string
  try {
    originId = peerIdFromBytes(r.origin ?? new Uint8Array(0)).toString()
    if (peerIdFromBytes(r.newKey ?? new Uint8Array(0)).type !== 'Ed25519') throw new Error('not Ed25519')
  } catch {
    throw invalid('malformed', 'the revocation names no valid origin or new key')
  }
  return { origin: r.origin ?? new Uint8Array(0), originId, firstBadSeq, newKey: r.newKey ?? new Uint8Array(0), createdMs: u64(r.createdMs) }
}

/**
 * decodeRevocation + the recovery key's signature (`recoveryKey`: peer ID bytes from the
 * federation file). `verified`: one this node stored after checking it (status reads them back).
 */
export function openRevocation (signed: hashfed.v1.ISigned, recoveryKey: Uint8Array, verified = false): Revocation {
  const r = decodeRevocation(signed)
  if (!verified && !verifySignature(recoveryKey, signed.body ?? new Uint8Array(0), signed.signature ?? new Uint8Array(0))) {
    throw invalid('bad-signature', `the revocation of ${r.originId} is not signed by its recovery key`)
  }
  return { ...r, signed: { body: signed.body, signature: signed.signature } }
}

/** What taking an origin's chain back to `firstBadSeq - 1` writes, and what it took out. */
export interface CutPlan {
  ops: StoreOp[]
  /** the chain's new head (0: nothing left) and its hash, entries and counts */
  head: { seq: number, hash: Uint8Array, entries: number, current: number, retracted: number }
  /** batches moved to the `revoked` sublevel */
  revokedBatches: number
  /** entries of the batches taken out (the match index drops them) */
  revoked: LogEntry[]
  /** entries of the batches kept, in order (the match index replays them) */
  kept: Array<{ seq: number, entries: LogEntry[] }>
}

/**
 * Plans the cut of `origin`'s chain at `firstBadSeq`: batches from there move to `revoked`
 * (evidence, no longer served or matched), the origin's `hashes` and `sources` rows are
 * rebuilt from the batches before it. One atomic write; holds the origin's kept entries in
 * memory while planning (a revocation is rare; a million entries is ~200 MB).
 */
export async function planCut (store: Store, rows: IndexRows, origin: string, firstBadSeq: number, headSeq: number, now: number): Promise<CutPlan> {
  const { sub } = store
  const ops: StoreOp[] = []
  let revokedBatches = 0
  const revoked: LogEntry[] = []
  for (let seq = Math.max(1, firstBadSeq); seq <= headSeq; seq++) {
    const signed = await sub.batches.get(batchKey(origin, seq))
    if (signed === undefined) continue
    ops.push({ type: 'put', sublevel: sub.revoked, key: batchKey(origin, seq), value: pb.RevokedBatch.encode({ batch: pb.Signed.decode(signed), revokedMs: now }).finish() })
    ops.push({ type: 'del', sublevel: sub.batches, key: batchKey(origin, seq) })
    revokedBatches++
    // an attacker's entry may be malformed: what does not decode was never matched either
    for (const e of decodeBatch(signed).entries) {
      try { revoked.push(entryFromProto(e)) } catch {}
    }
  }
  // the origin's rows go, and come back as the kept batches make them
  for await (const { ref, origin: o } of rows.all()) if (o === origin) ops.push({ type: 'del', sublevel: sub.hashes, key: hashKeyOfRef(ref, origin) })
  for await (const key of sub.sources.keys(originRange(origin))) ops.push({ type: 'del', sublevel: sub.sources, key })
  const tracker = new RowTracker(origin)
  const kept: CutPlan['kept'] = []
  let hash: Uint8Array = new Uint8Array(0)
  let entries = 0
  let seq = 0
  for (; seq < Math.min(headSeq, firstBadSeq - 1); seq++) {
    const signed = await sub.batches.get(batchKey(origin, seq + 1))
    if (signed === undefined) break
    const batch = decodeBatch(signed)
    const decoded = batch.entries.map(e => entryFromProto(e))
    decoded.forEach((e, i) => {
      const ref = e.op === 'add' ? refOf(e.record.algorithm, e.record.value) : refOf(e.algorithm, e.value)
      if (!tracker.has(ref)) tracker.load(ref, undefined)
      if (e.op === 'add') tracker.add(ref, metaToProto(e.record), batch.seq, i)
      else tracker.retract(ref, e.reason, batch.seq)
    })
    kept.push({ seq: batch.seq, entries: decoded })
    entries += decoded.length
    hash = batch.hash
  }
  const { ops: rowOps, current, retracted } = rows.writeOps(tracker)
  for (const op of rowOps) ops.push(op)
  return { ops, head: { seq, hash, entries, current, retracted }, revokedBatches, revoked, kept }
}

/** The revoked batches kept as evidence, of one origin or all. */
export async function listRevoked (store: Store, origin?: string): Promise<RevokedRecord[]> {
  const out: RevokedRecord[] = []
  for await (const [key, value] of store.sub.revoked.iterator(origin === undefined ? {} : originRange(origin))) {
    const { origin: o, seq } = parseBatchKey(key)
    const r = decodeStored(pb.RevokedBatch, value, `revoked batch ${key}`)
    const batch = decodeBatch(pb.Signed.encode(r.batch ?? {}).finish())
    out.push({ origin: o, seq, hash: batch.hash, entries: batch.entries.length, revokedMs: u64(r.revokedMs) })
  }
  return out
}
