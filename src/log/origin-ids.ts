import { parsePeerId, peerIdFromBytes, peerIdToBytes } from '../identity/identity.js'

/**
 * Peer ID bytes <-> string for origins, remembered. Every push carries every origin's head and
 * every batch names its origin; parsing a peer ID builds its public key, and this ran dozens
 * of times per batch relayed (a profile of the convergence benchmark put it near 5% of a
 * node's CPU). The conversion is exact, so a remembered answer is the answer; only IDs that
 * parsed are kept, and the maps are bounded (a federation has tens of origins).
 */
const MAX_REMEMBERED = 1024
const toText = new Map<string, string>()
const toBytes = new Map<string, Uint8Array>()

function remember<V> (map: Map<string, V>, key: string, value: V): void {
  if (map.size >= MAX_REMEMBERED) map.delete(map.keys().next().value as string)
  map.set(key, value)
}

/** The peer ID string of `bytes`; throws as peerIdFromBytes when they are no peer ID. */
export function originIdOf (bytes: Uint8Array): string {
  const key = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1')
  let id = toText.get(key)
  if (id === undefined) {
    id = peerIdFromBytes(bytes).toString()
    remember(toText, key, id)
  }
  return id
}

/** The peer ID bytes of `origin`; throws as parsePeerId when it is no peer ID. Do not modify the result. */
export function originBytesOf (origin: string): Uint8Array {
  let bytes = toBytes.get(origin)
  if (bytes === undefined) {
    bytes = peerIdToBytes(parsePeerId(origin))
    remember(toBytes, origin, bytes)
  }
  return bytes
}
