import { hfError, ErrorCodes } from '../../errors.js'
import { PERCEPTUAL, parseHashValue, type AlgorithmName } from '../../log/hash-value.js'

/**
 * HMA signal type names and the algorithm of ours that answers each. `pdq` and `video_md5`
 * are HMA's own; the rest are ours as extensions (HMA clients ignore keys they do not know).
 * `video_md5` is the MD5 of a video file's bytes, so it is looked up among our MD5 entries.
 */
export const SIGNAL_TYPES: Readonly<Record<string, AlgorithmName>> = {
  pdq: 'pdq',
  video_md5: 'md5',
  md5: 'md5',
  sha1: 'sha1',
  sha256: 'sha256',
  blockhash: 'blockhash',
  photodna: 'photodna'
}

export const SIGNAL_TYPE_NAMES = Object.keys(SIGNAL_TYPES)

/** Signal types HMA has that this node does not compute or match yet. */
const NOT_YET: Readonly<Record<string, string>> = {
  vpdq: 'vpdq is not served yet: this node does not hash or match video frames (video_md5 matches whole video files)'
}

/** The content types of `POST /h/hash` (the form field name) and the signal types each gives. */
export const CONTENT_TYPES = {
  photo: ['pdq', 'md5', 'sha1', 'sha256', 'blockhash'],
  video: ['video_md5']
} as const satisfies Record<string, readonly string[]>
export type ContentTypeName = keyof typeof CONTENT_TYPES

export function signalAlgorithm (signalType: string): AlgorithmName {
  const algorithm = SIGNAL_TYPES[signalType]
  if (algorithm !== undefined) return algorithm
  const later = NOT_YET[signalType]
  if (later !== undefined) throw hfError(ErrorCodes.INVALID_ARGUMENT, later, { signalType })
  throw hfError(ErrorCodes.INVALID_ARGUMENT, `No such SignalType '${signalType}' (this node has: ${SIGNAL_TYPE_NAMES.join(', ')})`, { signalType })
}

/** The value of a signal, validated as HMA does (lower-case hex of the right length). */
export function parseSignal (algorithm: AlgorithmName, signal: string): Uint8Array {
  const text = signal.trim().toLowerCase()
  if (!/^[0-9a-f]+$/.test(text)) throw hfError(ErrorCodes.INVALID_HASH, `invalid signal: not a hexadecimal ${algorithm} value`)
  try {
    return parseHashValue(algorithm, text)
  } catch (err) {
    throw hfError(ErrorCodes.INVALID_HASH, `invalid signal: ${(err as Error).message}`)
  }
}

/** HMA's distance string: the Hamming distance for PDQ-like types, "-" for exact types (HMA's NO_DISTANCE_STR). */
export function distanceString (algorithm: AlgorithmName, distance: number): string {
  return PERCEPTUAL.has(algorithm) ? String(distance) : '-'
}

/** The signal types a `types` parameter names for one content type (all of them without it). */
export function selectSignalTypes (content: ContentTypeName, types: string | undefined): string[] {
  const offered: readonly string[] = CONTENT_TYPES[content]
  if (types === undefined) return [...offered]
  const out: string[] = []
  for (const raw of types.split(',')) {
    const name = raw.trim()
    if (name === '') continue
    if (NOT_YET[name] !== undefined) throw hfError(ErrorCodes.INVALID_ARGUMENT, NOT_YET[name], { signalType: name })
    if (!offered.includes(name)) throw hfError(ErrorCodes.INVALID_ARGUMENT, `signal type '${name}' doesn't exist or is not computed for ${content} (${offered.join(', ')})`, { signalType: name })
    if (!out.includes(name)) out.push(name)
  }
  if (out.length === 0) throw hfError(ErrorCodes.INVALID_ARGUMENT, 'empty signal type selection')
  return out
}
