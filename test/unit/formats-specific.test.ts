import { test } from 'node:test'
import assert from 'node:assert/strict'
import { formatHashValue } from '../../src/log/hash-value.js'
import type { HashRecord } from '../../src/log/entry.js'
import { getFormat } from '../../src/formats/registry.js'
import { MAX_LINE_CHARS } from '../../src/formats/constants.js'
import { collect, fixture, isInvalidFormat, parseError, plain, records, writeAll } from '../helpers/format-suite.js'

const MD5 = '84f64b65db3192a980783835b078a28b'
const MD5B = '13083016c5197ec3250d6728af75ba65'
const SHA1 = '159a45c2f964c33f5f9c22a9043380060da41f2e'
const HEX64 = '27e9416929d305a3e78cdd07a6e459231f1ce50d5a30b91d2b751e3f1696f7ba'
const hex = (bytes: number, fill: number): string => Buffer.alloc(bytes, fill).toString('hex')
const rec = (algorithm: HashRecord['algorithm'], value: string, meta: Partial<HashRecord> = {}): HashRecord =>
  ({ algorithm, value: new Uint8Array(Buffer.from(value, 'hex')), ...meta })

// ---------------------------------------------------------------- ncmec-xml

const ncmec = getFormat('ncmec-xml')
const page = (body: string): string =>
  `<?xml version="1.0" encoding="UTF-8"?>\n<queryResult xmlns="https://hashsharing.ncmec.org/hashsharing/v2">\n${body}\n</queryResult>\n`

test('ncmec-xml: deletions yield retract-source for the entry id, after the adds of the page', async () => {
  const items = await collect(ncmec, page(`<videos count="2" maxTimestamp="2019-11-25T15:10:00Z">
    <video><member id="101">TX</member><timestamp>2019-11-24T15:10:00Z</timestamp><id>willupdate</id><classification>A2</classification>
      <fingerprints><md5>${MD5}</md5></fingerprints></video>
    <deletedVideo><member id="101">TX</member><timestamp>2019-11-25T15:10:00Z</timestamp><id>willdelete</id></deletedVideo>
  </videos>`))
  assert.deepEqual(items.map(i => i.kind), ['add', 'retract-source'])
  const del = items[1]
  assert.ok(del.kind === 'retract-source')
  assert.equal(del.source, 'ncmec:willdelete')
  assert.equal(del.line, 6)
  assert.match(del.reason, /deletedVideo willdelete/)
})

test('ncmec-xml: an invalid fingerprint is rejected with a reason and the rest of the entry imports', async () => {
  const items = await collect(ncmec, page(`<images>
    <image><member id="1">M</member><timestamp>2024-01-01T00:00:00Z</timestamp><id>77</id><classification>B1</classification>
      <fingerprints>
        <md5>${MD5}</md5>
        <pdq>${HEX64.slice(0, 40)}</pdq>
        <sha1></sha1>
        <pdna>${hex(144, 3)}</pdna>
      </fingerprints>
    </image>
  </images>`))
  assert.deepEqual(items.map(plain), [
    { kind: 'add', line: 6, ref: `md5:${MD5}`, classification: 'national', media: 'image', source: 'ncmec:77' },
    { kind: 'reject', line: 7, reason: `NCMEC entry "77": invalid pdq value "${HEX64.slice(0, 40)}": expected 64 hex characters, got 40 characters` },
    { kind: 'reject', line: 8, reason: 'NCMEC entry "77": empty sha1 fingerprint' },
    { kind: 'add', line: 9, ref: `photodna:${hex(144, 3)}`, classification: 'national', media: 'image', source: 'ncmec:77' }
  ])
})

test('ncmec-xml: an entry without id is rejected whole; namespace prefixes, CDATA and unknown kinds are handled', async () => {
  const items = await collect(ncmec, `<ns2:queryResult xmlns:ns2="https://hashsharing.ncmec.org/hashsharing/v2"><ns2:images>
    <ns2:image><ns2:classification>A1</ns2:classification><ns2:fingerprints><ns2:md5>${MD5}</ns2:md5></ns2:fingerprints></ns2:image>
    <ns2:image><ns2:id><![CDATA[ 9 ]]></ns2:id><ns2:fingerprints><ns2:sha1><![CDATA[${SHA1}]]></ns2:sha1><ns2:netclean rel="self" href="/x"/><ns2:ssvh_pdna>zz</ns2:ssvh_pdna></ns2:fingerprints></ns2:image>
  </ns2:images></ns2:queryResult>`)
  assert.deepEqual(items.map(plain), [
    { kind: 'reject', line: 2, reason: '<image> without <id>: not imported (a later delete could not find it)' },
    { kind: 'add', line: 3, ref: `sha1:${SHA1}`, media: 'image', source: 'ncmec:9' }
  ])
})

test('ncmec-xml: the writer keeps one images and one videos container, skips what NCMEC cannot hold, ids records without a source', async () => {
  const input = [
    rec('md5', MD5, { media: 'video', source: 'ncmec:v1', classification: 'baseline' }),
    rec('sha256', HEX64, { media: 'image' }),
    rec('md5', MD5B, { media: 'image', source: 'ncmec:i1', classification: 'national', iwfCategory: 'C' }),
    rec('sha1', SHA1, { media: 'image', source: 'ncmec:i1', classification: 'national', iwfCategory: 'C' }),
    rec('md5', MD5, { media: 'image', source: 'ncmec:i1', classification: 'national', iwfCategory: 'C' }),
    rec('pdq', HEX64, { quality: 100, media: 'image' })
  ]
  assert.match(ncmec.unsupported?.(input[1]) ?? '', /no sha256 fingerprint/)
  const xml = await writeAll(ncmec, input)
  assert.equal(xml.match(/<images /g)?.length, 1)
  assert.equal(xml.match(/<videos /g)?.length, 1)
  assert.ok(xml.indexOf('<id>v1</id>') > xml.indexOf('</images>'), 'the video entry is in the videos container')
  assert.equal(xml.match(/<id>i1<\/id>/g)?.length, 2, 'a second md5 for one id starts a second entry')
  assert.match(xml, /<classification>B2<\/classification>/)
  const back = records(await collect(ncmec, xml))
  assert.deepEqual(back.map(r => r.algorithm).sort(), ['md5', 'md5', 'md5', 'pdq', 'sha1'])
  const pdq = back.find(r => r.algorithm === 'pdq')
  assert.match(pdq?.source ?? '', /^ncmec:hf-[0-9a-f]{20}$/)
})

test('ncmec-xml: an update of the same id re-adds its fingerprints with the new classification', async () => {
  const entry = (cls: string): string => `<video><member id="1">M</member><timestamp>t</timestamp><id>u1</id><classification>${cls}</classification><fingerprints><md5>${MD5}</md5></fingerprints></video>`
  const items = await collect(ncmec, page(`<videos>${entry('A1')}${entry('A2')}</videos>`))
  assert.deepEqual(items.map(i => i.kind === 'add' ? [i.record.source, i.record.iwfCategory ?? null] : null), [['ncmec:u1', null], ['ncmec:u1', 'C']])
})

// ---------------------------------------------------------------- vics-json

const vics = getFormat('vics-json')
const V2 = 'http://github.com/VICSDATAMODEL/ProjectVic/DataModels/2.0.xml'

test('vics-json: the Hashes[] variant and top-level MD5/SHA1/PhotoDNA fields give the same records', async () => {
  const pdna = Buffer.alloc(144, 9)
  const flat = await collect(vics, JSON.stringify({ '@odata.context': `${V2}/US/$metadata#Media`, value: [{ MediaID: 5, Category: 3, MD5: MD5.toUpperCase(), SHA1, PhotoDNA: pdna.toString('base64') }] }))
  const nested = await collect(vics, JSON.stringify({
    '@odata.context': `${V2}/US/$metadata#Media`,
    value: [{ MediaID: 5, Category: 3, Hashes: [{ HashName: 'md5', HashValue: MD5 }, { HashName: 'SHA1', HashValue: SHA1 }, { HashName: 'PhotoDNA', HashValue: pdna.toString('hex') }, { HashName: 'MD5', HashValue: MD5 }] }]
  }))
  assert.deepEqual(nested.map(plain), flat.map(plain))
  assert.deepEqual(flat.map(i => plain(i).ref), [`md5:${MD5}`, `sha1:${SHA1}`, `photodna:${pdna.toString('hex')}`])
})

test('vics-json: 1.x odata.metadata and UK files set only the VICS category; #Cases files give the Media of every case', async () => {
  const v1 = await collect(vics, fixture('vics-media-1.3.json'))
  assert.deepEqual(v1.map(plain), [
    { kind: 'add', line: 4, ref: 'md5:269c707f9a338a898c7b2c96deac3d7e', vicsCategory: 1, source: 'vics:77' },
    { kind: 'add', line: 4, ref: 'sha1:5d66440718dcf98e5e06e043ed58d7df655f2f92', vicsCategory: 1, source: 'vics:77' },
    { kind: 'add', line: 5, ref: 'md5:786daf3e526bd0510cc77606c12ba1a1', vicsCategory: 3, source: 'vics:78' }
  ])
  const uk = await collect(vics, JSON.stringify({ '@odata.context': `${V2}/UK/$metadata#Media`, value: [{ MediaID: 'a', Category: 1, MD5 }] }))
  assert.equal(uk[0].kind === 'add' && uk[0].record.classification, undefined)
  const cases = await collect(vics, `{"@odata.context": "${V2}/US/$metadata#Cases",\n"value": [\n {"CaseID": 1, "CaseNumber": "C-1", "Media": [\n  {"MediaID": 10, "Category": 1, "MD5": "${MD5}"},\n  {"MediaID": 11, "SHA1": "${SHA1}"}]},\n {"CaseID": 2, "Media": []}]}`)
  assert.deepEqual(cases.map(plain), [
    { kind: 'add', line: 4, ref: `md5:${MD5}`, classification: 'national', vicsCategory: 1, source: 'vics:10' },
    { kind: 'add', line: 5, ref: `sha1:${SHA1}`, source: 'vics:11' }
  ])
})

test('vics-json: a bad Category or a non-object Media is rejected, the next Media still imports', async () => {
  const items = await collect(vics, JSON.stringify({ '@odata.context': `${V2}/US/$metadata#Media`, value: [{ MediaID: 1, Category: 9, MD5 }, 'oops', { MediaID: 2, MD5, SHA1: 42 }] }))
  assert.deepEqual(items.map(i => i.kind === 'reject' ? i.reason : i.kind), [
    'Media vics:1: invalid Category "9": expected 0-4',
    'a Media record is not a JSON object',
    'add',
    'SHA1 value is not a string'
  ])
})

test('vics-json: a large file streams (100k Media, generated on the fly)', async () => {
  const n = 100_000
  async function * big (): AsyncGenerator<string> {
    yield `{"@odata.context":"${V2}/Default/$metadata#Media","value":[`
    let batch = ''
    for (let i = 0; i < n; i++) {
      batch += `${i === 0 ? '' : ','}\n{"MediaID":${i},"Category":1,"MD5":"${i.toString(16).padStart(32, '0')}"}`
      if (batch.length > 60_000) { yield batch; batch = '' }
    }
    yield batch + '\n]}'
  }
  let count = 0
  let lastLine = 0
  for await (const item of vics.parse(big())) {
    assert.equal(item.kind, 'add')
    count++
    lastLine = item.line
  }
  assert.equal(count, n)
  assert.equal(lastLine, n + 1)
})

// ---------------------------------------------------------------- stopncii-json

const stopncii = getFormat('stopncii-json')

test('stopncii-json: Withdrawn and Deleted retract the hash; unknown statuses and bad records are rejected', async () => {
  const items = await collect(stopncii, JSON.stringify({
    hashRecords: [
      { signalType: 'ImagePDQ', hashValue: HEX64, hashStatus: 'Withdrawn' },
      { signalType: 'VideoMD5', hashValue: MD5.toUpperCase(), hashStatus: 'Deleted' },
      { signalType: 'ImagePDQ', hashValue: HEX64, hashStatus: 'Received' },
      { signalType: 'ImagePDQ', hashValue: HEX64, hashStatus: 'Paused' },
      { signalType: 'ImagePDQ', hashValue: 'abc' },
      { signalType: 'ImagePDQ' },
      null
    ],
    count: 7
  }))
  assert.deepEqual(items.map(i => i.kind === 'reject' ? i.reason : plain(i)), [
    { kind: 'retract', line: 1, ref: `pdq:${HEX64}` },
    { kind: 'retract', line: 1, ref: `md5:${MD5}` },
    { kind: 'add', line: 1, ref: `pdq:${HEX64}`, quality: 100, media: 'image' },
    'unknown hashStatus "Paused" (expected Active, Received, Withdrawn or Deleted)',
    'invalid pdq value "abc": expected 64 hex characters, got 3 characters',
    'hashValue is missing or not a string',
    'a hash record is not a JSON object'
  ])
  const retract = items[0]
  assert.ok(retract.kind === 'retract')
  assert.equal(retract.reason, 'StopNCII hashStatus Withdrawn')
})

test('stopncii-json: the writer carries PDQ and video MD5 only', () => {
  assert.equal(stopncii.unsupported?.(rec('pdq', HEX64, { quality: 90 })), undefined)
  assert.equal(stopncii.unsupported?.(rec('md5', MD5, { media: 'video' })), undefined)
  assert.match(stopncii.unsupported?.(rec('md5', MD5, { media: 'image' })) ?? '', /videos only/)
  assert.match(stopncii.unsupported?.(rec('sha1', SHA1)) ?? '', /no sha1/)
})

// ---------------------------------------------------------------- lines

const lines = getFormat('lines')

test('lines: --algorithm reads bare values, an ALG: prefix wins, PDQ quality is checked', async () => {
  const items = await collect(lines, `${HEX64}\r\nmd5:${MD5}\r\n${HEX64},45\r\npdq:${HEX64},101\r\n${HEX64.slice(2)}`, { algorithm: 'pdq' })
  assert.deepEqual(items.map(i => i.kind === 'reject' ? i.reason : plain(i)), [
    { kind: 'add', line: 1, ref: `pdq:${HEX64}`, quality: 100 },
    { kind: 'add', line: 2, ref: `md5:${MD5}` },
    { kind: 'add', line: 3, ref: `pdq:${HEX64}`, quality: 45 },
    'invalid PDQ quality "101": expected an integer 0-100',
    `invalid pdq value "${HEX64.slice(2)}": expected 64 hex characters, got 62 characters`
  ])
})

test('lines: BOM, comma-separated PhotoDNA bytes and unknown algorithms', async () => {
  const pdna = Buffer.alloc(144, 200)
  const items = await collect(lines, `\uFEFF${MD5}\nphotodna:${[...pdna].join(',')}\ncrc32:0000\n`)
  assert.deepEqual(items.map(i => i.kind === 'reject' ? i.reason : plain(i)), [
    { kind: 'add', line: 1, ref: `md5:${MD5}` },
    { kind: 'add', line: 2, ref: `photodna:${pdna.toString('hex')}` },
    'unknown algorithm "crc32" (expected one of md5, sha1, sha256, pdq, blockhash, photodna, vpdq)'
  ])
})

test('lines: an overlong line means a wrong file; an empty file is an empty list', async () => {
  const err = await parseError(lines, `${MD5}\n${'a'.repeat(MAX_LINE_CHARS + 1)}\n`)
  assert.ok(isInvalidFormat(err))
  assert.match((err as Error).message, /line 2/)
  assert.deepEqual(await collect(lines, ''), [])
  assert.deepEqual(await collect(lines, '# only comments\n\n'), [])
})

// ---------------------------------------------------------------- csv

const csv = getFormat('csv')

test('csv: columns in any order and case; algorithm detected when empty; quality only for PDQ', async () => {
  const items = await collect(csv, `Value,ALGORITHM,Quality,Tags\n${MD5},,,a| b ||\n${SHA1},md5,,\n${MD5},md5,50,\n${HEX64},pdq,,\n`, { pdqQuality: 70 })
  assert.deepEqual(items.map(i => i.kind === 'reject' ? i.reason : plain(i)), [
    { kind: 'add', line: 2, ref: `md5:${MD5}`, tags: ['a', 'b'] },
    `invalid md5 value "${SHA1}": expected 32 hex characters, got 40 characters`,
    'quality "50" given for md5: quality applies to pdq only',
    { kind: 'add', line: 5, ref: `pdq:${HEX64}`, quality: 70 }
  ])
})

test('csv: the writer reports records whose tags or source would not survive the trip', () => {
  assert.equal(csv.unsupported?.(rec('md5', MD5, { tags: ['ok tag'], source: 'x:1' })), undefined)
  assert.match(csv.unsupported?.(rec('md5', MD5, { tags: ['a|b'] })) ?? '', /tag "a\|b"/)
  assert.match(csv.unsupported?.(rec('md5', MD5, { source: ' x' })) ?? '', /source/)
})

// ---------------------------------------------------------------- icse-csv and hma-csv

const icse = getFormat('icse-csv')
const ICSE_HEADER = 'MD5;SHA1;PhotoDNA;Image ID;Is distributed;Victim identified;Offender identified;Series name;Number of submissions;File Available;Media Type;Baseline'

test('icse-csv: Baseline values, media types and rows with the wrong number of cells', async () => {
  const items = await collect(icse, `${ICSE_HEADER}\n${MD5};;;1;;;;;;;VIDEO;true\n${MD5};;;2;;;;;;;Image;No\n${MD5};;;3;;;;;;;;\n${MD5};;;4;;;\n`)
  assert.deepEqual(items.map(i => i.kind === 'reject' ? i.reason : plain(i)), [
    { kind: 'add', line: 2, ref: `md5:${MD5}`, classification: 'baseline', media: 'video', source: 'icse:1' },
    { kind: 'add', line: 3, ref: `md5:${MD5}`, classification: 'national', media: 'image', source: 'icse:2' },
    { kind: 'add', line: 4, ref: `md5:${MD5}`, source: 'icse:3' },
    'expected 12 cells separated by ";", got 7'
  ])
  assert.match(icse.unsupported?.(rec('md5', MD5, { classification: 'not-illegal' })) ?? '', /not-illegal/)
  assert.match(icse.unsupported?.(rec('pdq', HEX64)) ?? '', /no pdq column/)
})

test('icse-csv: a comma-separated export is named as such in the error', async () => {
  const err = await parseError(icse, ICSE_HEADER.replaceAll(';', ',') + '\n')
  assert.ok(isInvalidFormat(err))
  assert.match((err as Error).message, /comma-separated/)
})

const hma = getFormat('hma-csv')

test('hma-csv: signal alias columns, md5 without media, and what HMA cannot hold', async () => {
  const items = await collect(hma, `signal,Signal_Type,extra\n${MD5},md5,x\n${HEX64},PDQ,y\n`)
  assert.deepEqual(items.map(plain), [
    { kind: 'add', line: 2, ref: `md5:${MD5}` },
    { kind: 'add', line: 3, ref: `pdq:${HEX64}`, quality: 100, media: 'image' }
  ])
  assert.match(hma.unsupported?.(rec('sha1', SHA1)) ?? '', /only pdq and md5/)
  const out = await writeAll(hma, [rec('md5', MD5), rec('md5', MD5B, { media: 'video' }), rec('sha256', HEX64)])
  assert.equal(out, `signal_type,signal_value,bank_name,content_id\nmd5,${MD5},,\nvideo_md5,${MD5B},,\n`)
})

test('every writer leaves out exactly the records its unsupported() names', async () => {
  const input = [rec('md5', MD5, { media: 'video' }), rec('sha256', HEX64), rec('pdq', HEX64, { quality: 80, media: 'image' }), rec('blockhash', HEX64), rec('photodna', hex(144, 1))]
  for (const name of ['lines', 'csv', 'ncmec-xml', 'vics-json', 'icse-csv', 'hma-csv', 'stopncii-json']) {
    const format = getFormat(name)
    const back = records(await collect(format, await writeAll(format, input)))
    const want = input.filter(r => format.unsupported?.(r) === undefined).map(r => `${r.algorithm}:${formatHashValue(r.value)}`)
    // NCMEC writes video entries after the images: compare as sets
    assert.deepEqual(back.map(r => `${r.algorithm}:${formatHashValue(r.value)}`).sort(), want.sort(), name)
  }
})

test('every parser: a consumer that stops early closes the input and leaves nothing running', async () => {
  const unhandled: unknown[] = []
  const onUnhandled = (err: unknown): void => { unhandled.push(err) }
  process.on('unhandledRejection', onUnhandled)
  try {
    for (const [name, file] of [['lines', 'lines.txt'], ['csv', 'hashes.csv'], ['ncmec-xml', 'ncmec-queryresult.xml'], ['vics-json', 'vics-media.json'], ['icse-csv', 'icse-export.csv'], ['hma-csv', 'hma-bank.csv'], ['stopncii-json', 'stopncii-fetch.json']]) {
      const text = fixture(file)
      let closed = false
      async function * input (): AsyncGenerator<string> {
        try {
          for (let i = 0; i < text.length; i += 40) yield text.slice(i, i + 40)
        } finally {
          closed = true
        }
      }
      for await (const item of getFormat(name).parse(input())) {
        assert.ok(item.line >= 1)
        break
      }
      await new Promise(resolve => setTimeout(resolve, 10))
      assert.equal(closed, true, `${name} closed its input`)
    }
    assert.deepEqual(unhandled, [])
  } finally {
    process.off('unhandledRejection', onUnhandled)
  }
})
