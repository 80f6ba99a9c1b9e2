import { pb, type hashfed } from '../proto/index.js'
import type { Identity } from '../identity/identity.js'
import { bodyHash, openRecord, sameBytes, signRecord, type Signed } from './signed-record.js'

/**
 * Receipts: the receiver's signed word that it durably holds exactly these bytes about this
 * subject. A sender removes an outbox item only on a receipt that passes `receiptProblem`.
 */
export type Receipt = hashfed.v1.Receipt

export const signReceipt = (identity: Identity, props: hashfed.v1.Receipt.$Properties): Signed => signRecord(identity, pb.Receipt, props)
/** Signed by the receiver it names. */
export const openReceipt = (signed: Signed | null | undefined): Receipt => openRecord(pb.Receipt, signed, 'receipt', r => r.receiver)

/** Why `receipt` does not complete the delivery of `signed` about `subject` to `target`; null when it does. */
export function receiptProblem (receipt: Signed, expected: { target: Uint8Array, signed: Signed, subject: string }): string | null {
  let r: Receipt
  try {
    r = openReceipt(receipt)
  } catch (err) {
    return (err as Error).message
  }
  return openedReceiptProblem(r, expected.target, bodyHash(expected.signed), expected.subject)
}

/**
 * The same for a receipt already opened (a batch receipt is verified once for all its
 * records). A single receipt names the subject and the bytes; a batch receipt lists the
 * bytes' hash, and the bytes (signed by us) name their subject.
 */
export function openedReceiptProblem (r: Receipt, target: Uint8Array, hash: Uint8Array, subject: string): string | null {
  if (!sameBytes(r.receiver, target)) return 'signed by another peer than the target'
  if (r.ackedHashes.length > 0) {
    if (r.reportId !== '' || r.ackedHash.length > 0) return 'a batch receipt that also names a single record'
    return r.ackedHashes.some(h => sameBytes(h, hash)) ? null : 'the batch receipt does not name these bytes'
  }
  if (!sameBytes(r.ackedHash, hash)) return 'acknowledges other bytes'
  if (r.reportId !== subject) return `names ${r.reportId}, not ${subject}`
  return null
}
