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
 * | aside     | `<sublevel>!<time: 16 hex>!<key>`     | the bytes as found: an outbox or seen |
 * |           |                                       | row that no longer decodes, kept as evidence |
 * | tokens    | `<sha256(token) hex>`                 | JSON token record          |
 * | feedback  | `<feedback id>`                       | Signed (Feedback)          |
 * | audit     | `<time: 16 hex>!<counter: 8 hex>`     | JSON audit record          |
 * | stats     | `<name>`                              | JSON counters              |
 * |           | `reports!<yyyy-mm-dd>!<dir>!<status>!<cc>!<asn>!<hoster hex>` | JSON ArchiveBucket: counts |
 * |           |                                       | of reports retention deleted |
 * | rindex    | `i!<report id>`                       | ReportIndexRow: the report's row |
 * |           | `t!<created: 16 hex>!<id>`            | ReportIndexRow: by time    |
 * |           | `d!<direction>!<created>!<id>`        | ReportIndexRow: by direction |
 * |           | `s!<status>!<created>!<id>`           | ReportIndexRow: by status  |
 * |           | `h!<hoster utf8 hex>!<created>!<id>`  | ReportIndexRow: by hoster  |
 * |           | `a!<asn: 8 hex>!<created>!<id>`       | ReportIndexRow: by ASN     |
 * |           | `c!<country>!<created>!<id>`          | ReportIndexRow: by country |
 * |           | `u!<updated: 16 hex>!<id>`            | empty: closed reports, for retention |
 * |           | `g!<yyyy-mm-dd>!<direction>!<country>!<asn>!<hoster hex>` | ReportBucket: the day's counts |
 * |           |                                       | (held and retained), kept in every report write |
 *
 * `<origin>` is the base58 peer ID string of the hotline. Zero-padded hex keeps numeric
 * order in LevelDB's byte order. A batch, its head and its hash index rows are always
 * written in one atomic batch.
 */
export const SCHEMA_VERSION = 1

export const SUBLEVELS = ['meta', 'batches', 'heads', 'hashes', 'forks', 'sources', 'reports', 'outbox', 'seen', 'tokens', 'feedback', 'audit', 'stats', 'aside', 'rindex'] as const
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

/** Where a row of `sublevel` that no longer decodes is kept aside (the courier's evidence of damage). */
export function asideKey (sublevel: SublevelName, key: string, atMs: number): string {
  return `${sublevel}!${seqKey(atMs)}!${key}`
}

/**
 * `rindex` keys (see the table): a report's row, its listing keys (newest last within a
 * prefix, so listings iterate in reverse) and its day bucket. `created` is the report's
 * creation time; hex keeps text of any kind unambiguous inside a key.
 */
export const reportIndexKeys = {
  row: (id: string): string => `i!${id}`,
  byTime: (createdMs: number, id: string): string => `t!${seqKey(createdMs)}!${id}`,
  byDirection: (direction: string, createdMs: number, id: string): string => `d!${direction}!${seqKey(createdMs)}!${id}`,
  byStatus: (status: string, createdMs: number, id: string): string => `s!${status}!${seqKey(createdMs)}!${id}`,
  byHoster: (hoster: string, createdMs: number, id: string): string => `h!${Buffer.from(hoster, 'utf8').toString('hex')}!${seqKey(createdMs)}!${id}`,
  byAsn: (asn: number, createdMs: number, id: string): string => `a!${asn.toString(16).padStart(8, '0')}!${seqKey(createdMs)}!${id}`,
  byCountry: (country: string, createdMs: number, id: string): string => `c!${country}!${seqKey(createdMs)}!${id}`,
  closed: (updatedMs: number, id: string): string => `u!${seqKey(updatedMs)}!${id}`,
  bucket: (day: string, direction: string, country: string, asn: number, hoster: string): string =>
    `g!${day}!${direction}!${country}!${asn}!${Buffer.from(hoster, 'utf8').toString('hex')}`,
  /** the key range of everything below `prefix` (one of the keys above, cut after a `!`) */
  range: (prefix: string): { gte: string, lt: string } => ({ gte: prefix, lt: prefix + '\uffff' })
}
