import { formatHashValue, type AlgorithmName } from '../log/hash-value.js'
import type { HashRecord, ImportItem, MEDIA_TYPES } from '../log/entry.js'
import { csvRow } from './csv-cell.js'
import { csvRows } from './csv-rows.js'
import type { HashListFormat, ParseInit } from './format.js'
import { invalidFormat } from './invalid-format.js'
import { FieldError, makeRecord, quote, readHashValue, rejectItem, type OwnMeta } from './record.js'
import { chunked } from './write-chunks.js'

/**
 * `hma-csv`: a hasher-matcher-actioner (ThreatExchange) bank export: comma-separated with a
 * header naming at least `signal_type` and `signal_value` (`signal` is accepted for the
 * latter); `bank_name` and `content_id` are read when present, other columns are ignored.
 *
 * Signal types: `pdq` -> PDQ (image), `video_md5` -> MD5 (video), `photo_md5` -> MD5 (image),
 * `md5` -> MD5 (media unknown). Other types (`url`, `raw_text`, `tmk_pdqf`, ...) are not
 * hashes hashfed stores: each such row is rejected with a reason. `bank_name` -> tags
 * (split on `|`), `content_id` -> source `hma:<content_id>`. PDQ quality is not carried
 * (`ParseInit.pdqQuality`).
 *
 * Writer: `signal_type,signal_value,bank_name,content_id` with the types above (MD5 by its
 * media), tags joined by `|`, and the content id of `hma:` sources. Only PDQ and MD5 exist
 * in HMA: records of other algorithms are not written. Cells a spreadsheet would run as a
 * formula get a leading `'` (see csv-cell.ts).
 */
export const hmaCsvFormat: HashListFormat = {
  name: 'hma-csv',
  parse: parseHma,
  write: writeHma,
  unsupported: hmaUnsupported
}

export const HMA_COLUMNS = ['signal_type', 'signal_value', 'bank_name', 'content_id'] as const

const SIGNAL_TYPES = new Map<string, { algorithm: AlgorithmName, media?: typeof MEDIA_TYPES[number] }>([
  ['pdq', { algorithm: 'pdq', media: 'image' }],
  ['video_md5', { algorithm: 'md5', media: 'video' }],
  ['photo_md5', { algorithm: 'md5', media: 'image' }],
  ['md5', { algorithm: 'md5' }]
])

async function * parseHma (input: AsyncIterable<Uint8Array | string>, init: ParseInit = {}): AsyncGenerator<ImportItem> {
  let columns: { type: number, value: number, bank?: number, content?: number, width: number } | undefined
  for await (const { line, cells } of csvRows(input, { format: 'hma-csv' })) {
    if (columns === undefined) {
      const names = cells.map(c => c.trim().toLowerCase())
      const at = (...n: string[]): number | undefined => { const i = names.findIndex(x => n.includes(x)); return i < 0 ? undefined : i }
      const type = at('signal_type')
      const value = at('signal_value', 'signal')
      if (type === undefined || value === undefined) {
        throw invalidFormat('hma-csv', line, `the header needs "signal_type" and "signal_value" columns, got ${quote(cells.join(','))}`)
      }
      columns = { type, value, bank: at('bank_name', 'bank'), content: at('content_id'), width: cells.length }
      continue
    }
    if (cells.every(c => c.trim() === '')) continue
    if (cells.length !== columns.width) {
      yield { kind: 'reject', line, reason: `expected ${columns.width} cells, got ${cells.length}` }
      continue
    }
    try {
      const typeText = cells[columns.type].trim().toLowerCase()
      const type = SIGNAL_TYPES.get(typeText)
      if (type === undefined) throw new FieldError(`signal type ${quote(typeText)} is not a hash hashfed stores (${[...SIGNAL_TYPES.keys()].join(', ')})`)
      const own: OwnMeta = {}
      if (type.media !== undefined) own.media = type.media
      const tags = columns.bank === undefined ? [] : cells[columns.bank].split('|').map(t => t.trim()).filter(t => t !== '')
      if (tags.length > 0) own.tags = tags
      const content = columns.content === undefined ? '' : cells[columns.content].trim()
      if (content !== '') own.source = `hma:${content}`
      yield { kind: 'add', line, record: makeRecord(type.algorithm, readHashValue(type.algorithm, cells[columns.value]), own, init) }
    } catch (err) {
      yield rejectItem(line, err)
    }
  }
  if (columns === undefined) throw invalidFormat('hma-csv', undefined, 'empty file: expected a header row with signal_type,signal_value')
}

function signalType (record: HashRecord): string {
  if (record.algorithm === 'pdq') return 'pdq'
  return record.media === 'video' ? 'video_md5' : record.media === 'image' ? 'photo_md5' : 'md5'
}

export function hmaUnsupported (record: HashRecord): string | undefined {
  if (record.algorithm !== 'pdq' && record.algorithm !== 'md5') return `HMA has no ${record.algorithm} signal type (only pdq and md5)`
  if (record.algorithm === 'pdq' && record.media === 'video') return 'HMA pdq signals are for images'
  for (const tag of record.tags ?? []) {
    if (tag === '' || tag.includes('|') || tag.trim() !== tag) return `tag ${quote(tag)} is empty, contains "|" or has surrounding blanks`
  }
  const id = contentId(record)
  if (id !== undefined && id.trim() !== id) return `content id ${quote(id)} has surrounding blanks`
  return undefined
}

function contentId (record: HashRecord): string | undefined {
  return record.source?.startsWith('hma:') === true && record.source.length > 4 ? record.source.slice(4) : undefined
}

async function * writeHma (records: AsyncIterable<HashRecord>): AsyncGenerator<string> {
  yield HMA_COLUMNS.join(',') + '\n'
  yield * chunked(records, r => {
    if (hmaUnsupported(r) !== undefined) return ''
    return csvRow([signalType(r), formatHashValue(r.value), (r.tags ?? []).join('|'), contentId(r) ?? ''])
  })
}
