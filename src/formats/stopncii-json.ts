import { formatHashValue, type AlgorithmName } from '../log/hash-value.js'
import type { HashRecord, ImportItem, MEDIA_TYPES } from '../log/entry.js'
import type { HashListFormat, ParseInit, WriteInit } from './format.js'
import { jsonRecords } from './json-records.js'
import { FieldError, makeRecord, quote, readHashValue, rejectItem } from './record.js'
import { chunked } from './write-chunks.js'

/**
 * `stopncii-json`: a StopNCII.org FetchHashes response: an object whose `hashRecords` array
 * holds `{ lastModtimestamp, signalType, hashValue, hashStatus, caseNumbers, CSPFeedbacks }`
 * (envelope fields `count`, `nextPageToken`, `nextSetTimestamp`, `hasMoreRecords` may sit
 * around it and are not needed). Records stream one at a time.
 *
 * `signalType` `ImagePDQ` -> PDQ (image), `VideoMD5` -> MD5 (video); other types (`VideoTMK`,
 * `Text`, `URL`, `Unknown`) are rejected with a reason. `hashStatus` `Active`, `Received` or
 * absent -> add; `Withdrawn` and `Deleted` -> `retract` of that hash (StopNCII asks clients
 * to delete them); anything else is rejected. Case numbers and CSP feedback are not read:
 * case numbers stand for the people who submitted the hashes. No classification or source is
 * set (defaults apply); PDQ quality is not carried (`ParseInit.pdqQuality`).
 *
 * Writer: `{"hashRecords":[...],"count":N,"nextPageToken":null,"nextSetTimestamp":T,"hasMoreRecords":false}`
 * with status `Active`, `lastModtimestamp` = T = `WriteInit.now` in seconds. Only PDQ and
 * video MD5 exist in StopNCII: other records are not written.
 */
export const stopnciiJsonFormat: HashListFormat = {
  name: 'stopncii-json',
  parse: parseStopNcii,
  write: writeStopNcii,
  unsupported: stopnciiUnsupported
}

const SIGNAL_TYPES = new Map<string, { algorithm: AlgorithmName, media: typeof MEDIA_TYPES[number] }>([
  ['ImagePDQ', { algorithm: 'pdq', media: 'image' }],
  ['VideoMD5', { algorithm: 'md5', media: 'video' }]
])
const ADD_STATUSES = new Set(['Active', 'Received'])
const DELETE_STATUSES = new Set(['Withdrawn', 'Deleted'])

async function * parseStopNcii (input: AsyncIterable<Uint8Array | string>, init: ParseInit = {}): AsyncGenerator<ImportItem> {
  for await (const { line, value } of jsonRecords(input, { format: 'stopncii-json', arrayKey: 'hashRecords' })) {
    try {
      yield readRecord(value, line, init)
    } catch (err) {
      yield rejectItem(line, err)
    }
  }
}

function readRecord (value: unknown, line: number, init: ParseInit): ImportItem {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new FieldError('a hash record is not a JSON object')
  const r = value as Record<string, unknown>
  const typeName = typeof r.signalType === 'string' ? r.signalType : String(r.signalType)
  const type = SIGNAL_TYPES.get(typeName)
  if (type === undefined) throw new FieldError(`signalType ${quote(typeName)} is not a hash hashfed stores (${[...SIGNAL_TYPES.keys()].join(', ')})`)
  if (typeof r.hashValue !== 'string') throw new FieldError('hashValue is missing or not a string')
  const bytes = readHashValue(type.algorithm, r.hashValue)
  const status = r.hashStatus === undefined || r.hashStatus === null ? 'Active' : String(r.hashStatus)
  if (DELETE_STATUSES.has(status)) return { kind: 'retract', line, algorithm: type.algorithm, value: bytes, reason: `StopNCII hashStatus ${status}` }
  if (!ADD_STATUSES.has(status)) throw new FieldError(`unknown hashStatus ${quote(status)} (expected Active, Received, Withdrawn or Deleted)`)
  return { kind: 'add', line, record: makeRecord(type.algorithm, bytes, { media: type.media }, init) }
}

export function stopnciiUnsupported (record: HashRecord): string | undefined {
  if (record.algorithm === 'pdq') return record.media === 'video' ? 'StopNCII PDQ signals are for images' : undefined
  if (record.algorithm === 'md5') return record.media === 'video' ? undefined : 'StopNCII carries MD5 for videos only'
  return `StopNCII has no ${record.algorithm} signal type`
}

async function * writeStopNcii (records: AsyncIterable<HashRecord>, init: WriteInit = {}): AsyncGenerator<string> {
  const now = Math.floor((init.now ?? new Date()).getTime() / 1000)
  let count = 0
  yield '{"hashRecords":['
  yield * chunked(records, r => {
    if (stopnciiUnsupported(r) !== undefined) return ''
    const text = JSON.stringify({
      lastModtimestamp: now,
      signalType: r.algorithm === 'pdq' ? 'ImagePDQ' : 'VideoMD5',
      hashValue: formatHashValue(r.value),
      hashStatus: 'Active',
      caseNumbers: {},
      CSPFeedbacks: []
    })
    return (count++ === 0 ? '\n' : ',\n') + text
  })
  yield `\n],"count":${count},"nextPageToken":null,"nextSetTimestamp":${now},"hasMoreRecords":false}\n`
}
