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
 * | disputes  | `<feedback id>`                       | JSON decision on a dispute |
 * | quarantine | `hold!<alg>:<value hex>`             | JSON hold (automatic or operator) |
 * |           | `confirm!<alg>:<value hex>`           | Signed (QuarantineDecision) an origin sent us |
 * |           | `notice!<notice id>`                  | Signed (QuarantineNotice) about one of our hashes |
 * | audit     | `<time: 16 hex>!<counter: 8 hex>`     | JSON audit record          |
 * | contentIds | `<bank_content_id: 14 hex>!<origin>!<alg>:<value hex>` | empty: the HMA id of a |
 * |           |                                       | value an origin added (check-api/hma/content-id.ts) |
 * |           | `@<origin>`                           | seq (utf8) the rows are written up to |
 * | keys      | `<origin>`                            | KeyHistory: signing keys by seq, revocations applied |
 * | revoked   | `<origin>!<seq: 16 hex>`              | RevokedBatch: taken out of the chain by a revocation, kept as evidence |
 * | membership | `<change id>`                        | StoredMembershipChange: a proposal, its votes, when applied |
 * | stats     | `<name>`                              | JSON counters              |
 * |           | `reports!<yyyy-mm-dd>!<dir>!<status>!<cc>!<asn>!<hoster hex>` | JSON ArchiveBucket: counts |
 * |           |                                       | of reports retention deleted |
 * | rindex    | `i!<report id>`                       | ReportIndexRow: the report's row |
 * |           | `t!<newest: 16 hex>!<id>`             | ReportIndexRow: by time    |
 * |           | `d!<direction>!<newest>!<id>`        | ReportIndexRow: by direction |
 * |           | `s!<status>!<newest>!<id>`           | ReportIndexRow: by status  |
 * |           | `h!<hoster utf8 hex>!<newest>!<id>`  | ReportIndexRow: by hoster  |
 * |           | `a!<asn: 8 hex>!<newest>!<id>`       | ReportIndexRow: by ASN     |
 * |           | `c!<country>!<newest>!<id>`          | ReportIndexRow: by country |
 * |           | `u!<updated: 16 hex>!<id>`            | empty: closed reports, for retention |
 * |           | `g!<yyyy-mm-dd>!<direction>!<country>!<asn>!<hoster hex>` | ReportBucket: the day's counts |
 * |           |                                       | (held and retained), kept in every report write |
 *
 * `<origin>` is the base58 peer ID string of the hotline. Zero-padded hex keeps numeric
 * order in LevelDB's byte order. A batch, its head and its hash index rows are always
 * written in one atomic batch.
 */
export const SCHEMA_VERSION = 1

export const SUBLEVELS = ['meta', 'batches', 'heads', 'hashes', 'forks', 'sources', 'reports', 'outbox', 'seen', 'tokens', 'feedback', 'audit', 'stats', 'aside', 'contentIds', 'disputes', 'rindex', 'keys', 'revoked', 'membership', 'quarantine'] as const
export type SublevelName = typeof SUBLEVELS[number]

export function seqKey (seq: number): string {
  return seq.toString(16).padStart(16, '0')
}

export function batchKey (origin: string, seq: number): string {
  return `${origin}!${seqKey(seq)}`
}

/** A key range holding exactly one origin's `batches` (or `forks`) rows: '"' follows '!'. */
export function originRange (origin: string): { gte: string, lt: string } {
  return { gte: `${origin}!`, lt: `${origin}"` }
}

/** The origin and seq of a `batches` key. */
export function parseBatchKey (key: string): { origin: string, seq: number } {
  const bang = key.lastIndexOf('!')
  return { origin: key.slice(0, bang), seq: parseInt(key.slice(bang + 1), 16) }
}

/** `<alg>:<value hex>`: a `hashes` key without its origin, what the log's index rows are tracked by. */
export function hashRef (algorithm: string, valueHex: string): string {
  return `${algorithm}:${valueHex}`
}

export function hashKey (algorithm: string, valueHex: string, origin: string): string {
  return `${algorithm}:${valueHex}:${origin}`
}

/** The `hashes` key of a ref (`<alg>:<value hex>`) and an origin. */
export function hashKeyOfRef (ref: string, origin: string): string {
  return `${ref}:${origin}`
}

/**
 * The `hashes` keys (`hashKeyOfRef`) of refs of one origin as bytes, each behind `prefix` (the
 * sublevel's, Store.keyPrefix), all in one buffer: what a bulk write passes as RawPut keys.
 * Refs and origins are ASCII (algorithm, hex, base58).
 */
export function hashKeyBytes (prefix: Uint8Array, refs: string[], origin: string): Uint8Array[] {
  const tail = Buffer.from(`:${origin}`, 'latin1')
  let total = 0
  for (const ref of refs) total += prefix.length + ref.length + tail.length
  const all = Buffer.allocUnsafe(total)
  const keys = new Array<Uint8Array>(refs.length)
  let at = 0
  for (let i = 0; i < refs.length; i++) {
    const start = at
    all.set(prefix, at)
    at += prefix.length
    at += all.write(refs[i], at, 'latin1')
    all.set(tail, at)
    at += tail.length
    keys[i] = new Uint8Array(all.buffer, all.byteOffset + start, at - start) // a plain view: Buffer#subarray costs ~3x more per key
  }
  return keys
}

/** The two ASCII hex digits of each byte value as one little-endian 16-bit word (low digit first in memory: the high nibble's). */
const HEX_WORDS = Uint16Array.from({ length: 256 }, (_, i) => '0123456789abcdef'.charCodeAt(i >> 4) | ('0123456789abcdef'.charCodeAt(i & 15) << 8))
const LITTLE_ENDIAN = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1

/**
 * The `hashes` keys (`hashKeyBytes`) of one origin's values given as bytes, one at a time
 * into one scratch buffer, for puts LevelDB copies as they are made (Store's MadePuts): no
 * `<alg>:<hex>` string, key buffer or view per key. A key of the algorithm and length of the
 * one before keeps its prefix, algorithm and origin where they are, so only its hex is
 * written (two digits per 16-bit store: the hex starts on an even offset). Algorithms are
 * ASCII names. The returned view is valid until the next call.
 */
export class HashKeyWriter {
  private readonly tail: Buffer
  private words = new Uint16Array(0)
  private all = new Uint8Array(0)
  private view = new Uint8Array(0)
  private algorithm = ''
  private hexAt = 0

  constructor (private readonly prefix: Uint8Array, origin: string) {
    this.tail = Buffer.from(`:${origin}`, 'latin1')
  }

  keyOf (algorithm: string, value: Uint8Array): Uint8Array {
    const length = this.prefix.length + algorithm.length + 1 + 2 * value.length + this.tail.length
    if (algorithm !== this.algorithm || length !== this.view.length) this.layOut(algorithm, value.length, length)
    const words = this.words
    if (LITTLE_ENDIAN) {
      for (let j = 0, w = this.hexAt >> 1; j < value.length; j++, w++) words[w] = HEX_WORDS[value[j]]
    } else {
      const all = this.all
      for (let j = 0, k = this.hexAt; j < value.length; j++, k += 2) {
        all[k] = HEX_WORDS[value[j]] & 0xff
        all[k + 1] = HEX_WORDS[value[j]] >> 8
      }
    }
    return this.view
  }

  /** Prefix, algorithm, ':' and origin of a key of a new algorithm or length, placed so that its hex starts on an even offset. */
  private layOut (algorithm: string, valueBytes: number, length: number): void {
    if (this.all.length < length + 1) {
      this.words = new Uint16Array(Math.ceil((length + 1) / 2))
      this.all = new Uint8Array(this.words.buffer)
    }
    const start = (this.prefix.length + algorithm.length + 1) & 1
    const all = this.all
    all.set(this.prefix, start)
    for (let j = 0; j < algorithm.length; j++) all[start + this.prefix.length + j] = algorithm.charCodeAt(j)
    this.hexAt = start + this.prefix.length + algorithm.length + 1
    all[this.hexAt - 1] = 0x3a // ':'
    all.set(this.tail, this.hexAt + 2 * valueBytes)
    this.algorithm = algorithm
    this.view = new Uint8Array(all.buffer, start, length)
  }
}

/** The ref and origin of a `hashes` key (origins never contain ':'). */
export function parseHashKey (key: string): { ref: string, origin: string } {
  const last = key.lastIndexOf(':')
  return { ref: key.slice(0, last), origin: key.slice(last + 1) }
}

/** The `hashes` range of one algorithm's rows, or of every origin's row of one value. */
export function hashRange (algorithm: string, valueHex?: string): { gte: string, lt: string } {
  const prefix = valueHex === undefined ? `${algorithm}:` : `${algorithm}:${valueHex}:`
  return { gte: prefix, lt: prefix + '\xff' }
}

/** The `sources` key prefix of one origin's source; hex keeps any text of a source unambiguous. */
export function sourcePrefix (origin: string, source: string): string {
  return `${origin}!${Buffer.from(source, 'utf8').toString('hex')}!`
}

/** The `sources` key of a ref (`<alg>:<value hex>`) with a source. */
export function sourceKey (origin: string, source: string, ref: string): string {
  return `${sourcePrefix(origin, source)}${ref}`
}

const HEX_DIGITS = Buffer.from('0123456789abcdef', 'latin1')

/**
 * The `sources` keys (`sourceKey`) of one origin's (source, ref) pairs as bytes, each behind
 * `prefix` (Store.keyPrefix('sources')), all in one buffer: RawPut keys for a bulk write, as
 * hashKeyBytes. The source's hex is written from its UTF-8 bytes in place (no string per key).
 */
export function sourceKeyBytes (prefix: Uint8Array, origin: string, sources: string[], refs: string[]): Uint8Array[] {
  const head = Buffer.from(`${origin}!`, 'latin1') // base58
  const lengths = new Int32Array(sources.length)
  let total = 0
  for (let i = 0; i < sources.length; i++) {
    lengths[i] = Buffer.byteLength(sources[i], 'utf8')
    total += prefix.length + head.length + 2 * lengths[i] + 1 + refs[i].length
  }
  const all = Buffer.allocUnsafe(total)
  const keys = new Array<Uint8Array>(sources.length)
  let at = 0
  for (let i = 0; i < sources.length; i++) {
    const start = at
    all.set(prefix, at)
    at += prefix.length
    all.set(head, at)
    at += head.length
    // UTF-8 bytes in the second half of the hex span, spread into hex digits from its front:
    // digit pair k (at 2k, 2k+1) never reaches a byte not yet read (at n+k+1 and on)
    const n = lengths[i]
    all.write(sources[i], at + n, n, 'utf8')
    for (let k = 0; k < n; k++) {
      const b = all[at + n + k]
      all[at + 2 * k] = HEX_DIGITS[b >> 4]
      all[at + 2 * k + 1] = HEX_DIGITS[b & 15]
    }
    at += 2 * n
    all[at++] = 0x21 // '!'
    at += all.write(refs[i], at, 'latin1')
    keys[i] = new Uint8Array(all.buffer, all.byteOffset + start, at - start)
  }
  return keys
}

/** The range of the `sources` rows of one origin's source. */
export function sourceRange (origin: string, source: string): { gte: string, lt: string } {
  const prefix = sourcePrefix(origin, source)
  return { gte: prefix, lt: prefix + '\xff' }
}

/** Origin, source and ref of a `sources` key. */
export function parseSourceKey (key: string): { origin: string, source: string, ref: string } {
  const [origin, sourceHex] = key.split('!', 2)
  return { origin, source: Buffer.from(sourceHex, 'hex').toString('utf8'), ref: key.slice(origin.length + sourceHex.length + 2) }
}

/** `forks` key: one row per (origin, seq, refused batch), so evidence is kept once. */
export function forkKey (origin: string, seq: number, refusedHashHex: string): string {
  return `${origin}!${seqKey(seq)}!${refusedHashHex}`
}

export function forkOrigin (key: string): string {
  return key.slice(0, key.indexOf('!'))
}

/** `audit` key: time, then a counter within the millisecond, so key order is event order. */
export function auditKey (ms: number, counter: number): string {
  return `${auditTimeKey(ms)}!${counter.toString(16).padStart(8, '0')}`
}

/** The time part of an `audit` key: a range bound for "records since". */
export function auditTimeKey (ms: number): string {
  return Math.max(0, Math.floor(ms)).toString(16).padStart(16, '0')
}

export function parseAuditKey (key: string): { ms: number, counter: number } {
  const [time, counter] = key.split('!')
  return { ms: parseInt(time, 16), counter: parseInt(counter, 16) }
}

/** `seen` key: a receipt we gave, by the record's author and body hash. */
export function seenKey (author: string, bodyHashHex: string): string {
  return `${author}!${bodyHashHex}`
}

const ARCHIVE_PREFIX = 'reports!'

/** The `stats` rows of archived report counts. */
export const archiveRange = { gte: ARCHIVE_PREFIX, lt: ARCHIVE_PREFIX + '\uffff' }

/** `stats` key of one archive bucket: `reports!<yyyy-mm-dd>!<fields…>` (fields must not contain '!'). */
export function archiveKey (day: string, fields: string[]): string {
  return [ARCHIVE_PREFIX + day, ...fields].join('!')
}

/** The day and fields of an archive bucket key. */
export function parseArchiveKey (key: string): { day: string, fields: string[] } {
  const [day, ...fields] = key.slice(ARCHIVE_PREFIX.length).split('!')
  return { day, fields }
}

/** Where a row of `sublevel` that no longer decodes is kept aside (the courier's evidence of damage). */
/** An outbox item: its kind and the first 20 bytes of its body's hash (hex), so a resend of the same body replaces it. */
export function outboxKey (kind: string, bodyHashHex: string): string {
  return `${kind}-${bodyHashHex.slice(0, 40)}`
}

export function asideKey (sublevel: SublevelName, key: string, atMs: number): string {
  return `${sublevel}!${seqKey(atMs)}!${key}`
}

/** A listing key's time part: newest first in key order, so listings read forward (LevelDB reads backward slowly over rewritten rows). */
const newest = (createdMs: number): string => seqKey(Number.MAX_SAFE_INTEGER - createdMs)

/**
 * `rindex` keys (see the table): a report's row, its listing keys (`newest`: the report's
 * creation time counted down, so each prefix lists newest first, then by id) and its day
 * bucket. Hex keeps text of any kind unambiguous inside a key.
 */
export const reportIndexKeys = {
  row: (id: string): string => `i!${id}`,
  byTime: (createdMs: number, id: string): string => `t!${newest(createdMs)}!${id}`,
  byDirection: (direction: string, createdMs: number, id: string): string => `d!${direction}!${newest(createdMs)}!${id}`,
  byStatus: (status: string, createdMs: number, id: string): string => `s!${status}!${newest(createdMs)}!${id}`,
  byHoster: (hoster: string, createdMs: number, id: string): string => `h!${Buffer.from(hoster, 'utf8').toString('hex')}!${newest(createdMs)}!${id}`,
  byAsn: (asn: number, createdMs: number, id: string): string => `a!${asn.toString(16).padStart(8, '0')}!${newest(createdMs)}!${id}`,
  byCountry: (country: string, createdMs: number, id: string): string => `c!${country}!${newest(createdMs)}!${id}`,
  closed: (updatedMs: number, id: string): string => `u!${seqKey(updatedMs)}!${id}`,
  bucket: (day: string, direction: string, country: string, asn: number, hoster: string): string =>
    `g!${day}!${direction}!${country}!${asn}!${Buffer.from(hoster, 'utf8').toString('hex')}`,
  /** the key range of everything below `prefix` (one of the keys above, cut after a `!`) */
  range: (prefix: string): { gte: string, lt: string } => ({ gte: prefix, lt: prefix + '\uffff' })
}

/** `quarantine` rows: a hold, an origin's confirmation we keep, a notice about one of our hashes. */
export const quarantineKey = {
  hold: (ref: string): string => `hold!${ref}`,
  confirm: (ref: string): string => `confirm!${ref}`,
  notice: (id: string): string => `notice!${id}`
}

/** The key range of one kind of `quarantine` row. */
export function quarantineRange (kind: 'hold' | 'confirm' | 'notice'): { gt: string, lt: string } {
  return { gt: `${kind}!`, lt: `${kind}!\xff` }
}
