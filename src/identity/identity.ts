import { createPrivateKey, createPublicKey, sign as edSign, verify as edVerify, type KeyObject } from 'node:crypto'
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey, peerIdFromString, peerIdFromMultihash } from '@libp2p/peer-id'
import type { Ed25519PrivateKey, PeerId, PrivateKey } from '@libp2p/interface'
import * as Digest from 'multiformats/hashes/digest'
import { hfError, ErrorCodes } from '../errors.js'

/** A node's Ed25519 identity: libp2p key for Noise, node:crypto keys for fast record signing. */
export interface Identity {
  readonly privateKey: PrivateKey
  readonly peerId: PeerId
  /** peer ID as bytes (multihash), as written into signed records */
  readonly peerIdBytes: Uint8Array
  sign: (data: Uint8Array) => Uint8Array
}

const b64url = (b: Uint8Array): string => Buffer.from(b).toString('base64url')

export async function generateIdentityKey (): Promise<Uint8Array> {
  return privateKeyToProtobuf(await generateKeyPair('Ed25519'))
}

export function identityFromKeyBytes (bytes: Uint8Array): Identity {
  let key: PrivateKey
  try {
    key = privateKeyFromProtobuf(bytes)
  } catch (err) {
    throw hfError(ErrorCodes.INVALID_KEY, 'identity key file does not hold a libp2p private key', undefined, err)
  }
  if (key.type !== 'Ed25519') throw hfError(ErrorCodes.INVALID_KEY, `identity key must be Ed25519, found ${key.type}`)
  const raw = (key as Ed25519PrivateKey).raw // seed (32) + public key (32)
  const nodeKey = createPrivateKey({
    key: { kty: 'OKP', crv: 'Ed25519', d: b64url(raw.subarray(0, 32)), x: b64url(raw.subarray(32)) },
    format: 'jwk'
  })
  const peerId = peerIdFromPrivateKey(key)
  return {
    privateKey: key,
    peerId,
    peerIdBytes: peerId.toMultihash().bytes,
    sign: (data) => new Uint8Array(edSign(null, data, nodeKey))
  }
}

/**
 * Verification keys kept, oldest dropped first. Only members sign what we verify, and a
 * federation has tens of them; the bound stops a flood of records naming ever new signers
 * from growing the cache without end.
 */
export const MAX_VERIFY_KEYS = 1024
const verifyKeys = new Map<string, KeyObject>()

/** Keys in the verification cache (tests and memory checks). */
export function verifyKeyCacheSize (): number {
  return verifyKeys.size
}

/** Public verification key of an Ed25519 peer ID (the key is inlined in the ID). */
function verifyKeyFor (peerIdBytes: Uint8Array): KeyObject {
  const cacheKey = Buffer.from(peerIdBytes).toString('hex')
  let key = verifyKeys.get(cacheKey)
  if (key === undefined) {
    const peerId = peerIdFromBytes(peerIdBytes)
    if (peerId.type !== 'Ed25519' || peerId.publicKey === undefined) {
      throw hfError(ErrorCodes.INVALID_SIGNATURE, `peer ${peerId.toString()} is not an Ed25519 identity`)
    }
    key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: b64url(peerId.publicKey.raw) }, format: 'jwk' })
    if (verifyKeys.size >= MAX_VERIFY_KEYS) verifyKeys.delete(verifyKeys.keys().next().value as string)
    verifyKeys.set(cacheKey, key)
  }
  return key
}

/** True when `signature` over `data` was made by the key of `signer` (peer ID bytes). */
export function verifySignature (signer: Uint8Array, data: Uint8Array, signature: Uint8Array): boolean {
  if (signature.length !== 64) return false
  try {
    return edVerify(null, data, verifyKeyFor(signer), signature)
  } catch {
    return false
  }
}

export function peerIdFromBytes (bytes: Uint8Array): PeerId {
  try {
    return peerIdFromMultihash(Digest.decode(bytes))
  } catch (err) {
    throw hfError(ErrorCodes.INVALID_ARGUMENT, 'not a peer ID', undefined, err)
  }
}

export function parsePeerId (text: string): PeerId {
  try {
    return peerIdFromString(text)
  } catch (err) {
    throw hfError(ErrorCodes.INVALID_ARGUMENT, `"${text}" is not a valid peer ID`, undefined, err)
  }
}

export function peerIdToBytes (peerId: PeerId): Uint8Array {
  return peerId.toMultihash().bytes
}
