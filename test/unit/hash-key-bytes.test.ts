import { test } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { tempDir } from '../helpers/temp-dir.js'
import { Store } from '../../src/store/store.js'
import fc from 'fast-check'
import { HashKeyWriter, hashKeyBytes, hashKeyOfRef, sourceKey, sourceKeyBytes } from '../../src/store/layout.js'

test('RawPut index rows with byte keys land under the same keys as the string layout', async () => {
  const store = await Store.open(join(await tempDir(), 'store'), { create: true })
  try {
    const origin = '12D3KooWQmV8Yj3sZ8hdvXwB8YVnK8WzX6c1v4kB4p8dLgFq3RtA'
    const refs = [`sha256:${'ab'.repeat(32)}`, `md5:${'01'.repeat(16)}`, `photodna:${'ff'.repeat(144)}`]
    const keys = hashKeyBytes(store.keyPrefix('hashes'), refs, origin)
    await store.write(keys.map((key, i) => ({ type: 'put', key, value: Uint8Array.of(i + 1), keyEncoding: 'view' })))
    for (const [i, ref] of refs.entries()) assert.deepEqual([...(await store.sub.hashes.get(hashKeyOfRef(ref, origin))) ?? []], [i + 1])
    const listed: string[] = []
    for await (const k of store.sub.hashes.keys()) listed.push(k)
    assert.deepEqual(listed.sort(), refs.map(r => hashKeyOfRef(r, origin)).sort())
    assert.equal(await store.count('sources'), 0)
  } finally {
    await store.close()
  }
})

test('HashKeyWriter (values as bytes, hex written into one scratch key) gives the bytes hashKeyBytes gives for their refs', () => {
  const prefixes = [Buffer.from('!hashes!'), Buffer.from('!h!'), new Uint8Array(0)]
  const algorithms = ['sha256', 'md5', 'sha1', 'pdq', 'photodna']
  const lengths: Record<string, number> = { sha256: 32, md5: 16, sha1: 20, pdq: 32, photodna: 144 }
  let seed = 7
  const byte = (): number => { seed = (seed * 1103515245 + 12345) >>> 0; return seed >>> 24 }
  for (const prefix of prefixes) {
    for (const origin of ['12D3KooWQmV8Yj3sZ8hdvXwB8YVnK8WzX6c1v4kB4p8dLgFq3RtA', 'Qm1']) {
      // runs of one algorithm (a key copied from the one before) and changes between them, odd and even key starts
      const values = Array.from({ length: 300 }, (_, i) => {
        const algorithm = algorithms[Math.floor(i / 7) % algorithms.length]
        return { algorithm, value: Uint8Array.from({ length: lengths[algorithm] }, byte) }
      })
      const refs = values.map(v => `${v.algorithm}:${Buffer.from(v.value).toString('hex')}`)
      const want = hashKeyBytes(prefix, refs, origin).map(k => Buffer.from(k).toString('latin1'))
      const writer = new HashKeyWriter(prefix, origin)
      // read before the next key: the view is the writer's scratch
      const got = values.map(v => Buffer.from(writer.keyOf(v.algorithm, v.value)).toString('latin1'))
      assert.deepEqual(got, want)
    }
  }
})

test('MadePuts rows, made from scratch buffers as LevelDB takes them, land under their keys with their values, beside other ops of the write', async () => {
  const store = await Store.open(join(await tempDir(), 'store'), { create: true })
  try {
    const origin = '12D3KooWQmV8Yj3sZ8hdvXwB8YVnK8WzX6c1v4kB4p8dLgFq3RtA'
    const values = Array.from({ length: 500 }, (_, i) => ({ algorithm: i % 50 < 40 ? 'sha256' : 'md5', value: Uint8Array.from({ length: i % 50 < 40 ? 32 : 16 }, (_, j) => j === 0 ? i & 255 : j === 1 ? i >> 8 : (i * 7 + j) & 255) }))
    const keys = new HashKeyWriter(store.keyPrefix('hashes'), origin)
    const scratch = new Uint8Array(4)
    const value = (i: number): Uint8Array => { new DataView(scratch.buffer).setUint32(0, i); return scratch }
    await store.write([
      { type: 'put', sublevel: store.sub.meta, key: 'before', value: Uint8Array.of(1) },
      { type: 'made', count: values.length, key: (i) => keys.keyOf(values[i].algorithm, values[i].value), value },
      { type: 'put', sublevel: store.sub.meta, key: 'after', value: Uint8Array.of(2) }
    ])
    for (const [i, v] of values.entries()) {
      const got = await store.sub.hashes.get(hashKeyOfRef(`${v.algorithm}:${Buffer.from(v.value).toString('hex')}`, origin))
      assert.deepEqual([...got ?? []], [i >>> 24, (i >>> 16) & 255, (i >>> 8) & 255, i & 255], `row ${i}`)
    }
    assert.equal(await store.count('hashes'), values.length)
    assert.deepEqual([...await store.sub.meta.get('before') ?? []], [1])
    assert.deepEqual([...await store.sub.meta.get('after') ?? []], [2])
  } finally {
    await store.close()
  }
})

test('sourceKeyBytes writes the `sources` keys of the string layout, any text of a source included', async () => {
  const origin = '12D3KooWQmV8Yj3sZ8hdvXwB8YVnK8WzX6c1v4kB4p8dLgFq3RtA'
  const prefix = Buffer.from('!sources!', 'utf8')
  const text = fc.oneof(fc.string({ maxLength: 60 }), fc.string({ unit: 'binary', maxLength: 20 }), fc.string({ unit: 'grapheme', maxLength: 10 }), fc.constant('ncmec:1000000'), fc.constant('\ud800x'))
  const ref = fc.oneof(fc.constant(`sha256:${'ab'.repeat(32)}`), fc.constant(`md5:${'01'.repeat(16)}`), fc.constant(`pdq:${'9f'.repeat(32)}`))
  fc.assert(fc.property(fc.array(fc.tuple(text, ref), { maxLength: 30 }), pairs => {
    const keys = sourceKeyBytes(prefix, origin, pairs.map(p => p[0]), pairs.map(p => p[1]))
    assert.equal(keys.length, pairs.length)
    pairs.forEach(([source, r], i) => assert.deepEqual(Buffer.from(keys[i]), Buffer.from(`!sources!${sourceKey(origin, source, r)}`, 'utf8'), `key ${i}`))
  }), { numRuns: 1_000 })
  // and as written: the sublevel reads them back under their string keys
  const store = await Store.open(join(await tempDir(), 'store'), { create: true })
  try {
    const sources = ['ncmec:1', 'zürich-ü', '']
    const refs = [`sha256:${'ab'.repeat(32)}`, `md5:${'01'.repeat(16)}`, `pdq:${'cd'.repeat(32)}`]
    const keys = sourceKeyBytes(store.keyPrefix('sources'), origin, sources, refs)
    await store.write(keys.map(key => ({ type: 'put', key, value: new Uint8Array(0), keyEncoding: 'view' })))
    const listed: string[] = []
    for await (const k of store.sub.sources.keys()) listed.push(k)
    assert.deepEqual(listed.sort(), sources.map((s, i) => sourceKey(origin, s, refs[i])).sort())
  } finally {
    await store.close()
  }
})
