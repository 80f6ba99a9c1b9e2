import { test } from 'node:test'
import assert from 'node:assert/strict'
import { RejectionCounter } from '../../src/observe/rejection-counter.js'
import { isReason, reasonsOf } from '../../src/observe/reasons.js'
import { sharedReading, sharedScan } from '../../src/observe/metrics-registry.js'

const REASONS = { malformed: 'does not decode', flood: 'too many at once', internal: 'our own failure' } as const

test('counts by reason and by peer, keeps only the latest entries in its ring, oldest first', () => {
  const c = new RejectionCounter<keyof typeof REASONS, { peer: string, n: number }>({ reasons: REASONS, fallback: 'internal', recent: 3 })
  for (let n = 0; n < 10; n++) c.record(n % 3 === 0 ? 'flood' : 'malformed', { peer: n < 7 ? 'A' : 'B', n })
  assert.equal(c.total, 10)
  assert.deepEqual(Object.fromEntries(c.byReason), { flood: 4, malformed: 6 })
  assert.equal(c.count('flood'), 4)
  assert.equal(c.count('internal'), 0)
  assert.deepEqual(Object.fromEntries(c.byPeer), { A: 7, B: 3 })
  assert.equal(c.ofPeer('A'), 7)
  assert.equal(c.ofPeer('nobody'), 0)
  assert.deepEqual(c.recent().map(r => [r.n, r.reason]), [[7, 'malformed'], [8, 'malformed'], [9, 'flood']], 'bounded at 3, oldest first')
  assert.deepEqual(c.recent(1).map(r => r.n), [9])
  const copy = c.recent()
  copy.length = 0
  assert.equal(c.recent().length, 3, 'recent() hands out a copy')
})

test('a reason not in the list is counted as the fallback: the label set stays closed', () => {
  const c = new RejectionCounter({ reasons: REASONS, fallback: 'internal', recent: 10 })
  assert.equal(c.record('HF_SOMETHING', { peer: 'A' }), 'internal')
  assert.equal(c.record('toString', { peer: 'A' }), 'internal', 'no inherited property passes for a reason')
  assert.deepEqual([...c.byReason.keys()], ['internal'])
  assert.deepEqual(c.recent().map(r => r.reason), ['internal', 'internal'])
  assert.throws(() => new RejectionCounter({ reasons: REASONS, fallback: 'nope' as 'internal', recent: 1 }), /not in the list/)
})

test('the ring keeps what `keep` lets in; entries without a peer are not counted per peer; recent 0 keeps none', () => {
  const c = new RejectionCounter<keyof typeof REASONS, { peerId: string }>({ reasons: REASONS, fallback: 'internal', recent: 5, keep: (_, reason) => reason !== 'flood' })
  c.record('flood', { peerId: 'X' })
  c.record('malformed', { peerId: 'Y' })
  assert.equal(c.total, 2)
  assert.deepEqual(c.recent().map(r => r.peerId), ['Y'])
  assert.equal(c.byPeer.size, 0, 'an outsider can present any number of peer IDs: not counted per peer')
  const none = new RejectionCounter({ reasons: REASONS, fallback: 'internal', recent: 0 })
  for (let i = 0; i < 1000; i++) none.record('malformed', { peer: 'A' })
  assert.equal(none.total, 1000)
  assert.deepEqual(none.recent(), [])
})

test('reason lists: keys in order, membership without inherited names', () => {
  assert.deepEqual(reasonsOf(REASONS), ['malformed', 'flood', 'internal'])
  assert.equal(isReason(REASONS, 'flood'), true)
  assert.equal(isReason(REASONS, 'constructor'), false)
  assert.equal(isReason(REASONS, 3), false)
})

test('sharedScan: concurrent readers share one scan, the next read scans again', async () => {
  let scans = 0
  const read = sharedScan(async () => { scans++; await new Promise(resolve => setImmediate(resolve)); return scans })
  assert.deepEqual(await Promise.all([read(), read(), read()]), [1, 1, 1])
  assert.equal(await read(), 2)
})

test('sharedReading: readers in one turn share one reading, a later turn reads again', async () => {
  let reads = 0
  const read = sharedReading(() => ++reads)
  assert.deepEqual([read(), read(), read()], [1, 1, 1])
  await Promise.resolve()
  assert.equal(read(), 2)
})
