import { test } from 'node:test'
import assert from 'node:assert/strict'
import { getFormat } from '../../src/formats/registry.js'
import { MAX_BUFFERED_CHARS, MAX_FIELD_CHARS, MAX_JSON_HEADER_BYTES, MAX_JSON_RECORD_BYTES, MAX_NESTING, MAX_XML_ATTRIBUTES, PARSE_PIECE } from '../../src/formats/constants.js'
import { VICS_CONTEXT } from '../../src/formats/vics-json.js'
import { chunks, collect } from '../helpers/format-suite.js'
import type { HashListFormat } from '../../src/formats/format.js'
import type { HashfedError } from '../../src/errors.js'

// Finding 12, the caps one by one (the memory they save is measured in e2e/import-memory).

const MD5 = '84f64b65db3192a980783835b078a28b'
const ncmec = getFormat('ncmec-xml')
const vics = getFormat('vics-json')
const page = (body: string): string =>
  `<?xml version="1.0" encoding="UTF-8"?>\n<queryResult xmlns="https://hashsharing.ncmec.org/hashsharing/v2">\n<images>\n${body}\n</images>\n</queryResult>\n`
const media = (body: string): string => `{"@odata.context":${JSON.stringify(VICS_CONTEXT)},"value":[\n${body}\n]}\n`

/** Past the cap by more than the piece after which it is measured. */
const OVER = MAX_BUFFERED_CHARS + 2 * PARSE_PIECE

/** The error a parse ends with, the input in 4 KiB chunks (the default 13 bytes is slow for megabytes). */
async function parseError (format: HashListFormat, text: string): Promise<unknown> {
  try {
    await collect(format, chunks(text, 4096))
    return undefined
  } catch (err) {
    return err
  }
}

function refused (err: unknown, line: number | undefined, what: RegExp): void {
  const e = err as HashfedError
  assert.equal(e?.code, 'HF_INVALID_FORMAT', String(err))
  if (line !== undefined) assert.equal(e.details?.line, line, e.message)
  assert.match(e.message, what)
}

test('ncmec-xml: an <id> longer than MAX_FIELD_CHARS, split by comments, rejects its entry instead of importing a cut id', async () => {
  const long = ('1'.repeat(1000) + '<!-- -->').repeat(Math.ceil(MAX_FIELD_CHARS / 1000) + 1)
  const items = await collect(ncmec, page(`<image><id>${long}</id><fingerprints><md5>${MD5}</md5></fingerprints></image>\n<image><id>2</id><fingerprints><md5>${MD5}</md5></fingerprints></image>`))
  assert.deepEqual(items.map(i => i.kind), ['reject', 'add'])
  assert.ok(items[0].kind === 'reject')
  assert.equal(items[0].line, 4)
  assert.match(items[0].reason, /<id> longer than/)
  assert.ok(items[1].kind === 'add' && items[1].record.source === 'ncmec:2')
})

test('ncmec-xml: a fingerprint longer than MAX_FIELD_CHARS is rejected with its line, the entry\'s others import', async () => {
  const long = ('a'.repeat(1000) + '<!---->').repeat(Math.ceil(MAX_FIELD_CHARS / 1000) + 1)
  const items = await collect(ncmec, page(`<image><id>7</id><fingerprints>\n<sha1>${long}</sha1>\n<md5>${MD5}</md5></fingerprints></image>`))
  assert.deepEqual(items.map(i => [i.kind, i.line]), [['reject', 5], ['add', 6]])
  assert.ok(items[0].kind === 'reject')
  assert.match(items[0].reason, /sha1 fingerprint longer than/)
})

test('ncmec-xml: a comment, attribute value or processing instruction beyond MAX_BUFFERED_CHARS refuses the file at its line', async () => {
  const big = 'x'.repeat(OVER)
  refused(await parseError(ncmec, page(`<image>\n<!-- ${big} -->`)), 5, /longer than/)
  refused(await parseError(ncmec, page(`<image>\n<member name="${big}"/>`)), 5, /longer than/)
  refused(await parseError(ncmec, page(`<image>\n<?pi ${big}?>`)), 5, /longer than/)
  refused(await parseError(ncmec, page(`<image>\n<${big}/>`)), 5, /name longer than/)
})

test('ncmec-xml: elements nested too deep or carrying too many attributes refuse the file', async () => {
  refused(await parseError(ncmec, page('<a>'.repeat(MAX_NESTING + 5))), 4, /nested deeper than/)
  // checked per piece of input: enough attributes that the tag spans several
  const attrs = Array.from({ length: 100 * MAX_XML_ATTRIBUTES }, (_, i) => `a${i}="1"`).join(' ')
  refused(await parseError(ncmec, page(`<image>\n<member ${attrs}>x</member></image>`)), 5, /more than \d+ attributes/)
})

test('vics-json: a string, number or key beyond MAX_BUFFERED_CHARS outside the records refuses the file at its line', async () => {
  refused(await parseError(vics, `{"@odata.context":${JSON.stringify(VICS_CONTEXT)},"value":[],\n"junk":"${'x'.repeat(OVER)}"}`), 2, /string, number or blank run longer than/)
  refused(await parseError(vics, `{"@odata.context":${JSON.stringify(VICS_CONTEXT)},"value":[],\n"junk":${'9'.repeat(OVER)}}`), 2, /string, number or blank run longer than/)
  refused(await parseError(vics, `{"@odata.context":${JSON.stringify(VICS_CONTEXT)},"value":[],\n"${'k'.repeat(OVER)}":1}`), 2, /string, number or blank run longer than/)
})

test('vics-json: a record beyond MAX_JSON_RECORD_BYTES refuses the file at the line it starts; smaller records import', async () => {
  const fields = (bytes: number): string => Array.from({ length: Math.ceil(bytes / 12) }, (_, i) => `"f${String(i).padStart(7, '0')}":1`).join(',')
  const ok = await collect(vics, media(`{"MediaID":1,"MD5":"${MD5}",${fields(MAX_JSON_RECORD_BYTES / 2)}}`))
  assert.deepEqual(ok.map(i => i.kind), ['add'])
  refused(await parseError(vics, media(`{"MediaID":1,"MD5":"${MD5}"},\n{"MediaID":2,\n"MD5":"${MD5}",${fields(MAX_JSON_RECORD_BYTES + 100)}}`)), 3, /record larger than/)
})

test('vics-json: nesting beyond MAX_NESTING and a header beyond MAX_JSON_HEADER_BYTES refuse the file', async () => {
  refused(await parseError(vics, media(`{"MediaID":1,"x":${'['.repeat(MAX_NESTING)}`)), 2, /nested deeper than/)
  const pad = Array.from({ length: Math.ceil(MAX_JSON_HEADER_BYTES / 20) }, (_, i) => `"h${i}":"${'y'.repeat(10)}"`).join(',\n')
  refused(await parseError(vics, `{"@odata.context":${JSON.stringify(VICS_CONTEXT)},\n${pad},"value":[]}`), undefined, /within the first/)
})
