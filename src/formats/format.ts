import type { EntryMeta, HashRecord, ImportItem } from '../log/entry.js'

export const FORMAT_NAMES = ['lines', 'csv', 'ncmec-xml', 'vics-json', 'icse-csv', 'hma-csv', 'stopncii-json', 'vpdq-text', 'pytx-vpdq'] as const
export type FormatName = typeof FORMAT_NAMES[number]

export interface ParseInit {
  /** metadata applied to records that do not carry their own (e.g. `--classification`) */
  defaults?: EntryMeta
  /** `lines` only: algorithm of every line; detected by length when absent */
  algorithm?: HashRecord['algorithm']
  /**
   * Quality given to PDQ hashes whose format does not carry one (only `csv` and `lines`
   * carry it). Shared lists hold hashes their sharer already judged usable, so a missing
   * quality must not make a matcher discard them.
   * @default 100
   */
  pdqQuality?: number
  /**
   * The items are only checked, never written (an import's first pass): a parser may give
   * records of the common shape (a bare hex value of a known length, with the defaults) one
   * shared record per algorithm whose value is zeros of the right length, instead of decoding
   * each value. Such a record is valid exactly when the decoded one would be.
   */
  checkOnly?: boolean
}

export interface WriteInit {
  /**
   * Time written where a format wants one (NCMEC entry timestamps, StopNCII
   * `lastModtimestamp`); fixed by tests for byte-identical output.
   * @default new Date()
   */
  now?: Date
}

/**
 * A hash-list file format. Parsers stream: they never hold the whole file. A value that is
 * invalid yields a `reject` item and parsing goes on; a file that is not this format at all
 * (wrong header, truncated structure, not JSON/XML) throws HF_INVALID_FORMAT naming the line.
 */
export interface HashListFormat {
  readonly name: FormatName
  parse: (input: AsyncIterable<Uint8Array | string>, init?: ParseInit) => AsyncIterable<ImportItem>
  /** `parse`, a read chunk of items at a time (same items, same errors); formatItems uses it when present */
  parseChunks?: (input: AsyncIterable<Uint8Array | string>, init?: ParseInit) => AsyncIterable<ImportItem[]>
  /** text chunks of a file holding `records`; absent when the format cannot be written */
  write?: (records: AsyncIterable<HashRecord>, init?: WriteInit) => AsyncIterable<string>
  /**
   * Why `record` cannot be written in this format (e.g. an algorithm it has no field for),
   * or undefined when it can. `write` skips such records silently, so an exporter that
   * wants to report them asks here first. Present whenever `write` is.
   */
  unsupported?: (record: HashRecord) => string | undefined
}
