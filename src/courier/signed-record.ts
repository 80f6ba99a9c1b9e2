import { createHash } from 'node:crypto'
import type { hashfed } from '../proto/index.js'
import { ErrorCodes } from '../errors.js'
import { verifySignature, type Identity } from '../identity/identity.js'
import { rejection } from './rejection.js'

/**
 * Signed records, as the courier carries them: a `Signed` whose `body` holds the exact bytes
 * that were signed, so a record is verified, hashed and stored as those bytes and never
 * re-encoded.
 */
export type Signed = hashfed.v1.Signed.$Properties

export interface BodyCodec<T, P> {
  encode: (props: P) => { finish: () => Uint8Array }
  decode: (bytes: Uint8Array) => T
}

/** Throws a rejection for a signer that may not have sent this record. */
export type SignerCheck = (signer: Uint8Array, what: string) => void

export function signRecord<P> (identity: Identity, codec: BodyCodec<unknown, P>, props: P): Signed {
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
export function openRecord<T, P> (codec: BodyCodec<T, P>, signed: Signed | null | undefined, what: string, signerOf: (record: T) => Uint8Array, checkSigner?: SignerCheck): T {
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

export const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')
export const sameBytes = (a: Uint8Array | null | undefined, b: Uint8Array | null | undefined): boolean =>
  a != null && b != null && Buffer.compare(a, b) === 0
