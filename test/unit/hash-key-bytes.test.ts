import { test } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { tempDir } from '../helpers/temp-dir.js'
import { Store } from '../../src/store/store.js'
import { hashKeyBytes, hashKeyOfRef } from '../../src/store/layout.js'

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
