/**
 * The LevelDB key layout: every sublevel of a node's store, in one place.
 *
 * | sublevel  | key                                   | value                      |
 * |-----------|---------------------------------------|----------------------------|
 * | meta      | `schema`                              | schema version (utf8)      |
 * | batches   | `<origin>!<seq: 16 hex>`              | Signed (BatchBody)         |
 * | heads     | `<origin>`                            | Head                       |
 * | hashes    | `<alg>:<value hex>:<origin>`          | Provenance                 |
 * | forks     | `<origin>!<seq: 16 hex>!<hash hex>`   | ForkEvidence               |
 * | sources   | `<origin>!<source utf8 hex>!<alg>:<value hex>` | empty: a current hash of |
 * |           |                                       | that origin with that `source` (NCMEC deletes by id) |
 * | reports   | `<report id>`                         | StoredReport               |
 * | outbox    | `<kind>-<sha256(body) hex, 40>`       | OutboxItem                 |
 * | seen      | `<author>!<body hash hex>`            | receipt (Signed) we gave   |
 * | tokens    | `<sha256(token) hex>`                 | JSON token record          |
 * | feedback  | `<feedback id>`                       | Signed (Feedback)          |
 * | audit     | `<time: 16 hex>!<counter: 8 hex>`     | JSON audit record          |
 * | contentIds | `<bank_content_id: 14 hex>!<origin>!<alg>:<value hex>` | empty: the HMA id of a |
 * |           |                                       | value an origin added (check-api/hma/content-id.ts) |
 * |           | `@<origin>`                           | seq (utf8) the rows are written up to |
 * | stats     | `<name>`                              | JSON counters              |
 * |           | `reports!<yyyy-mm-dd>!<dir>!<status>!<cc>!<asn>!<hoster hex>` | JSON ArchiveBucket: counts |
 * |           |                                       | of reports retention deleted |
 *
 * `<origin>` is the base58 peer ID string of the hotline. Zero-padded hex keeps numeric
 * order in LevelDB's byte order. A batch, its head and its hash index rows are always
 * written in one atomic batch.
 */
export const SCHEMA_VERSION = 1

export const SUBLEVELS = ['meta', 'batches', 'heads', 'hashes', 'forks', 'sources', 'reports', 'outbox', 'seen', 'tokens', 'feedback', 'audit', 'stats', 'contentIds'] as const
export type SublevelName = typeof SUBLEVELS[number]

export function seqKey (seq: number): string {
  return seq.toString(16).padStart(16, '0')
}

export function batchKey (origin: string, seq: number): string {
  return `${origin}!${seqKey(seq)}`
}

export function hashKey (algorithm: string, valueHex: string, origin: string): string {
  return `${algorithm}:${valueHex}:${origin}`
}

/** The `sources` key prefix of one origin's source; hex keeps any text of a source unambiguous. */
export function sourcePrefix (origin: string, source: string): string {
  return `${origin}!${Buffer.from(source, 'utf8').toString('hex')}!`
}

export function sourceKey (origin: string, source: string, algorithm: string, valueHex: string): string {
  return `${sourcePrefix(origin, source)}${algorithm}:${valueHex}`
}
