import { createHash } from 'node:crypto'

/** What a bank_content_id names: one value one origin vouches for. */
export interface ContentRef {
  /** origin peer ID */
  origin: string
  algorithm: string
  /** lower-case hex */
  valueHex: string
}

/**
 * HMA's `bank_content_id` for a value an origin vouches for: the first 53 bits of
 * SHA-256("hashfed-bank-content-id", origin peer ID, algorithm, value hex). Derived, not
 * assigned, so every node and mirror holding the entry gives the same id, after any restart,
 * without agreeing on a counter; 53 bits keep it a safe integer in JavaScript and in JSON
 * parsers that read numbers as doubles. Two entries share an id with probability ~n²/2⁵⁴
 * (1 in 18,000 for a million entries); a look-up by id that finds more than one live entry
 * in the asked bank answers 409 HF_AMBIGUOUS instead of guessing (see ContentIdIndex).
 */
export function contentId (ref: ContentRef): number {
  const d = createHash('sha256').update(`hashfed-bank-content-id\0${ref.origin}\0${ref.algorithm}\0${ref.valueHex}`).digest()
  const id = d.readUIntBE(0, 6) * 32 + (d[6] >> 3)
  return id === 0 ? 1 : id // HMA's ids start at 1
}

/** Largest id contentId gives. */
export const MAX_CONTENT_ID = Number.MAX_SAFE_INTEGER

/** The sublevel key prefix of an id (store/layout.ts, `contentIds`): 14 hex digits keep numeric order. */
export function contentIdPrefix (id: number): string {
  return id.toString(16).padStart(14, '0') + '!'
}

export function contentIdKey (id: number, ref: ContentRef): string {
  return `${contentIdPrefix(id)}${ref.origin}!${ref.algorithm}:${ref.valueHex}`
}

export function refOfKey (key: string): ContentRef {
  const [, origin, rest] = key.split('!')
  const colon = rest.indexOf(':')
  return { origin, algorithm: rest.slice(0, colon), valueHex: rest.slice(colon + 1) }
}
