import { pb, type hashfed } from '../proto/index.js'
import type { Store, BatchOp } from '../store/store.js'
import { decodeStored } from '../store/stored-record.js'
import { peerIdFromBytes, verifySignature, type Identity } from '../identity/identity.js'
import { sameBytes } from '../util/bytes.js'
import { u64 } from './uint64.js'
import { verifyBatchSignature, type Batch, type RejectReason } from './batch.js'

/** From `fromSeq` on (until the next epoch), the origin's batches are signed by `key` (peer ID bytes). */
export interface KeyEpoch {
  fromSeq: number
  key: Uint8Array
}

/** A revocation taken apart and verified. */
export interface Revocation {
  signed: hashfed.v1.ISigned
  origin: Uint8Array
  originId: string
  firstBadSeq: number
  newKey: Uint8Array
  createdMs: number
}

/** Why a batch's signature or key record is refused. */
export interface KeyProblem {
  reason: RejectReason
  message: string
}

/** What a new signing key signs to accept its place in an origin's chain. */
export function rotationStatement (origin: Uint8Array, seq: number, prevHash: Uint8Array, newKey: Uint8Array): Uint8Array {
  return pb.RotationStatement.encode({ origin, seq, prevHash, newKey }).finish()
}

/** The rotation record of batch `seq`: the new key and its signature over the statement. */
export function rotationRecord (origin: Uint8Array, seq: number, prevHash: Uint8Array, newKey: Identity): hashfed.v1.IKeyRotation {
  const newKeyBytes = newKey.peerIdBytes
  return { newKey: newKeyBytes, newKeySignature: newKey.sign(rotationStatement(origin, seq, prevHash, newKeyBytes)) }
}

function isEd25519 (key: Uint8Array): boolean {
  try {
    return peerIdFromBytes(key).type === 'Ed25519'
  } catch {
    return false
  }
}

/**
 * One origin's signing keys by sequence number. With no record the origin signs with its
 * genesis key, the origin id itself: logs written before keys could rotate verify unchanged.
 */
export class KeyHistory {
  readonly epochs: KeyEpoch[]
  /** first seqs revoked by the recovery key (batches from there signed by an earlier key are `revoked`) */
  readonly revokedFrom: number[]
  readonly revocations: hashfed.v1.ISigned[]

  constructor (readonly origin: Uint8Array, stored?: hashfed.v1.KeyHistory, revokedFrom: number[] = []) {
    this.epochs = stored === undefined || stored.epochs.length === 0
      ? [{ fromSeq: 1, key: origin }]
      : stored.epochs.map(e => ({ fromSeq: u64(e.fromSeq), key: e.key ?? new Uint8Array(0) }))
    this.revocations = stored?.revocations ?? []
    this.revokedFrom = revokedFrom
  }

  /** The key that signs batch `seq`. */
  keyAt (seq: number): Uint8Array {
    let best = this.epochs[0]
    for (const e of this.epochs) if (e.fromSeq <= seq && e.fromSeq >= best.fromSeq) best = e
    return best.key
  }

  /** True once the origin has used any key but its genesis key. */
  get rotated (): boolean {
    return this.epochs.length > 1
  }

  /**
   * Checks a batch of this origin against the history as it stands before the batch: signed by
   * the key valid at its seq (`old-key`/`revoked` when an earlier key signed it), and a rotation
   * it carries signed by its new key, with no entries beside it.
   */
  check (batch: Batch): KeyProblem | null {
    const { seq, originId } = batch
    if (!verifyBatchSignature(batch, this.keyAt(seq))) {
      const byEarlier = this.epochs.some(e => verifyBatchSignature(batch, e.key))
      if (!byEarlier) return { reason: 'bad-signature', message: `batch ${seq} of ${originId} is not signed by its origin's key` }
      if (this.revokedFrom.some(from => seq >= from)) return { reason: 'revoked', message: `batch ${seq} of ${originId} is signed by a key its recovery key revoked` }
      return { reason: 'old-key', message: `batch ${seq} of ${originId} is signed by a key the origin rotated away from` }
    }
    const r = batch.rotation
    if (r == null) return null
    const newKey = r.newKey ?? new Uint8Array(0)
    if (batch.entries.length > 0) return { reason: 'bad-key-record', message: `batch ${seq} of ${originId} carries a key rotation and entries` }
    if (!isEd25519(newKey) || sameBytes(newKey, this.keyAt(seq))) return { reason: 'bad-key-record', message: `batch ${seq} of ${originId} rotates to a key that is not a new Ed25519 key` }
    if (!verifySignature(newKey, rotationStatement(batch.origin, seq, batch.prevHash, newKey), r.newKeySignature ?? new Uint8Array(0))) {
      return { reason: 'bad-key-record', message: `the rotation in batch ${seq} of ${originId} is not signed by its new key` }
    }
    return null
  }

  /** Takes a checked batch's rotation: the next batches are signed by its new key. True when something changed. */
  accept (batch: Batch): boolean {
    const newKey = batch.rotation?.newKey
    if (newKey == null) return false
    // a re-applied rotation (never expected: batches are applied once) would not add an epoch twice
    if (this.epochs.some(e => e.fromSeq === batch.seq + 1 && sameBytes(e.key, newKey))) return false
    this.epochs.push({ fromSeq: batch.seq + 1, key: newKey })
    return true
  }

  encode (): Uint8Array {
    return pb.KeyHistory.encode({ epochs: this.epochs.map(e => ({ fromSeq: e.fromSeq, key: e.key })), revocations: this.revocations }).finish()
  }
}

/** Every origin's key history as the `keys` sublevel holds it; absent rows are genesis-only histories. */
export class OriginKeys {
  private readonly histories = new Map<string, KeyHistory>()
  /** our own origins' current signing keys (the node's key files), when not the genesis key */
  private readonly signers = new Map<string, Identity>()

  constructor (private readonly store: Store) {}

  async load (): Promise<void> {
    for await (const [origin, value] of this.store.sub.keys.iterator()) {
      this.histories.set(origin, historyFromStored(origin, value))
    }
  }

  /** The history of `origin` (a copy to check against; `originBytes` names its genesis key). */
  of (origin: string, originBytes: Uint8Array): KeyHistory {
    const h = this.histories.get(origin)
    return h ?? new KeyHistory(originBytes)
  }

  /** Store ops for the key records among `batches` (checked, in order), and the commit after the write. */
  writeOps (origin: string, originBytes: Uint8Array, batches: Batch[]): { ops: BatchOp[], commit: () => void } {
    if (!batches.some(b => b.rotation != null)) return { ops: [], commit: () => {} }
    const next = new KeyHistory(originBytes, pb.KeyHistory.decode(this.of(origin, originBytes).encode()), [...this.of(origin, originBytes).revokedFrom])
    for (const b of batches) next.accept(b)
    return {
      ops: [{ type: 'put', sublevel: this.store.sub.keys, key: origin, value: next.encode() }],
      commit: () => { this.histories.set(origin, next) }
    }
  }

  /** After a revocation was written: the history it left. */
  replace (origin: string, history: KeyHistory): void {
    this.histories.set(origin, history)
  }

  /** Our origin signs with `signer` from now on (it must be the key the history names next). */
  setSigner (origin: string, signer: Identity): void {
    this.signers.set(origin, signer)
  }

  /** The identity to sign our next batch with: the origin id, signed by its current key. */
  signingIdentity (identity: Identity): Identity {
    const signer = this.signers.get(identity.peerId.toString())
    return signer === undefined ? identity : { ...identity, sign: (data) => signer.sign(data) }
  }
}

/** A `keys` row as a history (the revoked-from seqs come from its revocations). */
export function historyFromStored (origin: string, value: Uint8Array): KeyHistory {
  const stored = decodeStored(pb.KeyHistory, value, `key history of ${origin}`)
  const revokedFrom = stored.revocations.map(s => {
    try {
      return u64(pb.KeyRevocation.decode(s.body ?? new Uint8Array(0)).firstBadSeq)
    } catch {
      return Number.MAX_SAFE_INTEGER
    }
  })
  const genesis = stored.epochs[0]?.key ?? new Uint8Array(0)
  return new KeyHistory(genesis, stored, revokedFrom)
}

/**
 * The history a re-verification of `origin`'s stored chain starts from: its genesis key and the
 * keys its applied revocations named (rotations are taken from the chain as it is walked).
 */
export async function walkStartHistory (store: Store, origin: string, originBytes: Uint8Array): Promise<KeyHistory> {
  const value = await store.sub.keys.get(origin)
  if (value === undefined) return new KeyHistory(originBytes)
  const stored = historyFromStored(origin, value)
  const epochs: KeyEpoch[] = [{ fromSeq: 1, key: originBytes }]
  for (const signed of stored.revocations) {
    const r = pb.KeyRevocation.decode(signed.body ?? new Uint8Array(0))
    epochs.push({ fromSeq: u64(r.firstBadSeq), key: r.newKey ?? new Uint8Array(0) })
  }
  return new KeyHistory(originBytes, pb.KeyHistory.create({ epochs, revocations: stored.revocations }), stored.revokedFrom)
}
