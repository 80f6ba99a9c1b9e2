import { pb, type hashfed } from '../proto/index.js'
import type { Identity } from '../identity/identity.js'
import { openRecord, signRecord, type SignerCheck, type Signed } from '../courier/signed-record.js'
import { algorithmFromEnum, formatHashValue, VALUE_BYTES, type AlgorithmName } from '../log/hash-value.js'
import { checkSignedTime } from '../reports/report-validation.js'
import { MAX_FEEDBACK_REASON } from './constants.js'

/** Signing and verifying the quarantine records the courier carries (see proto QuarantineNotice). */
export type QuarantineNotice = hashfed.v1.QuarantineNotice
export type QuarantineDecision = hashfed.v1.QuarantineDecision

export const signNotice = (identity: Identity, props: hashfed.v1.QuarantineNotice.$Properties): Signed => signRecord(identity, pb.QuarantineNotice, props)
/** Signed by the node that held the hash. */
export const openNotice = (signed: Signed | null | undefined, check?: SignerCheck): QuarantineNotice => openRecord(pb.QuarantineNotice, signed, 'quarantine notice', n => n.author, check)

export const signDecision = (identity: Identity, props: hashfed.v1.QuarantineDecision.$Properties): Signed => signRecord(identity, pb.QuarantineDecision, props)
/** Signed by the origin that decided. */
export const openDecision = (signed: Signed | null | undefined, check?: SignerCheck): QuarantineDecision => openRecord(pb.QuarantineDecision, signed, 'quarantine decision', d => d.author, check)

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

/** `alg:hex` of a record's HashRef, or a problem. */
export function refOfHash (hash: hashfed.v1.IHashRef | null | undefined): { ref: string, algorithm: AlgorithmName, value: Uint8Array } | string {
  let algorithm: AlgorithmName
  try { algorithm = algorithmFromEnum(hash?.algorithm ?? 0) } catch { return 'no known hash algorithm' }
  const value = hash?.value
  if (value == null || value.length !== VALUE_BYTES[algorithm]) return `a ${algorithm} value has ${VALUE_BYTES[algorithm]} bytes`
  return { ref: `${algorithm}:${formatHashValue(value)}`, algorithm, value }
}

/** What is wrong with a received record's common fields, or null. */
export function recordProblem (r: { id: string, reason?: string, atMs: Parameters<typeof checkSignedTime>[1] }, now = Date.now()): string | null {
  if (!UUID.test(r.id)) return 'the id is not a UUID'
  if ((r.reason ?? '').length > MAX_FEEDBACK_REASON) return 'the reason is too long'
  try { checkSignedTime('atMs', r.atMs, now) } catch (err) { return (err as Error).message }
  return null
}
