import { createHash } from 'node:crypto'
import type { Uint8ArrayList } from 'uint8arraylist'
import { pb } from '../proto/index.js'
import type { hashfed } from '../proto/index.js'
import { ErrorCodes } from '../errors.js'
import { verifySignature, type Identity } from '../identity/identity.js'
import { rejection } from './rejection.js'

/**
 * Signing and verifying the report protocol's records. Each is sent as a `Signed` whose
 * `body` holds the exact bytes that were signed, so a record is verified, hashed and stored
 * as those bytes and never re-encoded.
 */

export type Signed = hashfed.v1.Signed.$Properties
export type UrlReport = hashfed.v1.UrlReport
export type StatusUpdate = hashfed.v1.StatusUpdate
export type Receipt = hashfed.v1.Receipt
export type Feedback = hashfed.v1.Feedback
export type ReportMessage = hashfed.v1.ReportMessage
export type ReportMessageInit = hashfed.v1.ReportMessage.$Properties
/** The kinds of message a sender puts in the outbox (a receipt or error is only ever an answer). */
export type MessageKind = 'report' | 'status' | 'feedback'
export const MESSAGE_KINDS: readonly MessageKind[] = ['report', 'status', 'feedback']

interface BodyCodec<T, P> {
  encode: (props: P) => { finish: () => Uint8Array }
  decode: (bytes: Uint8Array) => T
}

function sign<P> (identity: Identity, codec: BodyCodec<unknown, P>, props: P): Signed {
  const body = codec.encode(props).finish()
  return { body, signature: identity.sign(body) }
}

/**
 * Decodes `signed.body` and checks the signature against the signer the record names. The
 * body must be exactly what this version would encode from the fields it knows: a record
 * carrying unknown fields (a `reporter=` smuggled past the schema) or a non-canonical
 * encoding is refused, because records are stored as the signed bytes. `checkSigner` (see
 * `sentBy`) refuses a signer before its signature is looked at, so a stream of records naming
 * ever new signers costs neither a verification nor a cached key.
 */
function open<T, P> (codec: BodyCodec<T, P>, signed: Signed | null | undefined, what: string, signerOf: (record: T) => Uint8Array, checkSigner?: SignerCheck): T {
  const body = signed?.body
  const signature = signed?.signature
  if (body == null || body.length === 0 || signature == null) throw rejection('malformed', `${what}: empty or unsigned`)
  let record: T
  try {
    record = codec.decode(body)
  } catch (err) {
    throw rejection('malformed', `${what}: does not decode: ${(err as Error).message}`)
  }
  if (!sameBytes(codec.encode(record as unknown as P).finish(), body)) throw rejection('malformed', `${what}: holds fields this version does not know, or is not encoded canonically`)
  const signer = signerOf(record)
  if (signer.length === 0) throw rejection('malformed', `${what}: names no signer`)
  checkSigner?.(signer, what)
  if (!verifySignature(signer, body, signature)) throw rejection('bad-signature', `${what}: the signature is not its signer's`, ErrorCodes.INVALID_SIGNATURE)
  return record
}

/** Throws a rejection for a signer that may not have sent this record. */
export type SignerCheck = (signer: Uint8Array, what: string) => void

/**
 * The signer must be the Noise-authenticated sender (`senderBytes`): records are never
 * relayed. `also` checks the signer first (e.g. that it is a member hotline).
 */
export function sentBy (senderBytes: Uint8Array, also?: SignerCheck): SignerCheck {
  return (signer, what) => {
    also?.(signer, what)
    if (!sameBytes(signer, senderBytes)) throw rejection('relayed', `${what}: signed by another peer than the one that sent it; records are never relayed`)
  }
}

/** SHA-256 of the signed body: what receipts acknowledge and `seen` is keyed by. */
export function bodyHash (signed: Signed): Uint8Array {
  return new Uint8Array(createHash('sha256').update(signed.body ?? new Uint8Array()).digest())
}

export const signReport = (identity: Identity, props: hashfed.v1.UrlReport.$Properties): Signed => sign(identity, pb.UrlReport, props)
/** Signed by the report's origin. */
export const openReport = (signed: Signed | null | undefined, check?: SignerCheck): UrlReport => open(pb.UrlReport, signed, 'report', r => r.origin, check)

export const signStatus = (identity: Identity, props: hashfed.v1.StatusUpdate.$Properties): Signed => sign(identity, pb.StatusUpdate, props)
/** Signed by the update's author. */
export const openStatus = (signed: Signed | null | undefined, check?: SignerCheck): StatusUpdate => open(pb.StatusUpdate, signed, 'status update', s => s.author, check)

export const signReceipt = (identity: Identity, props: hashfed.v1.Receipt.$Properties): Signed => sign(identity, pb.Receipt, props)
/** Signed by the receiver it names. */
export const openReceipt = (signed: Signed | null | undefined): Receipt => open(pb.Receipt, signed, 'receipt', r => r.receiver)

export const signFeedback = (identity: Identity, props: hashfed.v1.Feedback.$Properties): Signed => sign(identity, pb.Feedback, props)
/** Signed by the node that collected it. */
export const openFeedback = (signed: Signed | null | undefined, check?: SignerCheck): Feedback => open(pb.Feedback, signed, 'feedback', f => f.author, check)

export function encodeMessage (msg: ReportMessageInit): Uint8Array {
  return pb.ReportMessage.encode(msg).finish()
}

/** One frame of the report protocol; anything else is a `malformed` rejection, never a crash. */
export function decodeMessage (data: Uint8Array | Uint8ArrayList): ReportMessage {
  const bytes = data instanceof Uint8Array ? data : data.subarray()
  let msg: ReportMessage
  try {
    msg = pb.ReportMessage.decode(bytes)
  } catch (err) {
    throw rejection('malformed', `report message does not decode: ${(err as Error).message}`)
  }
  if (msg.kind === undefined) throw rejection('malformed', 'empty report message')
  return msg
}

/** The signed record a sendable message carries. */
export function messageRecord (msg: ReportMessageInit): { kind: MessageKind, signed: Signed } | null {
  for (const kind of MESSAGE_KINDS) {
    const signed = msg[kind]
    if (signed != null) return { kind, signed }
  }
  return null
}

export const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')
export const sameBytes = (a: Uint8Array | null | undefined, b: Uint8Array | null | undefined): boolean =>
  a != null && b != null && Buffer.compare(a, b) === 0
