import { hfError, isHashfedError, ErrorCodes } from '../errors.js'
import { parseHashValue, VALUE_BYTES, type AlgorithmName } from '../log/hash-value.js'
import type { EntryMeta, HashRecord, ImportItem } from '../log/entry.js'
import { DEFAULT_PDQ_QUALITY, MAX_QUOTED_CHARS } from './constants.js'
import type { ParseInit } from './format.js'

const META_FIELDS = ['classification', 'iwfCategory', 'vicsCategory', 'ageBand', 'media', 'tags', 'source'] as const

/** What a file says about one hash, before defaults: metadata plus an optional PDQ quality. */
export type OwnMeta = EntryMeta & { quality?: number }

/**
 * A value as written in a file, validated and normalised by hash-value.ts. PhotoDNA is also
 * accepted as 144 comma-separated byte values, the form some exports use. Throws HF_INVALID_HASH.
 */
export function readHashValue (algorithm: AlgorithmName, text: string): Uint8Array {
  const trimmed = text.trim()
  if (algorithm === 'photodna' && trimmed.includes(',')) {
    const parts = trimmed.split(',')
    if (parts.length === VALUE_BYTES.photodna && parts.every(p => /^\s*\d{1,3}\s*$/.test(p) && Number(p) <= 255)) {
      return new Uint8Array(parts.map(Number))
    }
  }
  try {
    return parseHashValue(algorithm, trimmed)
  } catch (err) {
    // the right length with a stray character: say which, "expected 64 hex" alone misleads
    const bad = /[^0-9a-fA-F]/.exec(trimmed)
    if (bad !== null && trimmed.length === VALUE_BYTES[algorithm] * 2 && algorithm !== 'photodna') {
      throw hfError(ErrorCodes.INVALID_HASH, `invalid ${algorithm} value ${quote(trimmed)}: ${quote(bad[0])} at position ${bad.index + 1} is not a hex digit`, { algorithm }, err)
    }
    throw err
  }
}

/**
 * One record: the file's own fields win over `init.defaults`, field by field (tags too, as a
 * whole). PDQ always gets a quality (`init.pdqQuality` when the file has none); other
 * algorithms never do. Absent fields are left out, not set to undefined, so records compare
 * equal by structure.
 */
export function makeRecord (algorithm: AlgorithmName, value: Uint8Array, own: OwnMeta, init: ParseInit = {}): HashRecord {
  const record: HashRecord = { algorithm, value }
  if (algorithm === 'pdq') record.quality = own.quality ?? init.pdqQuality ?? DEFAULT_PDQ_QUALITY
  const defaults = init.defaults ?? {}
  for (const field of META_FIELDS) {
    const v = own[field] ?? defaults[field]
    if (v !== undefined) (record as unknown as Record<string, unknown>)[field] = Array.isArray(v) ? [...v] : v
  }
  return record
}

/**
 * makeRecord for records whose file gives no metadata of its own (a PDQ quality at most), with
 * the defaults looked up once instead of per record: same records, field for field.
 */
export function recordMaker (init: ParseInit = {}): (algorithm: AlgorithmName, value: Uint8Array, quality: number | undefined) => HashRecord {
  const defaults = init.defaults ?? {}
  const fields = META_FIELDS.filter(f => defaults[f] !== undefined)
  if (fields.some(f => Array.isArray(defaults[f]))) return (algorithm, value, quality) => makeRecord(algorithm, value, { quality }, init)
  const general = (algorithm: AlgorithmName, value: Uint8Array, quality: number | undefined): HashRecord => {
    const record: HashRecord = { algorithm, value }
    if (algorithm === 'pdq') record.quality = quality ?? init.pdqQuality ?? DEFAULT_PDQ_QUALITY
    for (const field of fields) (record as unknown as Record<string, unknown>)[field] = defaults[field]
    return record
  }
  // the defaults an import gives (a classification, maybe a source) as one literal, in the same
  // order: a field added after `{ algorithm, value }` goes to a property array of its own, one
  // more object per line that lives until the line's batch is written
  const { classification, source } = defaults
  if (fields.length === 1 && classification !== undefined) {
    return (algorithm, value, quality) => algorithm === 'pdq' ? general(algorithm, value, quality) : { algorithm, value, classification }
  }
  if (fields.length === 2 && classification !== undefined && source !== undefined) {
    return (algorithm, value, quality) => algorithm === 'pdq' ? general(algorithm, value, quality) : { algorithm, value, classification, source }
  }
  return general
}

/**
 * A field of one row or entry that is invalid (not the value itself: that is HF_INVALID_HASH).
 * Never escapes a parser: it becomes the reason of a `reject` item.
 */
export class FieldError extends Error {
  override readonly name = 'FieldError'
}

/**
 * The reject item for a value or row that failed validation. Only our own validation errors
 * become reasons; anything else is a bug and is re-thrown rather than hidden in a summary.
 */
export function rejectItem (line: number, err: unknown, context?: string): ImportItem {
  if (isHashfedError(err, ErrorCodes.INVALID_HASH) || err instanceof FieldError) {
    return { kind: 'reject', line, reason: context === undefined ? err.message : `${context}: ${err.message}` }
  }
  throw err
}

/** A value from a file, JSON-quoted and cut, for reasons and error messages. */
export function quote (text: string): string {
  return JSON.stringify(text.length > MAX_QUOTED_CHARS ? text.slice(0, MAX_QUOTED_CHARS - 3) + '...' : text)
}

/** A PDQ quality as written: an integer 0-100. */
export function readQuality (text: string): number {
  const t = text.trim()
  if (!/^\d{1,3}$/.test(t) || Number(t) > 100) throw new FieldError(`invalid PDQ quality ${quote(t)}: expected an integer 0-100`)
  return Number(t)
}
