import { hfError, ErrorCodes } from '../errors.js'
import { pb } from '../proto/index.js'

/** Algorithm names as users write them (CLI, API, export formats). */
/** `vpdq` is a video's vPDQ frames: its value is the SHA-256 of the frames (log/vpdq-value.ts). */
export const ALGORITHMS = ['md5', 'sha1', 'sha256', 'pdq', 'blockhash', 'photodna', 'vpdq'] as const
export type AlgorithmName = typeof ALGORITHMS[number]

/** Byte length of each algorithm's value. */
export const VALUE_BYTES: Record<AlgorithmName, number> = {
  md5: 16, sha1: 20, sha256: 32, pdq: 32, blockhash: 32, photodna: 144, vpdq: 32
}

/** Perceptual algorithms support near-match by Hamming distance. */
export const PERCEPTUAL: ReadonlySet<AlgorithmName> = new Set(['pdq', 'blockhash'])

const TO_ENUM: Record<AlgorithmName, number> = {
  md5: pb.Algorithm.MD5,
  sha1: pb.Algorithm.SHA1,
  sha256: pb.Algorithm.SHA256,
  pdq: pb.Algorithm.PDQ,
  blockhash: pb.Algorithm.BLOCKHASH,
  photodna: pb.Algorithm.PHOTODNA,
  vpdq: pb.Algorithm.VPDQ
}
const FROM_ENUM = new Map<number, AlgorithmName>(Object.entries(TO_ENUM).map(([k, v]) => [v, k as AlgorithmName]))

export function algorithmToEnum (name: AlgorithmName): number {
  return TO_ENUM[name]
}

export function algorithmFromEnum (value: number): AlgorithmName {
  const name = FROM_ENUM.get(value)
  if (name === undefined) throw hfError(ErrorCodes.INVALID_HASH, `unknown algorithm number ${value}`)
  return name
}

export function parseAlgorithm (text: string): AlgorithmName {
  const name = text.trim().toLowerCase().replace(/[-_]/g, '')
  const alias: Record<string, AlgorithmName> = { sha2: 'sha256', sha256: 'sha256', pdna: 'photodna', photodna: 'photodna', md5: 'md5', sha1: 'sha1', pdq: 'pdq', blockhash: 'blockhash', vpdq: 'vpdq' }
  const found = alias[name]
  if (found === undefined) throw hfError(ErrorCodes.INVALID_HASH, `unknown algorithm "${text}" (expected one of ${ALGORITHMS.join(', ')})`)
  return found
}

/**
 * Validates and normalises a written value to its bytes: hex for every algorithm
 * (upper or lower case), base64 also accepted for PhotoDNA (192 chars).
 */
export function parseHashValue (algorithm: AlgorithmName, text: string): Uint8Array {
  const value = text.trim()
  const bytes = VALUE_BYTES[algorithm]
  if (value.length === bytes * 2) {
    const decoded = hexToBytes(value)
    if (decoded !== null) return decoded
  }
  if (algorithm === 'photodna' && /^[A-Za-z0-9+/]+={0,2}$/.test(value)) {
    const decoded = Buffer.from(value, 'base64')
    if (decoded.length === bytes) return new Uint8Array(decoded)
  }
  const expected = algorithm === 'photodna' ? `${bytes * 2} hex characters or ${Math.ceil(bytes / 3) * 4} base64 characters` : `${bytes * 2} hex characters`
  const got = value.length === bytes * 2 ? 'characters that are not hex' : `${value.length} characters`
  throw hfError(ErrorCodes.INVALID_HASH, `invalid ${algorithm} value "${value.length > 80 ? value.slice(0, 77) + '...' : value}": expected ${expected}, got ${got}`, { algorithm })
}

/** Nibble value of each char code below 128; -1 for characters that are not hex digits. */
const NIBBLE = new Int8Array(128).fill(-1)
for (let i = 0; i < 10; i++) NIBBLE[48 + i] = i
for (let i = 0; i < 6; i++) { NIBBLE[65 + i] = 10 + i; NIBBLE[97 + i] = 10 + i }

/**
 * Bytes of an even-length hex string (either case), or null if any character is not a hex
 * digit. A table walk: importing a million lines calls this a million times.
 */
export function hexToBytes (text: string): Uint8Array | null {
  if (text.length % 2 !== 0) return null
  const out = new Uint8Array(text.length / 2)
  return hexInto(text, out) ? out : null
}

/**
 * The bytes of `text` (2 * out.length hex digits) into `out`: false if any character is not
 * a hex digit, and `out` then holds garbage.
 */
export function hexInto (text: string, out: Uint8Array): boolean {
  for (let i = 0, j = 0; j < out.length; i += 2, j++) {
    const a = text.charCodeAt(i)
    const b = text.charCodeAt(i + 1)
    const hi = a < 128 ? NIBBLE[a] : -1
    const lo = b < 128 ? NIBBLE[b] : -1
    if (hi < 0 || lo < 0) return false
    out[j] = (hi << 4) | lo
  }
  return true
}

/** hexInto for hex digits given as ASCII bytes: `src[start ..  start + 2 * out.length)`. */
export function hexBytesInto (src: Uint8Array, start: number, out: Uint8Array): boolean {
  for (let i = start, j = 0; j < out.length; i += 2, j++) {
    const a = src[i]
    const b = src[i + 1]
    const hi = a < 128 ? NIBBLE[a] : -1
    const lo = b < 128 ? NIBBLE[b] : -1
    if (hi < 0 || lo < 0) return false
    out[j] = (hi << 4) | lo
  }
  return true
}

/** isHex for ASCII bytes `src[start .. end)`. */
export function isHexBytes (src: Uint8Array, start: number, end: number): boolean {
  if (end <= start) return false
  for (let i = start; i < end; i++) {
    const c = src[i]
    if (c >= 128 || NIBBLE[c] < 0) return false
  }
  return true
}

/** True when every character of `text` is a hex digit (and there is at least one). */
export function isHex (text: string): boolean {
  if (text.length === 0) return false
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c >= 128 || NIBBLE[c] < 0) return false
  }
  return true
}

/** The normalised written form: lower-case hex (PhotoDNA too). */
export function formatHashValue (value: Uint8Array): string {
  return Buffer.from(value).toString('hex')
}

/** Guesses the algorithm of a bare hex value from its length (MD5, SHA-1, SHA-256). */
export function detectAlgorithm (text: string): AlgorithmName | null {
  const v = text.trim()
  let algorithm: AlgorithmName
  switch (v.length) {
    case 32: algorithm = 'md5'; break
    case 40: algorithm = 'sha1'; break
    case 64: algorithm = 'sha256'; break
    case 288: algorithm = 'photodna'; break
    default: return null
  }
  return isHex(v) ? algorithm : null
}

/** Parses `ALG:VALUE` (e.g. `sha256:ab12…`, `pdq:…`). */
export function parseHashRef (text: string): { algorithm: AlgorithmName, value: Uint8Array } {
  const i = text.indexOf(':')
  if (i < 0) {
    const algorithm = detectAlgorithm(text)
    if (algorithm === null) throw hfError(ErrorCodes.INVALID_HASH, `"${text}" is not ALG:VALUE (e.g. sha256:<64 hex>)`)
    return { algorithm, value: parseHashValue(algorithm, text) }
  }
  const algorithm = parseAlgorithm(text.slice(0, i))
  return { algorithm, value: parseHashValue(algorithm, text.slice(i + 1)) }
}
