import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { isHashfedError } from '../../src/errors.js'
import { formatHashValue } from '../../src/log/hash-value.js'
import type { EntryMeta, HashRecord, ImportItem } from '../../src/log/entry.js'
import type { FormatName, HashListFormat, ParseInit, WriteInit } from '../../src/formats/format.js'
import { getFormat } from '../../src/formats/registry.js'

// Compiled helpers live in dist/test/helpers; the fixtures stay in the source tree.
const FIXTURES = new URL('../../../test/fixtures/formats/', import.meta.url)

export function fixture (name: string): string {
  return readFileSync(new URL(name, FIXTURES), 'utf8')
}

/** Fixed export time, so two exports of the same records are byte-identical. */
export const NOW: WriteInit = { now: new Date('2024-03-01T12:00:00Z') }

/** The input in small chunks, so every parser meets values split across chunk boundaries. */
export async function * chunks (text: string | Uint8Array, size = 13): AsyncGenerator<Uint8Array> {
  const bytes = typeof text === 'string' ? Buffer.from(text, 'utf8') : text
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size)
}

export async function collect (format: HashListFormat, input: string | Uint8Array | AsyncIterable<Uint8Array | string>, init?: ParseInit): Promise<ImportItem[]> {
  const source = typeof input === 'string' || input instanceof Uint8Array ? chunks(input) : input
  const items: ImportItem[] = []
  for await (const item of format.parse(source, init)) items.push(item)
  return items
}

/** The error a parse ends with (after any items), or undefined. */
export async function parseError (format: HashListFormat, input: string | Uint8Array, init?: ParseInit): Promise<unknown> {
  try {
    await collect(format, input, init)
    return undefined
  } catch (err) {
    return err
  }
}

export async function writeAll (format: HashListFormat, records: HashRecord[], init: WriteInit = NOW): Promise<string> {
  assert.ok(format.write !== undefined, `${format.name} has a writer`)
  async function * source (): AsyncGenerator<HashRecord> { yield * records }
  let out = ''
  for await (const text of format.write(source(), init)) out += text
  return out
}

export function records (items: ImportItem[]): HashRecord[] {
  return items.flatMap(i => i.kind === 'add' ? [i.record] : [])
}

/** An item in comparable form: values as `alg:hex`, reject reasons as-is. */
export type PlainItem =
  | ({ kind: 'add', line: number, ref: string, quality?: number } & EntryMeta)
  | { kind: 'retract', line: number, ref: string }
  | { kind: 'retract-source', line: number, source: string }
  | { kind: 'reject', line: number, reason: RegExp }

export function plain (item: ImportItem): Record<string, unknown> {
  switch (item.kind) {
    case 'add': {
      const { algorithm, value, ...rest } = item.record
      return { kind: 'add', line: item.line, ref: `${algorithm}:${formatHashValue(value)}`, ...rest }
    }
    case 'retract': return { kind: 'retract', line: item.line, ref: `${item.algorithm}:${formatHashValue(item.value)}` }
    case 'retract-source': return { kind: 'retract-source', line: item.line, source: item.source }
    case 'reject': return { kind: 'reject', line: item.line, reason: item.reason }
  }
}

export function assertItems (actual: ImportItem[], expected: PlainItem[]): void {
  const got = actual.map(plain)
  assert.equal(got.length, expected.length, `item count: got ${JSON.stringify(got, null, 1)}`)
  expected.forEach((want, i) => {
    if (want.kind === 'reject') {
      assert.equal(got[i].kind, 'reject', `item ${i}: ${JSON.stringify(got[i])}`)
      assert.equal(got[i].line, want.line, `item ${i} line`)
      assert.match(got[i].reason as string, want.reason, `item ${i} reason`)
    } else {
      assert.deepEqual(got[i], want, `item ${i}`)
    }
  })
}

export function isInvalidFormat (err: unknown): boolean {
  return isHashfedError(err, 'HF_INVALID_FORMAT')
}

export interface FormatSpec {
  name: FormatName
  /** file in test/fixtures/formats */
  fixture: string
  expected: PlainItem[]
  /** text that ends the first record: the parser must hand it out before reading further */
  firstRecordEnd: string
  /** the fixture cut right after `after`: a broken structure throws, a cut value is rejected */
  truncations: Array<{ after: string, expect: 'invalid-format' | 'reject' }>
  /** whole files with a wrong header or structure for this format */
  wrongStructure: Array<{ name: string, text: string }>
  /** other fixtures that are valid files of this format */
  alsoValid?: string[]
}

/**
 * The behaviour every format shares (cf. STYLE.md: one definition of correct, many
 * implementations). Each call registers the tests of one format.
 */
export function formatSuite (spec: FormatSpec): void {
  const format = getFormat(spec.name)
  const text = fixture(spec.fixture)

  test(`${spec.name}: the fixture parses to the expected items, whatever the chunking`, async () => {
    assertItems(await collect(format, text), spec.expected)
    assertItems(await collect(format, text, undefined), spec.expected)
    const whole = await collect(format, (async function * () { yield text })())
    assert.deepEqual(whole.map(plain), (await collect(format, chunks(text, 1))).map(plain))
  })

  test(`${spec.name}: items stream out before the rest of the file is read`, async () => {
    const cut = text.indexOf(spec.firstRecordEnd)
    assert.ok(cut > 0, 'marker found in fixture')
    // a few bytes more: csv-parse looks two characters ahead before it ends a record
    const end = cut + spec.firstRecordEnd.length + 4
    let timedOut = false
    let release!: () => void
    const gate = new Promise<void>(resolve => { release = resolve })
    const timer = setTimeout(() => { timedOut = true; release() }, 2000)
    async function * input (): AsyncGenerator<string> {
      yield text.slice(0, end)
      await gate
      yield text.slice(end)
    }
    const it = format.parse(input())[Symbol.asyncIterator]()
    const first = await it.next()
    assert.equal(timedOut, false, 'first item arrived while the rest of the input was held back')
    assert.equal(first.done, false)
    assert.deepEqual(plain(first.value as ImportItem), plain((await collect(format, text))[0]))
    clearTimeout(timer)
    release()
    for (let r = await it.next(); r.done !== true; r = await it.next()) { /* drain */ }
  })

  test(`${spec.name}: defaults fill only what a record does not carry`, async () => {
    const defaults: EntryMeta = { classification: 'national', source: 'list:default', tags: ['from-defaults'] }
    const plainItems = await collect(format, text)
    const withDefaults = await collect(format, text, { defaults, pdqQuality: 61 })
    assert.equal(withDefaults.length, plainItems.length)
    withDefaults.forEach((item, i) => {
      const before = plainItems[i]
      if (item.kind !== 'add' || before.kind !== 'add') return
      for (const key of ['classification', 'source', 'tags'] as const) {
        assert.deepEqual(item.record[key], before.record[key] ?? defaults[key], `${key} of item ${i}`)
      }
      if (item.record.algorithm === 'pdq') {
        assert.equal(item.record.quality, before.record.quality === 100 ? 61 : before.record.quality)
      }
    })
  })

  for (const { after, expect } of spec.truncations) {
    test(`${spec.name}: a file cut after ${JSON.stringify(after)} ${expect === 'reject' ? 'rejects the cut value' : 'throws HF_INVALID_FORMAT'}`, async () => {
      const at = text.indexOf(after)
      assert.ok(at >= 0, 'cut marker found in fixture')
      const cut = text.slice(0, at + after.length)
      if (expect === 'invalid-format') {
        const err = await parseError(format, cut)
        assert.ok(isInvalidFormat(err), `expected HF_INVALID_FORMAT, got ${String(err)}`)
        assert.match((err as Error).message, /line \d+/, 'the error names a line')
      } else {
        const items = await collect(format, cut)
        const last = items[items.length - 1]
        assert.equal(last.kind, 'reject', JSON.stringify(items.map(plain)))
        assert.equal(last.line, cut.split(/\r?\n/).length, 'rejected on the last line')
      }
    })
  }

  for (const wrong of spec.wrongStructure) {
    test(`${spec.name}: ${wrong.name} throws HF_INVALID_FORMAT`, async () => {
      const err = await parseError(format, wrong.text)
      assert.ok(isInvalidFormat(err), `expected HF_INVALID_FORMAT, got ${String(err)}`)
    })
  }

  test(`${spec.name}: the other formats' fixtures are not ${spec.name} files`, async () => {
    for (const other of OTHER_FIXTURES.filter(f => f !== spec.fixture && !(spec.alsoValid ?? []).includes(f))) {
      const err = await parseError(format, fixture(other))
      assert.ok(isInvalidFormat(err), `${other} as ${spec.name}: expected HF_INVALID_FORMAT, got ${String(err)}`)
    }
  })

  if (spec.name !== 'lines') {
    test(`${spec.name}: an empty file throws HF_INVALID_FORMAT`, async () => {
      assert.ok(isInvalidFormat(await parseError(format, '')))
      assert.ok(isInvalidFormat(await parseError(format, '\n  \n')))
    })
  }

  if (format.write !== undefined) {
    test(`${spec.name}: import -> export -> import gives identical records`, async () => {
      const first = records(await collect(format, text))
      assert.ok(first.length > 0)
      assert.deepEqual(first.filter(r => format.unsupported?.(r) === undefined), first, 'every fixture record is writable')
      const exported = await writeAll(format, first)
      const second = records(await collect(format, exported))
      assert.deepEqual(second, first)
      assert.equal(await writeAll(format, second), exported, 'a second export is byte-identical')
    })

    test(`${spec.name}: an export of no records is a valid, empty file`, async () => {
      assert.deepEqual(await collect(format, await writeAll(format, [])), [])
    })
  }
}

/** Every fixture: each must be refused by every format it is not. */
export const OTHER_FIXTURES = [
  'lines.txt', 'hashes.csv', 'ncmec-queryresult.xml', 'vics-media.json', 'vics-media-1.3.json', 'icse-export.csv', 'hma-bank.csv', 'stopncii-fetch.json'
]
