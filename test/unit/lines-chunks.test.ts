import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { getFormat } from '../../src/formats/registry.js'
import { itemChunks } from '../../src/formats/item-chunks.js'
import { makeRecord, recordMaker } from '../../src/formats/record.js'
import type { ParseInit } from '../../src/formats/format.js'
import type { ImportItem } from '../../src/log/entry.js'
import { isHashfedError } from '../../src/errors.js'
import { textLineChunks } from '../../src/formats/input.js'
import { byteLineChunks, lineText } from '../../src/formats/byte-lines.js'
import { MAX_LINE_CHARS } from '../../src/formats/constants.js'

const lines = getFormat('lines')
const hex = (s: string, alg = 'sha256'): string => createHash(alg).update(s).digest('hex')

/** Text delivered in awkward 5-byte pieces, so lines and the fast path cross chunk edges. */
const input = (s: string) => (async function * () {
  for (let i = 0; i < s.length; i += 5) yield Buffer.from(s.slice(i, i + 5))
})()

async function chunked (s: string, init?: ParseInit): Promise<ImportItem[]> {
  const out: ImportItem[] = []
  for await (const chunk of itemChunks(lines, input(s), init)) out.push(...chunk)
  return out
}

async function plain (s: string, init?: ParseInit): Promise<ImportItem[]> {
  const out: ImportItem[] = []
  for await (const item of lines.parse(input(s), init)) out.push(item)
  return out
}

// every kind of line the fast path must treat exactly like the full parser: bare values of
// each detected length, upper case, sha256sum output, prefixed values, PDQ with quality,
// a stray character, a wrong length, blanks and comments
const FILE = [
  hex('a'), hex('b').toUpperCase(), `${hex('c')}  file name.jpg`, `  ${hex('d', 'md5')}\t`, hex('e', 'sha1'),
  `sha256:${hex('f')}`, `pdq:${hex('g')},77`, '', '# comment', `${hex('h').slice(0, 63)}z`, hex('i').slice(0, 50),
  `md5:${hex('j')}`, `${hex('k')}\u00a0tail`, '\r', hex('l') + '\r'
].join('\n')

test('lines: chunked parsing gives the same items as the per-item parser, rejects included', async () => {
  for (const init of [{}, { defaults: { classification: 'baseline', source: 'case-7', tags: ['x', 'y'] } }, { algorithm: 'sha256' }] as ParseInit[]) {
    const a = await chunked(FILE, init)
    assert.deepEqual(a, await plain(FILE, init))
    assert.ok(a.some(i => i.kind === 'reject'))
    assert.ok(a.filter(i => i.kind === 'add').length >= (init.algorithm === undefined ? 9 : 5))
  }
})

test('lines: chunked parsing throws the same HF_INVALID_FORMAT for a file with no hash', async () => {
  await assert.rejects(chunked('not a hash\nnor this\n'), (err: unknown) => isHashfedError(err) && /no line holds a hash/.test((err as Error).message))
  await assert.rejects(chunked('{"a": 1}\n'), (err: unknown) => isHashfedError(err) && /starts like XML or JSON/.test((err as Error).message))
})

test('recordMaker builds the records makeRecord builds, field for field', () => {
  const value = new Uint8Array(32).fill(7)
  for (const init of [{}, { defaults: { classification: 'baseline' } }, { defaults: { classification: 'national', source: 's' } }, { defaults: { source: 's', tags: ['t'] }, pdqQuality: 50 }] as ParseInit[]) {
    for (const [alg, quality] of [['sha256', undefined], ['pdq', undefined], ['pdq', 90]] as const) {
      const made = recordMaker(init)(alg, value, quality)
      assert.deepEqual(made, makeRecord(alg, value, { quality }, init))
      assert.deepEqual(Object.keys(made), Object.keys(makeRecord(alg, value, { quality }, init)))
    }
  }
})

/** `bytes` in pieces of `size` bytes (0: whole), so that lines, marks and UTF-8 sequences cross chunk edges. */
const pieces = (bytes: Buffer, size: number) => (async function * () {
  if (size === 0) { yield bytes; return }
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size)
})()

/** The lines (number, text) a splitter gives, then its error message if it throws. */
async function linesOf (chunks: AsyncIterable<{ line: number, text: string }>): Promise<Array<string | [number, string]>> {
  const out: Array<string | [number, string]> = []
  try {
    for await (const l of chunks) out.push([l.line, l.text])
  } catch (err) {
    out.push(`error: ${(err as Error).message}`)
  }
  return out
}

const viaText = (bytes: Buffer, size: number) => (async function * () {
  for await (const c of textLineChunks(pieces(bytes, size), 'lines')) for (let i = 0; i < c.texts.length; i++) yield { line: c.first + i, text: c.texts[i] }
})()
const viaBytes = (bytes: Buffer, size: number) => (async function * () {
  for await (const c of byteLineChunks(pieces(bytes, size), 'lines')) for (let i = 0; i < c.count; i++) yield { line: c.first + i, text: lineText(c.bytes, c.starts[i], c.ends[i]) }
})()

// inputs where reading lines as bytes could part from decoding the stream: byte-order marks
// (at the start, mid-file, cut short), invalid and cut UTF-8, CR LF split across chunks, lines
// whose bytes pass MAX_LINE_CHARS while their characters do not (and do), no final newline
const BOM = '\ufeff'
const TRICKY: Buffer[] = [
  Buffer.from(''),
  Buffer.from([0xef, 0xbb]),
  Buffer.from([0xef, 0xbb, 0xbf]),
  Buffer.from(`${BOM}${hex('a')}\n${BOM}${hex('b')}\r\n\r\n${hex('c')}`),
  Buffer.from(`${BOM}${BOM}x\n`),
  Buffer.concat([Buffer.from(`${hex('a')}\n`), Buffer.from([0xe2, 0x82, 0x0a, 0xff, 0x41, 0xf0, 0x9f, 0x98]), Buffer.from(`\r\n${hex('d')}\r`)]),
  Buffer.from(`a\r\rb\r\n\n\n€${hex('e')}\n`),
  Buffer.from(`${'é'.repeat(MAX_LINE_CHARS)}\n${hex('f')}\n`),
  Buffer.from(`${hex('g')}\n${'é'.repeat(MAX_LINE_CHARS)}x\n${hex('h')}\n`),
  Buffer.from(`${hex('g')}\n${'x'.repeat(MAX_LINE_CHARS + 1)}`),
  Buffer.concat([Buffer.from(`${hex('g')}\n${'x'.repeat(MAX_LINE_CHARS)}`), Buffer.from([0xe2, 0x82])]),
  Buffer.from(`${hex('i')}\n${'é'.repeat(MAX_LINE_CHARS / 2 + 10)}`)
]

test('byte lines: the same lines, numbers and errors as decoding the stream, however the input is cut', async () => {
  for (const [n, bytes] of TRICKY.entries()) {
    for (const size of [0, 1, 2, 3, 5, 4096, 65536]) {
      if (size === 1 && bytes.length > 4096) continue // a line per byte of 128 KiB: slow, and 2 and 3 cut the same places
      assert.deepEqual(await linesOf(viaBytes(bytes, size)), await linesOf(viaText(bytes, size)), `input ${n}, pieces of ${size}`)
    }
  }
})

test('lines: a file\'s bytes parse to the items of its text, marks, CR LF and bad bytes included', async () => {
  const files = [FILE, `${BOM}${FILE}`, `${hex('x')}\n${BOM}${hex('y')}\n`, `${hex('x')}\r\n${hex('y', 'md5')}\r\n${hex('z', 'sha1')}`]
  for (const file of files) {
    for (const init of [{}, { checkOnly: true }, { defaults: { classification: 'baseline', source: 'case-7' } }] as ParseInit[]) {
      const fromText: ImportItem[] = []
      for await (const chunk of itemChunks(lines, (async function * () { yield file })(), init)) fromText.push(...chunk)
      for (const size of [0, 3, 7]) {
        const fromBytes: ImportItem[] = []
        for await (const chunk of itemChunks(lines, pieces(Buffer.from(file), size), init)) fromBytes.push(...chunk)
        assert.deepEqual(fromBytes, fromText)
      }
    }
  }
  // bytes that are not UTF-8: the text path decodes them as the stream decoder does
  const bad = Buffer.concat([Buffer.from(`${hex('a')}\n`), Buffer.from([0xff, 0x61, 0x0a, 0xe2, 0x82]), Buffer.from(`\n${hex('b')}\n`)])
  const fromBytes: ImportItem[] = []
  for await (const chunk of itemChunks(lines, pieces(bad, 2), {})) fromBytes.push(...chunk)
  const fromText: ImportItem[] = []
  for await (const chunk of itemChunks(lines, (async function * () { yield new TextDecoder().decode(bad) })(), {})) fromText.push(...chunk)
  assert.deepEqual(fromBytes, fromText)
  assert.equal(fromBytes.filter(i => i.kind === 'reject').length, 2)
})
