import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { getFormat } from '../../src/formats/registry.js'
import { itemChunks } from '../../src/formats/item-chunks.js'
import { makeRecord, recordMaker } from '../../src/formats/record.js'
import type { ParseInit } from '../../src/formats/format.js'
import type { ImportItem } from '../../src/log/entry.js'
import { isHashfedError } from '../../src/errors.js'

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
  for (const init of [{}, { defaults: { classification: 'baseline' } }, { defaults: { source: 's', tags: ['t'] }, pdqQuality: 50 }] as ParseInit[]) {
    for (const [alg, quality] of [['sha256', undefined], ['pdq', undefined], ['pdq', 90]] as const) {
      const made = recordMaker(init)(alg, value, quality)
      assert.deepEqual(made, makeRecord(alg, value, { quality }, init))
      assert.deepEqual(Object.keys(made), Object.keys(makeRecord(alg, value, { quality }, init)))
    }
  }
})
