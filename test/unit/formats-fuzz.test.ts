import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { isHashfedError } from '../../src/errors.js'
import { ALGORITHMS, VALUE_BYTES, formatHashValue } from '../../src/log/hash-value.js'
import { AGE_BANDS, CLASSIFICATIONS, IWF_CATEGORIES, MEDIA_TYPES, type HashRecord, type ImportItem } from '../../src/log/entry.js'
import { FORMATS, getFormat } from '../../src/formats/registry.js'
import { chunks, collect, fixture, records, writeAll } from '../helpers/format-suite.js'
import { FIXTURE_OF } from '../helpers/fuzz-targets.js'

// Property tests: whatever bytes come in, a parser hands out well-formed items and can only
// fail with HF_INVALID_FORMAT; whatever records go out, the file written parses back.

/** runs per property; raise with HASHFED_FUZZ_RUNS for a longer hunt */
const RUNS = Number(process.env.HASHFED_FUZZ_RUNS ?? 200)

function checkItem (item: ImportItem): void {
  assert.ok(Number.isInteger(item.line) && item.line >= 1, `line ${item.line}`)
  switch (item.kind) {
    case 'add': {
      const r = item.record
      assert.ok(ALGORITHMS.includes(r.algorithm))
      assert.equal(r.value.length, VALUE_BYTES[r.algorithm])
      if (r.algorithm === 'pdq') assert.ok(Number.isInteger(r.quality) && (r.quality as number) >= 0 && (r.quality as number) <= 100)
      else assert.equal(r.quality, undefined)
      break
    }
    case 'retract':
      assert.equal(item.value.length, VALUE_BYTES[item.algorithm])
      break
    case 'retract-source':
      assert.ok(item.source.length > 0)
      break
    case 'reject':
      assert.ok(item.reason.length > 0)
      break
  }
}

/** Random bytes, random text, and the format's own fixture with random damage. */
function inputs (base: Uint8Array): fc.Arbitrary<Uint8Array> {
  const damaged = fc.tuple(fc.nat({ max: base.length }), fc.nat({ max: 16 }), fc.uint8Array({ maxLength: 12 }))
    .map(([at, remove, insert]) => Buffer.concat([base.subarray(0, at), insert, base.subarray(Math.min(base.length, at + remove))]))
  return fc.oneof(
    fc.uint8Array({ maxLength: 600 }),
    fc.string({ maxLength: 400, unit: 'grapheme' }).map(s => new Uint8Array(Buffer.from(s))),
    damaged,
    fc.nat({ max: base.length }).map(n => base.subarray(0, n))
  )
}

for (const format of FORMATS) {
  test(`${format.name}: random or damaged input gives well-formed items or HF_INVALID_FORMAT, never a crash`, { timeout: 60_000 }, async () => {
    const base = new Uint8Array(Buffer.from(fixture(FIXTURE_OF[format.name])))
    await fc.assert(fc.asyncProperty(inputs(base), fc.integer({ min: 1, max: 97 }), async (bytes, size) => {
      try {
        for (const item of await collect(format, chunks(bytes, size))) checkItem(item)
      } catch (err) {
        assert.ok(isHashfedError(err, 'HF_INVALID_FORMAT'), `unexpected ${String((err as Error)?.stack ?? err)}`)
      }
    }), { numRuns: RUNS })
  })
}

const tag = fc.stringMatching(/^[A-Za-z0-9_:.-]([A-Za-z0-9 _:.,"-]{0,10}[A-Za-z0-9_:.-])?$/)
const sourceText = fc.oneof(
  fc.stringMatching(/^(ncmec|vics|icse|hma):[A-Za-z0-9-]{1,8}$/),
  fc.stringMatching(/^[a-z]{1,6}:[A-Za-z0-9 ,"'<&>-]{0,10}[A-Za-z0-9]$/)
)
const record: fc.Arbitrary<HashRecord> = fc.constantFrom(...ALGORITHMS).chain(algorithm => fc.record({
  algorithm: fc.constant(algorithm),
  value: fc.uint8Array({ minLength: VALUE_BYTES[algorithm], maxLength: VALUE_BYTES[algorithm] }),
  quality: algorithm === 'pdq' ? fc.integer({ min: 0, max: 100 }) : fc.constant(undefined),
  classification: fc.option(fc.constantFrom(...CLASSIFICATIONS), { nil: undefined }),
  iwfCategory: fc.option(fc.constantFrom(...IWF_CATEGORIES), { nil: undefined }),
  vicsCategory: fc.option(fc.integer({ min: 0, max: 4 }), { nil: undefined }),
  ageBand: fc.option(fc.constantFrom(...AGE_BANDS), { nil: undefined }),
  media: fc.option(fc.constantFrom(...MEDIA_TYPES), { nil: undefined }),
  tags: fc.option(fc.array(tag, { minLength: 1, maxLength: 3 }), { nil: undefined }),
  source: fc.option(sourceText, { nil: undefined })
}, { requiredKeys: ['algorithm', 'value', 'quality'] }).map(r => {
  // records never hold keys set to undefined (makeRecord leaves absent fields out)
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(r)) if (v !== undefined) out[k] = k === 'value' ? new Uint8Array(v as Uint8Array) : v
  return out as unknown as HashRecord
}))

test('csv: any records round-trip exactly', { timeout: 60_000 }, async () => {
  const csv = getFormat('csv')
  await fc.assert(fc.asyncProperty(fc.array(record, { maxLength: 8 }), async rs => {
    assert.deepEqual(records(await collect(csv, await writeAll(csv, rs))), rs)
  }), { numRuns: RUNS })
})

test('lines: any records round-trip their algorithm, value and PDQ quality', { timeout: 60_000 }, async () => {
  const lines = getFormat('lines')
  await fc.assert(fc.asyncProperty(fc.array(record, { maxLength: 8 }), async rs => {
    const want = rs.map(r => r.algorithm === 'pdq' ? { algorithm: r.algorithm, value: r.value, quality: r.quality } : { algorithm: r.algorithm, value: r.value })
    assert.deepEqual(records(await collect(lines, await writeAll(lines, rs))), want)
  }), { numRuns: RUNS })
})

test('every writer: any records give a file that parses back to exactly the writable values', { timeout: 60_000 }, async () => {
  const key = (r: HashRecord): string => `${r.algorithm}:${formatHashValue(r.value)}`
  for (const format of FORMATS) {
    await fc.assert(fc.asyncProperty(fc.array(record, { maxLength: 8 }), async rs => {
      const back = records(await collect(format, await writeAll(format, rs)))
      assert.deepEqual(back.map(key).sort(), rs.filter(r => format.unsupported?.(r) === undefined).map(key).sort(), format.name)
    }), { numRuns: Math.ceil(RUNS / 2) })
  }
})
