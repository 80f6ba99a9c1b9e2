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
  if (!sameBytes(r.receiver, expected.target)) return 'signed by another peer than the target'
  if (!sameBytes(r.ackedHash, bodyHash(expected.signed))) return 'acknowledges other bytes'
  if (r.reportId !== expected.subject) return `names ${r.reportId}, not ${expected.subject}`
  return null
}
