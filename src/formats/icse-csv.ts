import { formatHashValue, type AlgorithmName } from '../log/hash-value.js'
import type { HashRecord, ImportItem } from '../log/entry.js'
import { csvRow, startsLikeFormula } from './csv-cell.js'
import { csvRows } from './csv-rows.js'
import type { HashListFormat, ParseInit } from './format.js'
import { groupConsecutive } from './group-consecutive.js'
import { invalidFormat } from './invalid-format.js'
import { makeRecord, quote, readHashValue, rejectItem, type OwnMeta } from './record.js'
import { chunked } from './write-chunks.js'

/**
 * `icse-csv`: an INTERPOL ICSE database export, `;`-separated with the header
 * `MD5;SHA1;PhotoDNA;Image ID;Is distributed;Victim identified;Offender identified;Series name;Number of submissions;File Available;Media Type;Baseline`
 * (names case-insensitive, any order; all twelve required, extra columns ignored).
 *
 * Each row gives a record for each non-empty `MD5`, `SHA1` and `PhotoDNA` (hex or base64),
 * with source `icse:<Image ID>`, media from `Media Type` (`Image`/`Video`) and classification
 * from `Baseline`: yes/true/1 -> baseline, empty -> none (defaults apply), anything else ->
 * national. A bad value is rejected with its line; the row's other hashes still import.
 * Distribution, victim/offender identification, series name and submissions are not read:
 * a hash list carries no facts about people or investigations.
 *
 * Writer: the same header; consecutive records with the same `icse:` source, media and
 * classification share a row (one hash per column; PhotoDNA in base64). Only MD5, SHA-1 and
 * PhotoDNA fit, and `not-illegal` records are not written (ICSE holds abuse material only).
 * Cells a spreadsheet would run as a formula (an image id `=…`) get a leading `'` (see
 * csv-cell.ts); a PhotoDNA whose base64 would start with `+` is written in hex instead.
 */
export const icseCsvFormat: HashListFormat = {
  name: 'icse-csv',
  parse: parseIcse,
  write: writeIcse,
  unsupported: icseUnsupported
}

export const ICSE_COLUMNS = ['MD5', 'SHA1', 'PhotoDNA', 'Image ID', 'Is distributed', 'Victim identified', 'Offender identified', 'Series name', 'Number of submissions', 'File Available', 'Media Type', 'Baseline'] as const
const HASH_COLUMNS: Array<[typeof ICSE_COLUMNS[number], AlgorithmName]> = [['MD5', 'md5'], ['SHA1', 'sha1'], ['PhotoDNA', 'photodna']]

async function * parseIcse (input: AsyncIterable<Uint8Array | string>, init: ParseInit = {}): AsyncGenerator<ImportItem> {
  let index: Map<string, number> | undefined
  let width = 0
  for await (const { line, cells } of csvRows(input, { format: 'icse-csv', delimiter: ';' })) {
    if (index === undefined) {
      index = readHeader(cells, line)
      width = cells.length
      continue
    }
    if (cells.every(c => c.trim() === '')) continue
    if (cells.length !== width) {
      yield { kind: 'reject', line, reason: `expected ${width} cells separated by ";", got ${cells.length}` }
      continue
    }
    const cell = (name: typeof ICSE_COLUMNS[number]): string => cells[index?.get(name.toLowerCase()) as number].trim()
    const own: OwnMeta = {}
    const id = cell('Image ID')
    if (id !== '') own.source = `icse:${id}`
    const media = cell('Media Type').toLowerCase()
    if (media === 'image' || media === 'video') own.media = media
    const baseline = cell('Baseline').toLowerCase()
    if (baseline !== '') own.classification = ['yes', 'true', '1', 'y'].includes(baseline) ? 'baseline' : 'national'
    for (const [column, algorithm] of HASH_COLUMNS) {
      const text = cell(column)
      if (text === '') continue
      try {
        yield { kind: 'add', line, record: makeRecord(algorithm, readHashValue(algorithm, text), own, init) }
      } catch (err) {
        yield rejectItem(line, err, column)
      }
    }
  }
  if (index === undefined) throw invalidFormat('icse-csv', undefined, 'empty file: expected the ICSE header row')
}

function readHeader (cells: string[], line: number): Map<string, number> {
  const index = new Map<string, number>()
  cells.forEach((c, i) => { if (!index.has(c.trim().toLowerCase())) index.set(c.trim().toLowerCase(), i) })
  const missing = ICSE_COLUMNS.filter(c => !index.has(c.toLowerCase()))
  if (missing.length > 0) {
    const hint = cells.length === 1 && cells[0].includes(',') ? ' (the file looks comma-separated; ICSE uses ";")' : ''
    throw invalidFormat('icse-csv', line, `the header lacks ${missing.map(m => quote(m)).join(', ')}${hint}`)
  }
  return index
}

export function icseUnsupported (record: HashRecord): string | undefined {
  if (!HASH_COLUMNS.some(([, a]) => a === record.algorithm)) return `ICSE has no ${record.algorithm} column`
  if (record.classification === 'not-illegal') return 'ICSE holds abuse material only: not-illegal records are not written'
  const id = icseId(record)
  if (id !== undefined && id.trim() !== id) return `ICSE image id ${quote(id)} has surrounding blanks`
  return undefined
}

function icseId (record: HashRecord): string | undefined {
  return record.source?.startsWith('icse:') === true && record.source.length > 5 ? record.source.slice(5) : undefined
}

/**
 * PhotoDNA in base64, as VICS-based tools (which exchange with ICSE) write it; in hex when the
 * base64 would start with `+`: a spreadsheet would take that cell for a formula, and quoting
 * it would change the value other tools read. Both forms are read back.
 */
function photoDnaText (value: Uint8Array): string {
  const base64 = Buffer.from(value).toString('base64')
  return startsLikeFormula(base64) ? formatHashValue(value) : base64
}

async function * writeIcse (records: AsyncIterable<HashRecord>): AsyncGenerator<string> {
  yield ICSE_COLUMNS.join(';') + '\n'
  const writable = (async function * () { for await (const r of records) if (icseUnsupported(r) === undefined) yield r })()
  const groups = groupConsecutive(writable, r => {
    const id = icseId(r)
    return id === undefined ? undefined : `${id}\u0000${r.media ?? ''}\u0000${r.classification ?? ''}`
  }, (group, r) => !group.some(g => g.algorithm === r.algorithm))
  yield * chunked(groups, group => {
    const head = group[0]
    const row = new Map<string, string>()
    for (const r of group) row.set(r.algorithm, r.algorithm === 'photodna' ? photoDnaText(r.value) : formatHashValue(r.value))
    const baseline = head.classification === 'baseline' ? 'Yes' : head.classification === 'national' ? 'No' : ''
    const media = head.media === 'image' ? 'Image' : head.media === 'video' ? 'Video' : ''
    return csvRow([row.get('md5') ?? '', row.get('sha1') ?? '', row.get('photodna') ?? '', icseId(head) ?? '', '', '', '', '', '', '', media, baseline], ';')
  })
}

