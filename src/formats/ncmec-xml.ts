import { createHash } from 'node:crypto'
import { SaxesParser } from 'saxes'
import { formatHashValue, type AlgorithmName } from '../log/hash-value.js'
import type { HashRecord, ImportItem } from '../log/entry.js'
import { writeBounded } from './bounded-xml.js'
import { MAX_FIELD_CHARS, MAX_NESTING } from './constants.js'
import type { HashListFormat, ParseInit, WriteInit } from './format.js'
import { groupConsecutive } from './group-consecutive.js'
import { asText } from './input.js'
import { invalidFormat } from './invalid-format.js'
import { FieldError, makeRecord, quote, readHashValue, rejectItem, type OwnMeta } from './record.js'

/**
 * `ncmec-xml`: one NCMEC hash-sharing `queryResult` page, as the v2 entries API returns it
 * (pages fetched one after another are imported as separate files).
 *
 * Read: `images`/`videos` hold `image`/`video` entries (media image/video) and
 * `deletedImage`/`deletedVideo` deletions. An entry's `fingerprints` children `md5`, `sha1`,
 * `pdq` and `pdna` (PhotoDNA as hex, base64 or 144 comma-separated bytes) give one record
 * each, with source `ncmec:<id>`. Other fingerprint kinds (NetClean, Videntifier, TMK_PDQF,
 * SSVH_*) are links or values hashfed does not store and are skipped quietly: they are in
 * almost every video entry and are not errors. A truncated or invalid value is rejected with
 * a reason; the entry's other fingerprints still import. An entry without `<id>` is rejected
 * whole (a later delete could not find it). A deletion yields `retract-source` for
 * `ncmec:<id>`, so the importer retracts whatever that id carried. An entry id repeated on a
 * later page (an update) yields adds again; fingerprints the update dropped are not retracted.
 * `member`, `timestamp`, feedback and paging are not read. PDQ quality is not carried
 * (`ParseInit.pdqQuality`).
 *
 * Classification (NCMEC: A prepubescent / B pubescent, 1 sex act / 2 lascivious exhibition):
 * `A1` -> baseline, `A2` -> baseline + IWF C, `B1` -> national, `B2` -> national + IWF C
 * (INTERPOL baseline requires a prepubescent child; lascivious exhibition without sexual
 * activity is IWF category C; a sex act may be IWF A or B, so `1` sets no IWF category).
 * Any other code is kept as the tag `ncmec-classification:<code>` and sets no classification.
 *
 * Writer: one `queryResult` with an `images` then a `videos` container (video entries are
 * held until the images are written: one container each is what NCMEC clients read).
 * Consecutive records with the same `ncmec:` source, media and classification become one
 * entry (an exporter that orders records by source gets one entry per id); records without an `ncmec:` source get the id `hf-<20 hex of SHA-256(alg:value)>`.
 * The classification code is the reverse of the table above (the tag wins). Member is written
 * as id 0 `hashfed`. SHA-256 and blockhash have no NCMEC fingerprint kind: not written.
 */
export const ncmecXmlFormat: HashListFormat = {
  name: 'ncmec-xml',
  parse: parseNcmec,
  write: writeNcmec,
  unsupported: ncmecUnsupported
}

export const NCMEC_NAMESPACE = 'https://hashsharing.ncmec.org/hashsharing/v2'
const CLASSIFICATION_TAG = 'ncmec-classification:'

const FINGERPRINTS = new Map<string, AlgorithmName>([['md5', 'md5'], ['sha1', 'sha1'], ['pdq', 'pdq'], ['pdna', 'photodna']])
const ELEMENT_OF: Partial<Record<AlgorithmName, string>> = { md5: 'md5', sha1: 'sha1', pdq: 'pdq', photodna: 'pdna' }

const CODES = new Map<string, OwnMeta>([
  ['A1', { classification: 'baseline' }],
  ['A2', { classification: 'baseline', iwfCategory: 'C' }],
  ['B1', { classification: 'national' }],
  ['B2', { classification: 'national', iwfCategory: 'C' }]
])

interface Entry {
  kind: 'image' | 'video' | 'deletedImage' | 'deletedVideo'
  line: number
  id?: string
  classification?: string
  /** the child (`id`, `classification`) whose text was longer than MAX_FIELD_CHARS */
  tooLong?: string
  fingerprints: Array<{ name: string, line: number, text: string, tooLong?: boolean }>
}

const ENTRY_KINDS = new Set(['image', 'video', 'deletedImage', 'deletedVideo'])
const localName = (name: string): string => name.slice(name.indexOf(':') + 1)

async function * parseNcmec (input: AsyncIterable<Uint8Array | string>, init: ParseInit = {}): AsyncGenerator<ImportItem> {
  const parser = new SaxesParser({ position: true })
  const out: ImportItem[] = []
  const path: string[] = []
  let entry: Entry | undefined
  // the leaf element whose text is being gathered, and where its text goes (`tooLong`: it
  // outgrew MAX_FIELD_CHARS; the value is then rejected, never cut and imported)
  let text: { value: string, depth: number, done: (value: string) => void, tooLong: () => void, over: boolean } | undefined

  parser.on('opentag', tag => {
    const name = localName(tag.name)
    if (path.length === 0 && name !== 'queryResult') throw invalidFormat('ncmec-xml', parser.line, `root element <${name}> is not an NCMEC <queryResult>`)
    path.push(name)
    const depth = path.length
    if (depth > MAX_NESTING) throw invalidFormat('ncmec-xml', parser.line, `elements nested deeper than ${MAX_NESTING} levels: not an NCMEC hash-sharing page`)
    if (depth === 3 && (path[1] === 'images' || path[1] === 'videos') && ENTRY_KINDS.has(name)) {
      entry = { kind: name as Entry['kind'], line: parser.line, fingerprints: [] }
    } else if (entry !== undefined && text === undefined && depth === 4 && (name === 'id' || name === 'classification')) {
      const e = entry
      text = { value: '', depth, over: false, done: v => { if (name === 'id') e.id = v; else e.classification = v }, tooLong: () => { e.tooLong = name } }
    } else if (entry !== undefined && text === undefined && depth === 5 && path[3] === 'fingerprints' && FINGERPRINTS.has(name.toLowerCase())) {
      const fp: Entry['fingerprints'][number] = { name: name.toLowerCase(), line: parser.line, text: '' }
      entry.fingerprints.push(fp)
      text = { value: '', depth, over: false, done: v => { fp.text = v }, tooLong: () => { fp.tooLong = true } }
    }
  })
  const onText = (t: string): void => {
    if (text === undefined || text.over) return
    if (text.value.length + t.length > MAX_FIELD_CHARS) {
      text.over = true
      text.value = ''
      text.tooLong()
    } else {
      text.value += t
    }
  }
  parser.on('text', onText)
  parser.on('cdata', onText)
  parser.on('closetag', () => {
    const depth = path.length
    path.pop()
    if (text !== undefined && text.depth === depth) {
      if (!text.over) text.done(text.value.trim())
      text = undefined
    }
    if (entry !== undefined && depth === 3) {
      out.push(...entryItems(entry, init))
      entry = undefined
    }
  })

  const write = (chunk: string | null): void => {
    let tooLarge: string | undefined
    try {
      if (chunk === null) parser.close()
      else tooLarge = writeBounded(parser, chunk)
    } catch (err) {
      // saxes reports malformed XML as plain Errors; ours are HashfedErrors, bugs are other types
      if (err instanceof Error && err.constructor === Error) throw invalidFormat('ncmec-xml', parser.line, `not well-formed XML: ${err.message}`, err)
      throw err
    }
    if (tooLarge !== undefined) throw invalidFormat('ncmec-xml', parser.line, `${tooLarge}: not an NCMEC hash-sharing page (nothing is imported)`)
  }
  for await (const chunk of asText(input)) {
    write(chunk)
    yield * out
    out.length = 0
  }
  write(null)
  yield * out
}

function entryItems (entry: Entry, init: ParseInit): ImportItem[] {
  if (entry.tooLong !== undefined) {
    return [{ kind: 'reject', line: entry.line, reason: `<${entry.kind}>: <${entry.tooLong}> longer than ${MAX_FIELD_CHARS} characters: not imported` }]
  }
  if (entry.id === undefined || entry.id === '') {
    return [{ kind: 'reject', line: entry.line, reason: `<${entry.kind}> without <id>: not imported (a later delete could not find it)` }]
  }
  const source = `ncmec:${entry.id}`
  if (entry.kind === 'deletedImage' || entry.kind === 'deletedVideo') {
    return [{ kind: 'retract-source', line: entry.line, source, reason: `deleted by NCMEC (${entry.kind} ${entry.id})` }]
  }
  const own: OwnMeta = { source, media: entry.kind }
  const code = entry.classification ?? ''
  const mapped = CODES.get(code.toUpperCase())
  if (mapped !== undefined) Object.assign(own, mapped)
  else if (code !== '') own.tags = [CLASSIFICATION_TAG + code]
  const items: ImportItem[] = []
  for (const fp of entry.fingerprints) {
    const algorithm = FINGERPRINTS.get(fp.name) as AlgorithmName
    try {
      if (fp.tooLong === true) throw new FieldError(`${fp.name} fingerprint longer than ${MAX_FIELD_CHARS} characters`)
      if (fp.text === '') throw new FieldError(`empty ${fp.name} fingerprint`)
      items.push({ kind: 'add', line: fp.line, record: makeRecord(algorithm, readHashValue(algorithm, fp.text), own, init) })
    } catch (err) {
      items.push(rejectItem(fp.line, err, `NCMEC entry ${quote(entry.id)}`))
    }
  }
  return items
}

// ---------------------------------------------------------------- writer

// XML 1.0 allows tab, LF, CR and U+0020 upwards (minus surrogates and U+FFFE/FFFF)
const XML_FORBIDDEN = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/

function ncmecId (record: HashRecord): string | undefined {
  return record.source?.startsWith('ncmec:') === true && record.source.length > 6 ? record.source.slice(6) : undefined
}

function ncmecCode (record: HashRecord): string | undefined {
  const tagged = record.tags?.find(t => t.startsWith(CLASSIFICATION_TAG))
  if (tagged !== undefined) return tagged.slice(CLASSIFICATION_TAG.length)
  const c = record.iwfCategory === 'C' ? '2' : '1'
  if (record.classification === 'baseline') return 'A' + c
  if (record.classification === 'national') return 'B' + c
  return undefined
}

export function ncmecUnsupported (record: HashRecord): string | undefined {
  if (ELEMENT_OF[record.algorithm] === undefined) return `NCMEC hash sharing has no ${record.algorithm} fingerprint`
  const id = ncmecId(record)
  if (id !== undefined && (XML_FORBIDDEN.test(id) || id.trim() !== id)) return `NCMEC id ${quote(id)} has surrounding blanks or characters XML cannot hold`
  const code = ncmecCode(record)
  if (code !== undefined && (XML_FORBIDDEN.test(code) || code.trim() !== code || code === '')) return `NCMEC classification ${quote(code)} cannot be written`
  return undefined
}

function escapeXml (text: string): string {
  return text.replace(/[&<>"']/g, c => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c] as string)
}

function renderEntry (group: HashRecord[], timestamp: string): string {
  const head = group[0]
  const kind = head.media === 'video' ? 'video' : 'image'
  const id = ncmecId(head) ?? 'hf-' + createHash('sha256').update(`${head.algorithm}:${formatHashValue(head.value)}`).digest('hex').slice(0, 20)
  const code = ncmecCode(head)
  const lines = [
    `    <${kind}>`,
    '      <member id="0">hashfed</member>',
    `      <timestamp>${timestamp}</timestamp>`,
    `      <id>${escapeXml(id)}</id>`
  ]
  if (code !== undefined) lines.push(`      <classification>${escapeXml(code)}</classification>`)
  lines.push('      <fingerprints>')
  for (const r of group) {
    const element = ELEMENT_OF[r.algorithm] as string
    lines.push(`        <${element}>${formatHashValue(r.value)}</${element}>`)
  }
  lines.push('      </fingerprints>', `    </${kind}>`, '')
  return lines.join('\n')
}

async function * writeNcmec (records: AsyncIterable<HashRecord>, init: WriteInit = {}): AsyncGenerator<string> {
  const timestamp = (init.now ?? new Date()).toISOString().replace(/\.\d{3}Z$/, 'Z')
  yield `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<queryResult xmlns="${NCMEC_NAMESPACE}">\n`
  yield `  <images maxTimestamp="${timestamp}">\n`
  const videos: string[] = []
  const writable = filter(records, r => ncmecUnsupported(r) === undefined)
  const groups = groupConsecutive(writable, r => {
    const id = ncmecId(r)
    return id === undefined ? undefined : `${id}\u0000${r.media === 'video' ? 'v' : 'i'}\u0000${ncmecCode(r) ?? ''}`
  }, (group, r) => !group.some(g => g.algorithm === r.algorithm)) // one fingerprint per kind and entry
  let images = ''
  for await (const group of groups) {
    const entry = renderEntry(group, timestamp)
    if (group[0].media === 'video') {
      videos.push(entry)
    } else {
      images += entry
      if (images.length > 64 * 1024) {
        yield images
        images = ''
      }
    }
  }
  yield images + '  </images>\n'
  yield `  <videos maxTimestamp="${timestamp}">\n`
  for (let i = 0; i < videos.length; i += 256) yield videos.slice(i, i + 256).join('')
  yield '  </videos>\n</queryResult>\n'
}

async function * filter<T> (items: AsyncIterable<T>, keep: (item: T) => boolean): AsyncGenerator<T> {
  for await (const item of items) if (keep(item)) yield item
}
