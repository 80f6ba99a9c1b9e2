import { test } from 'node:test'
import assert from 'node:assert/strict'
import { KeyFilter, keyHash } from '../../src/log/key-filter.js'

test('KeyFilter never says no for a hash it holds, across its growing segments, and rarely says maybe for others', () => {
  const f = new KeyFilter()
  let seed = 12345
  const next = (): number => { seed = (Math.imul(seed, 1103515245) + 12345) | 0; return seed }
  const added: number[] = []
  let maybes = 0
  for (let i = 0; i < 300_000; i++) {
    const value = new Uint8Array(32)
    new DataView(value.buffer).setInt32(0, next())
    new DataView(value.buffer).setInt32(4, i)
    const h = keyHash(2, value)
    if (f.mightHave(h)) maybes++
    f.add(h)
    added.push(h)
  }
  assert.equal(f.size, added.length)
  for (const h of added) assert.equal(f.mightHave(h), true)
  // asked before each add: the false-positive rate a fresh import meets (one LevelDB read each)
  assert.ok(maybes / added.length < 0.02, `false positives ${maybes} of ${added.length}`)
})
