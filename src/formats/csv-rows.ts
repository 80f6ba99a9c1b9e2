import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { parse, CsvError } from 'csv-parse'
import { MAX_FIELD_CHARS } from './constants.js'
import { restoreCell } from './csv-cell.js'
import type { FormatName } from './format.js'
import { asBytes } from './input.js'
import { invalidFormat } from './invalid-format.js'

export interface CsvRowsInit {
  format: FormatName
  /** @default ',' */
  delimiter?: string
}

export interface CsvRow {
  /** 1-based line where the row starts (a quoted cell may span lines) */
  line: number
  cells: string[]
}

/**
 * Streams the rows of a CSV file (RFC 4180 quoting, any line ending, UTF-8 with or without
 * BOM; blank lines skipped). A cell's formula-guard quote (csv-cell.ts) is removed. Rows may
 * have any number of cells: the format decides. Broken
 * quoting or an over-long record throws HF_INVALID_FORMAT with the line.
 */
export async function * csvRows (input: AsyncIterable<Uint8Array | string>, init: CsvRowsInit): AsyncGenerator<CsvRow> {
  const parser = parse({
    delimiter: init.delimiter ?? ',',
    bom: true,
    info: true,
    relax_column_count: true,
    skip_empty_lines: true,
    record_delimiter: ['\r\n', '\n', '\r'],
    max_record_size: MAX_FIELD_CHARS
  })
  let failure: unknown
  const source = Readable.from(asBytes(input), { objectMode: false })
  const done = pipeline(source, parser).catch((err: unknown) => { failure ??= err })
  try {
    for await (const { record, info } of parser as AsyncIterable<{ record: string[], info: { lines: number } }>) {
      // info.lines is where the row ends; count back over line breaks inside quoted cells
      // a binary file (an image, an archive) fed as CSV: say so rather than quote its bytes
      if (record.some(cell => cell.includes('\u0000'))) throw invalidFormat(init.format, info.lines, 'binary data (NUL byte): this is not a text file')
      let breaks = 0
      for (const cell of record) for (let i = cell.indexOf('\n'); i >= 0; i = cell.indexOf('\n', i + 1)) breaks++
      yield { line: info.lines - breaks, cells: record.map(restoreCell) }
    }
  } catch (err) {
    failure ??= err
  } finally {
    if (!parser.destroyed) parser.destroy()
    await done
  }
  if (failure !== undefined) {
    if (failure instanceof CsvError) {
      const line = (failure as CsvError & { lines?: number }).lines
      throw invalidFormat(init.format, line, failure.message, failure)
    }
    throw failure
  }
}
