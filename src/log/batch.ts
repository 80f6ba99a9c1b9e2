import { createHash } from 'node:crypto'
import { hfError, ErrorCodes, isHashfedError, type HashfedError } from '../errors.js'
import { pb, type hashfed } from '../proto/index.js'
import { verifySignature, type Identity } from '../identity/identity.js'
import { originIdOf } from './origin-ids.js'
import { BATCH_VERSION, MAX_BATCH_BYTES, MAX_BATCH_ENTRIES, MAX_SIGNED_BATCH_BYTES } from './constants.js'
import { u64 } from './uint64.js'
import { encodeBatchBody, entriesOf, type BodyEntries } from './batch-body-encoder.js'

/** Why a batch was refused, one line each. Stable strings: sync counts rejections per reason and logs them. */
export const BATCH_REJECT_REASONS = {
  'not-member': 'the origin is not a federation member',
  'bad-signature': 'the signature is not the origin\'s over the body bytes',
  gap: 'the sequence number is beyond our head + 1: earlier batches are missing',
  'broken-chain': 'prev_hash is not the hash of the batch we hold one sequence number before',
  fork: 'a different validly signed batch for an (origin, seq) we already hold',
  'old-key': 'signed by a key its origin has rotated away from (or revoked) before this batch',
  'bad-key-record': 'a key rotation record whose new key did not sign it, or that carries entries',
  revoked: 'a batch its origin\'s recovery key revoked (kept as evidence, not taken again)',
  'too-large': 'over the size or entry limits of a batch (or a sync frame or heads list)',
  malformed: 'does not decode, has an unknown version, or an entry breaks the entry rules'
} as const

export type RejectReason = keyof typeof BATCH_REJECT_REASONS

/** SHA-256 length: prev_hash is empty for seq 1 and this long after. */
const HASH_BYTES = 32

/** A batch taken apart. `signed` is the canonical Signed encoding; `body` the exact signed bytes. */
export interface Batch {
  signed: Uint8Array
  body: Uint8Array
  signature: Uint8Array
  /** SHA-256 of `body`: the batch hash the next batch's prev_hash names */
  hash: Uint8Array
  /** origin peer ID bytes and their string form */
  origin: Uint8Array
  originId: string
  seq: number
  /** empty for seq 1 */
  prevHash: Uint8Array
  createdMs: number
  /** entries as decoded; not yet validated (see entryFromProto) */
  entries: hashfed.v1.HashEntry.$Properties[]
  /** a key rotation (key-history.ts checks it): batches after this one are signed by its new key */
  rotation?: hashfed.v1.IKeyRotation
}

export interface BuildBatchInit {
  identity: Identity
  seq: number
  /** hash of batch seq - 1; empty for seq 1 */
  prevHash: Uint8Array
  /** @default Date.now() */
  createdMs?: number
  /** HashEntry objects, or (an append's adds) their parts without an object per entry */
  entries: hashfed.v1.HashEntry.$Properties[] | BodyEntries
  rotation?: hashfed.v1.IKeyRotation
}

export function batchHash (body: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(body).digest())
}

/** An INVALID_BATCH error carrying a RejectReason in `details.reason`. */
export function batchError (reason: RejectReason, message: string, cause?: unknown): HashfedError {
  return hfError(reason === 'too-large' ? ErrorCodes.TOO_LARGE : ErrorCodes.INVALID_BATCH, message, { reason }, cause)
}

/** The RejectReason of an error thrown by this module (or entryFromProto), if it has one. */
export function rejectReasonOf (err: unknown): RejectReason | undefined {
  if (!isHashfedError(err)) return undefined
  const reason = err.details?.reason
  return typeof reason === 'string' ? reason as RejectReason : undefined
}

/**
 * Encodes a BatchBody for `identity`'s origin and signs the exact encoded bytes: one
 * signature authenticates the whole batch. Throws 'too-large' past the limits.
 */
export function buildBatch (init: BuildBatchInit): Batch {
  if (init.entries.length > MAX_BATCH_ENTRIES) throw batchError('too-large', `a batch holds at most ${MAX_BATCH_ENTRIES} entries, got ${init.entries.length}`)
  const createdMs = init.createdMs ?? Date.now()
  const origin = init.identity.peerIdBytes
  const entries = init.entries
  const header = { version: BATCH_VERSION, origin, seq: init.seq, prevHash: init.prevHash, createdMs, rotation: init.rotation }
  const body = Array.isArray(entries) ? encodeBatchBody({ ...header, entries }) : encodeBatchBody(header, entries)
  if (body.length > MAX_BATCH_BYTES) throw batchError('too-large', `a batch body is at most ${MAX_BATCH_BYTES} bytes, got ${body.length}`)
  const signature = init.identity.sign(body)
  const batch: Batch = {
    signed: pb.Signed.encode({ body, signature }).finish(),
    body,
    signature,
    hash: batchHash(body),
    origin,
    originId: init.identity.peerId.toString(),
    seq: init.seq,
    prevHash: init.prevHash,
    createdMs,
    entries: Array.isArray(entries) ? entries : [],
    ...(init.rotation !== undefined ? { rotation: init.rotation } : {})
  }
  // from parts: the objects are made only if asked for (an append never does), not held through the write
  if (!Array.isArray(entries)) {
    let made: hashfed.v1.HashEntry.$Properties[] | undefined
    Object.defineProperty(batch, 'entries', { enumerable: true, get: () => (made ??= entriesOf(entries)) })
  }
  return batch
}

/**
 * Takes apart a Signed batch without trusting it: size limits, decoding, version, origin,
 * seq and prev_hash shape. Does NOT check the signature (see verifyBatchSignature), so a
 * caller can refuse non-members before spending a verify. Throws INVALID_BATCH / TOO_LARGE
 * with `details.reason`.
 */
export function decodeBatch (signed: Uint8Array): Batch {
  if (signed.length > MAX_SIGNED_BATCH_BYTES) throw batchError('too-large', `a signed batch is at most ${MAX_SIGNED_BATCH_BYTES} bytes, got ${signed.length}`)
  let envelope: hashfed.v1.Signed
  let decoded: hashfed.v1.BatchBody
  try {
    envelope = pb.Signed.decode(signed)
  } catch (err) {
    throw batchError('malformed', 'not a Signed message', err)
  }
  const body = envelope.body ?? new Uint8Array(0)
  const signature = envelope.signature ?? new Uint8Array(0)
  if (body.length > MAX_BATCH_BYTES) throw batchError('too-large', `a batch body is at most ${MAX_BATCH_BYTES} bytes, got ${body.length}`)
  try {
    decoded = pb.BatchBody.decode(body)
  } catch (err) {
    throw batchError('malformed', 'the signed body is not a BatchBody', err)
  }
  const version = decoded.version ?? 0
  if (version !== BATCH_VERSION) throw batchError('malformed', `unsupported batch version ${version} (this node reads ${BATCH_VERSION})`)
  const origin = decoded.origin ?? new Uint8Array(0)
  let originId: string
  try {
    originId = originIdOf(origin)
  } catch (err) {
    throw batchError('malformed', 'the batch origin is not a peer ID', err)
  }
  const seq = u64(decoded.seq)
  if (!Number.isSafeInteger(seq) || seq < 1) throw batchError('malformed', `batch seq must be 1 or more, got ${seq}`)
  const prevHash = decoded.prevHash ?? new Uint8Array(0)
  const expectedPrev = seq === 1 ? 0 : HASH_BYTES
  if (prevHash.length !== expectedPrev) throw batchError('malformed', `batch ${seq} must carry a ${expectedPrev}-byte prev_hash, got ${prevHash.length} bytes`)
  const entries = decoded.entries ?? []
  if (entries.length > MAX_BATCH_ENTRIES) throw batchError('too-large', `a batch holds at most ${MAX_BATCH_ENTRIES} entries, got ${entries.length}`)
  return {
    signed: pb.Signed.encode({ body, signature }).finish(),
    body,
    signature,
    hash: batchHash(body),
    origin,
    originId,
    seq,
    prevHash,
    createdMs: u64(decoded.createdMs),
    entries,
    ...(decoded.rotation != null ? { rotation: decoded.rotation } : {})
  }
}

/**
 * True when the batch is signed over the exact body bytes by `key` (peer ID bytes): the
 * origin's signing key at the batch's seq (key-history.ts), its genesis key (the origin id) by default.
 */
export function verifyBatchSignature (batch: Batch, key: Uint8Array = batch.origin): boolean {
  return verifySignature(key, batch.body, batch.signature)
}

/** decodeBatch + verifyBatchSignature (with `key`, the origin's genesis key by default); throws 'bad-signature'. */
export function openBatch (signed: Uint8Array, key?: Uint8Array): Batch {
  const batch = decodeBatch(signed)
  if (!verifyBatchSignature(batch, key)) throw batchError('bad-signature', `batch ${batch.seq} of ${batch.originId} is not signed by its origin`)
  return batch
}
