import { test } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { tempDir } from '../helpers/temp-dir.js'
import { Store } from '../../src/store/store.js'
import { RowTracker } from '../../src/log/row-tracker.js'

test('a finished tracker still answers which keys its write changes (the next plan waits on them), by scan and by set', async () => {
  const store = await Store.open(join(await tempDir(), 'store'), { create: true })
  try {
    const origin = '12D3KooWQmV8Yj3sZ8hdvXwB8YVnK8WzX6c1v4kB4p8dLgFq3RtA'
    const tracker = new RowTracker(origin, false)
    const ref = (i: number): string => `sha256:${i.toString(16).padStart(64, '0')}`
    for (let i = 0; i < 100; i++) tracker.load(ref(i), undefined)
    // even keys are added, odd ones only loaded (read, unchanged)
    for (let i = 0; i < 100; i += 2) tracker.add(ref(i), { source: `case-${i}` }, 7, i)
    const { ops, current } = tracker.finish({ hashes: store.keyPrefix('hashes'), sources: store.keyPrefix('sources') }, store.sub.sources)
    assert.equal(current, 50)
    assert.equal(ops.length, 100) // 50 hashes rows, 50 sources rows
    // more look-ups than the scan takes: the answers stay the same once a set is built
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 110; i++) assert.equal(tracker.changes(ref(i)), i < 100 && i % 2 === 0, `key ${i}, round ${round}`)
    }
    assert.equal(tracker.has(ref(0)), false) // the rows themselves are let go
  } finally {
    await store.close()
  }
})
