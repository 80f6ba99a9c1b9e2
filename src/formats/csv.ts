import { detectAlgorithm, formatHashValue, parseAlgorithm } from '../log/hash-value.js'
import { AGE_BANDS, CLASSIFICATIONS, IWF_CATEGORIES, MEDIA_TYPES, type HashRecord, type ImportItem } from '../log/entry.js'
import { csvRow } from './csv-cell.js'
import { csvRows } from './csv-rows.js'
import type { HashListFormat, ParseInit } from './format.js'
import { invalidFormat } from './invalid-format.js'
import { FieldError, makeRecord, quote, readHashValue, readQuality, rejectItem, type OwnMeta } from './record.js'
import { chunked } from './write-chunks.js'

/**
 * `csv`: hashfed's own CSV, the one format that carries every field of a record.
 *
 * Comma-separated, RFC 4180 quoting, UTF-8, a header row first. Columns, in any order, by
 * these names (case-insensitive); only `value` is required, any other name is an error:
 *
 * | column | content |
 * |---|---|
 * | `algorithm` | `md5`, `sha1`, `sha256`, `pdq`, `blockhash`, `photodna`; empty: detected by length |
 * | `value` | hex (any case); PhotoDNA also base64 |
 * | `quality` | PDQ quality 0-100 (PDQ only; empty: `ParseInit.pdqQuality`) |
 * | `classification` | `baseline`, `national`, `not-illegal` |
 * | `iwf_category` | `A`, `B`, `C` |
 * | `vics_category` | `0`-`4` |
 * | `age_band` | `0-2`, `3-6`, `7-10`, `11-13`, `14-15`, `16-17` |
 * | `media` | `image`, `video` |
 * | `tags` | tags separated by `|` |
 * | `source` | case or list id, e.g. `ncmec:12345` |
 *
 * Empty cells take `init.defaults`. A row with the wrong number of cells or an invalid cell is
 * rejected with its line; a header with unknown or duplicate columns throws HF_INVALID_FORMAT.
 * The writer writes all ten columns in this order, so import -> export -> import is exact.
 * Cells a spreadsheet would run as a formula get a leading `'` (see csv-cell.ts), which the
 * reader removes again.
 */
export const csvFormat: HashListFormat = {
  name: 'csv',
  parse: parseCsv,
  write: writeCsv,
  unsupported: csvUnsupported
}

export const CSV_COLUMNS = ['algorithm', 'value', 'quality', 'classification', 'iwf_category', 'vics_category', 'age_band', 'media', 'tags', 'source'] as const
type Column = typeof CSV_COLUMNS[number]

async function * parseCsv (input: AsyncIterable<Uint8Array | string>, init: ParseInit = {}): AsyncGenerator<ImportItem> {
  let columns: Column[] | undefined
  for await (const { line, cells } of csvRows(input, { format: 'csv' })) {
    if (columns === undefined) {
      columns = readHeader(cells, line)
      continue
    }
    if (cells.every(c => c.trim() === '')) continue
    if (cells.length !== columns.length) {
      yield { kind: 'reject', line, reason: `expected ${columns.length} cells (${columns.join(',')}), got ${cells.length}` }
      continue
    }
    try {
      const row = new Map<Column, string>()
      columns.forEach((c, i) => row.set(c, cells[i].trim()))
      yield { kind: 'add', line, record: readRow(row, init) }
    } catch (err) {
      yield rejectItem(line, err)
    }
  }
  if (columns === undefined) throw invalidFormat('csv', undefined, `empty file: expected a header row (${CSV_COLUMNS.join(',')})`)
}

function readHeader (cells: string[], line: number): Column[] {
  const names = cells.map(c => c.trim().toLowerCase())
  const seen = new Set<string>()
  for (const name of names) {
    if (!(CSV_COLUMNS as readonly string[]).includes(name)) {
      throw invalidFormat('csv', line, `unknown column ${quote(name)} in the header (expected columns from ${CSV_COLUMNS.join(',')})`)
    }
    if (seen.has(name)) throw invalidFormat('csv', line, `column ${quote(name)} appears twice in the header`)
    seen.add(name)
  }
  if (!seen.has('value')) throw invalidFormat('csv', line, `the header has no "value" column (expected columns from ${CSV_COLUMNS.join(',')})`)
  return names as Column[]
}

function readRow (row: Map<Column, string>, init: ParseInit): HashRecord {
  const value = row.get('value') ?? ''
  const algText = row.get('algorithm') ?? ''
  const algorithm = algText !== '' ? parseAlgorithm(algText) : detectAlgorithm(value)
  if (algorithm === null) throw new FieldError(`no algorithm given and none detected for ${quote(value)} (${value.length} characters)`)
  const own: OwnMeta = {}
  const quality = row.get('quality') ?? ''
  if (quality !== '') {
    if (algorithm !== 'pdq') throw new FieldError(`quality ${quote(quality)} given for ${algorithm}: quality applies to pdq only`)
    own.quality = readQuality(quality)
  }
  const classification = (row.get('classification') ?? '').toLowerCase().replace(/[ _]/g, '-')
  if (classification !== '') own.classification = oneOf('classification', classification, CLASSIFICATIONS)
  const iwf = (row.get('iwf_category') ?? '').toUpperCase()
  if (iwf !== '') own.iwfCategory = oneOf('iwf_category', iwf, IWF_CATEGORIES)
  const vics = row.get('vics_category') ?? ''
  if (vics !== '') own.vicsCategory = Number(oneOf('vics_category', vics, ['0', '1', '2', '3', '4'] as const))
  const age = (row.get('age_band') ?? '').replace(/\s/g, '')
  if (age !== '') own.ageBand = oneOf('age_band', age, AGE_BANDS)
  const media = (row.get('media') ?? '').toLowerCase()
  if (media !== '') own.media = oneOf('media', media, MEDIA_TYPES)
  const tags = (row.get('tags') ?? '').split('|').map(t => t.trim()).filter(t => t !== '')
  if (tags.length > 0) own.tags = tags
  const source = row.get('source') ?? ''
  if (source !== '') own.source = source
  return makeRecord(algorithm, readHashValue(algorithm, value), own, init)
}

function oneOf<T extends string> (column: string, text: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(text)) throw new FieldError(`invalid ${column} ${quote(text)}: expected one of ${allowed.join(', ')}`)
  return text as T
}

/** Tags and source must survive the trip through a `|`-separated, trimmed cell. */
export function csvUnsupported (record: HashRecord): string | undefined {
  for (const tag of record.tags ?? []) {
    if (tag === '' || tag.includes('|') || tag.trim() !== tag) return `tag ${quote(tag)} is empty, contains "|" or has surrounding blanks`
  }
  if (record.source !== undefined && (record.source === '' || record.source.trim() !== record.source)) {
    return `source ${quote(record.source)} is empty or has surrounding blanks`
  }
  return undefined
}

async function * writeCsv (records: AsyncIterable<HashRecord>): AsyncGenerator<string> {
  yield CSV_COLUMNS.join(',') + '\n'
  yield * chunked(records, r => {
    if (csvUnsupported(r) !== undefined) return ''
    return csvRow([
      r.algorithm,
      formatHashValue(r.value),
      r.algorithm === 'pdq' && r.quality !== undefined ? String(r.quality) : '',
      r.classification ?? '',
      r.iwfCategory ?? '',
      r.vicsCategory === undefined ? '' : String(r.vicsCategory),
      r.ageBand ?? '',
      r.media ?? '',
      (r.tags ?? []).join('|'),
      r.source ?? ''
    ])
  })
}
