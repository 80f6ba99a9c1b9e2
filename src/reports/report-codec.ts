import { pb } from '../proto/index.js'
import type { hashfed } from '../proto/index.js'
import type { Identity } from '../identity/identity.js'
import { openRecord, signRecord, type SignerCheck, type Signed } from '../courier/signed-record.js'

/**
 * Signing and verifying the records reports and feedback send through the courier (see
 * courier/signed-record: verified and stored as the exact signed bytes).
 */

export type UrlReport = hashfed.v1.UrlReport
export type StatusUpdate = hashfed.v1.StatusUpdate
export type Feedback = hashfed.v1.Feedback

export const signReport = (identity: Identity, props: hashfed.v1.UrlReport.$Properties): Signed => signRecord(identity, pb.UrlReport, props)
/** Signed by the report's origin. */
export const openReport = (signed: Signed | null | undefined, check?: SignerCheck): UrlReport => openRecord(pb.UrlReport, signed, 'report', r => r.origin, check)

export const signStatus = (identity: Identity, props: hashfed.v1.StatusUpdate.$Properties): Signed => signRecord(identity, pb.StatusUpdate, props)
/** Signed by the update's author. */
export const openStatus = (signed: Signed | null | undefined, check?: SignerCheck): StatusUpdate => openRecord(pb.StatusUpdate, signed, 'status update', s => s.author, check)

export const signFeedback = (identity: Identity, props: hashfed.v1.Feedback.$Properties): Signed => signRecord(identity, pb.Feedback, props)
/** Signed by the node that collected it. */
export const openFeedback = (signed: Signed | null | undefined, check?: SignerCheck): Feedback => openRecord(pb.Feedback, signed, 'feedback', f => f.author, check)
