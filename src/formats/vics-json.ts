import { formatHashValue, parseAlgorithm, type AlgorithmName } from '../log/hash-value.js'
import type { ClassificationName, HashRecord, ImportItem } from '../log/entry.js'
import type { HashListFormat, ParseInit } from './format.js'
import { groupConsecutive } from './group-consecutive.js'
import { invalidFormat } from './invalid-format.js'
import { jsonRecords, type JsonScalar } from './json-records.js'
import { FieldError, makeRecord, quote, readHashValue, rejectItem, type OwnMeta } from './record.js'
import { chunked } from './write-chunks.js'

/**
 * `vics-json`: Project VIC / VICS OData JSON.
 *
 * The object must start with `@odata.context` (2.0: `…/DataModels/2.0.xml/{Default|US|UK}/$metadata#Media`)
 * or, in 1.x files, `odata.metadata` (`…/1.3.xml#Media`); `#Cases` files are read too (the
 * Media of every case). Anything else throws HF_INVALID_FORMAT. Each Media record in `value[]`
 * gives one record per hash found in `MD5`, `SHA1`, `SHA256`, `PhotoDNA` (base64 or hex) and
 * `Hashes[{HashName, HashValue}]` (names `MD5`, `SHA1`, `SHA256`, `PhotoDNA`, `PDQ`,
 * `Blockhash`, any case). A hash name we do not store is rejected with a reason; the
 * record's other hashes still import. Records stream one at a time.
 *
 * Mapping: `MediaID` -> source `vics:<MediaID>`; `Category` (0-4) -> `vicsCategory`. In the US
 * and Default schemes (where 0 is non-pertinent, 1 child abuse material, 2 age difficult, 3
 * CGI/animation, 4 comparison) the category also sets the classification: 1 -> `national`
 * (illegal where assessed; VICS says nothing of the INTERPOL baseline criteria, so never
 * `baseline`), 0 and 4 -> `not-illegal`, 2 and 3 -> none (defaults apply). UK and 1.x files
 * only set `vicsCategory`. PDQ quality is not carried (`ParseInit.pdqQuality`). Other Media
 * fields (victim/offender identified, series, file paths, ...) are deliberately not read.
 *
 * Writer: a 2.0 `Default` `#Media` document; consecutive records with the same `vics:`
 * source and category become one Media with `Hashes[]` (PhotoDNA in base64, others hex);
 * records without a `vics:` source get no `MediaID`.
 */
export const vicsJsonFormat: HashListFormat = {
  name: 'vics-json',
  parse: parseVics,
  write: writeVics,
  unsupported: () => undefined
}

export const VICS_CONTEXT = 'http://github.com/VICSDATAMODEL/ProjectVic/DataModels/2.0.xml/Default/$metadata#Media'

const US_CLASSIFICATION: Record<number, ClassificationName | undefined> = { 0: 'not-illegal', 1: 'national', 4: 'not-illegal' }

const HASH_NAMES: Record<AlgorithmName, string> = {
  md5: 'MD5', sha1: 'SHA1', sha256: 'SHA256', photodna: 'PhotoDNA', pdq: 'PDQ', blockhash: 'Blockhash', vpdq: 'vPDQ'
}

async function * parseVics (input: AsyncIterable<Uint8Array | string>, init: ParseInit = {}): AsyncGenerator<ImportItem> {
  let mapsClassification = false
  const onArrayStart = (header: ReadonlyMap<string, JsonScalar>, line: number): string[] => {
    const v2 = header.get('@odata.context')
    const context = v2 ?? header.get('odata.metadata')
    if (typeof context !== 'string') {
      throw invalidFormat('vics-json', line, '"value" comes without an "@odata.context" (or 1.x "odata.metadata") header: not a Project VIC OData file')
    }
    const m = /\.xml(?:\/([^/]+)\/\$metadata)?#(Media|Cases)$/.exec(context)
    if (m === null || (v2 !== undefined && m[1] === undefined)) {
      throw invalidFormat('vics-json', line, `OData context ${quote(context)} is not a Project VIC #Media or #Cases document`)
    }
    mapsClassification = m[1] !== undefined && /^(us|default)$/i.test(m[1])
    return m[2] === 'Cases' ? ['$.value.*.Media.*'] : ['$.value.*']
  }
  for await (const { line, value } of jsonRecords(input, { format: 'vics-json', arrayKey: 'value', onArrayStart })) {
    yield * mediaItems(value, line, mapsClassification, init)
  }
}

function * mediaItems (media: unknown, line: number, mapsClassification: boolean, init: ParseInit): Generator<ImportItem> {
  if (typeof media !== 'object' || media === null || Array.isArray(media)) {
    yield { kind: 'reject', line, reason: 'a Media record is not a JSON object' }
    return
  }
  const m = media as Record<string, unknown>
  const own: OwnMeta = {}
  try {
    const id = m.MediaID
    if (typeof id === 'string' && id.trim() !== '') own.source = `vics:${id.trim()}`
    else if (typeof id === 'number' && Number.isFinite(id)) own.source = `vics:${id}`
    if (m.Category !== undefined && m.Category !== null && m.Category !== '') {
      const c = typeof m.Category === 'string' ? Number(m.Category.trim()) : m.Category
      if (typeof c !== 'number' || !Number.isInteger(c) || c < 0 || c > 4) throw new FieldError(`invalid Category ${quote(String(m.Category))}: expected 0-4`)
      own.vicsCategory = c
      if (mapsClassification && US_CLASSIFICATION[c] !== undefined) own.classification = US_CLASSIFICATION[c]
    }
  } catch (err) {
    yield rejectItem(line, err, `Media ${own.source ?? ''}`.trim())
    return
  }
  const found: Array<[string, unknown]> = []
  for (const name of ['MD5', 'SHA1', 'SHA256', 'PhotoDNA']) if (m[name] !== undefined) found.push([name, m[name]])
  if (Array.isArray(m.Hashes)) {
    for (const h of m.Hashes) {
      if (typeof h !== 'object' || h === null) {
        yield { kind: 'reject', line, reason: 'a Hashes[] entry is not an object with HashName and HashValue' }
        continue
      }
      found.push([String((h as Record<string, unknown>).HashName), (h as Record<string, unknown>).HashValue])
    }
  }
  const seen = new Set<string>()
  for (const [name, value] of found) {
    if (value === null || value === '') continue
    try {
      if (typeof value !== 'string') throw new FieldError(`${name} value is not a string`)
      const algorithm = readHashName(name)
      const bytes = readHashValue(algorithm, value)
      const key = `${algorithm}:${formatHashValue(bytes)}`
      if (seen.has(key)) continue
      seen.add(key)
      yield { kind: 'add', line, record: makeRecord(algorithm, bytes, own, init) }
    } catch (err) {
      yield rejectItem(line, err)
    }
  }
}

function readHashName (name: string): AlgorithmName {
  try {
    return parseAlgorithm(name)
  } catch {
    throw new FieldError(`hash kind ${quote(name)} is not one hashfed stores (${Object.values(HASH_NAMES).join(', ')})`)
  }
}

function mediaId (source: string | undefined): string | undefined {
  return source?.startsWith('vics:') === true && source.length > 5 ? source.slice(5) : undefined
}

async function * writeVics (records: AsyncIterable<HashRecord>): AsyncGenerator<string> {
  yield `{"@odata.context":${JSON.stringify(VICS_CONTEXT)},"value":[`
  let first = true
  const groups = groupConsecutive(records, r => {
    const id = mediaId(r.source)
    return id === undefined ? undefined : `${id}\u0000${r.vicsCategory ?? ''}`
  })
  yield * chunked(groups, group => {
    const head = group[0]
    const out: Record<string, unknown> = {}
    const id = mediaId(head.source)
    if (id !== undefined) out.MediaID = /^[1-9]\d{0,14}$/.test(id) ? Number(id) : id
    if (head.vicsCategory !== undefined) out.Category = head.vicsCategory
    out.Hashes = group.map(r => ({
      HashName: HASH_NAMES[r.algorithm],
      HashValue: r.algorithm === 'photodna' ? Buffer.from(r.value).toString('base64') : formatHashValue(r.value)
    }))
    const text = (first ? '\n' : ',\n') + JSON.stringify(out)
    first = false
    return text
  })
  yield '\n]}\n'
}
