import type { EntryMeta, HashRecord, ImportItem } from '../log/entry.js'

export const FORMAT_NAMES = ['lines', 'csv', 'ncmec-xml', 'vics-json', 'icse-csv', 'hma-csv', 'stopncii-json'] as const
export type FormatName = typeof FORMAT_NAMES[number]

export interface ParseInit {
  /** metadata applied to records that do not carry their own (e.g. `--classification`) */
  defaults?: EntryMeta
  /** `lines` only: algorithm of every line; detected by length when absent */
  algorithm?: HashRecord['algorithm']
}

/**
 * A hash-list file format. Parsers stream: they never hold the whole file. A value that is
 * invalid yields a `reject` item and parsing goes on; a file that is not this format at all
 * (wrong header, truncated structure, not JSON/XML) throws HF_INVALID_FORMAT naming the line.
 */
export interface HashListFormat {
  readonly name: FormatName
  parse: (input: AsyncIterable<Uint8Array | string>, init?: ParseInit) => AsyncIterable<ImportItem>
  /** text chunks of a file holding `records`; absent when the format cannot be written */
  write?: (records: AsyncIterable<HashRecord>) => AsyncIterable<string>
}
