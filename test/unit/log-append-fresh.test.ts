import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { join } from 'node:path'
import { tempDir } from '../helpers/temp-dir.js'
import { Store } from '../../src/store/store.js'
import { generateIdentityKey, identityFromKeyBytes } from '../../src/identity/identity.js'
import { openHashLog, type AppendResult, type BatchEvent } from '../../src/log/hash-log.js'
import type { AppendItem, HashRecord } from '../../src/log/entry.js'
import { planAppend } from '../../src/log/append-planner.js'
import { KeyFilter } from '../../src/log/key-filter.js'
import { IndexRows } from '../../src/log/index-rows.js'

// An append plans an add of a hash the origin never held, that no other entry of the write
// touches, without a tracker row ("fresh", append-planner.ts). A write with a retract-source
// plans every entry through the tracker: the same appends with a retract-source that matches
// nothing are the reference, and the two stores must hold the same bytes.

const me = identityFromKeyBytes(await generateIdentityKey())
const digest = (alg: string, s: string, n: number): Uint8Array => new Uint8Array(createHash('sha512').update(`${alg}:${s}`).digest()).subarray(0, n)
const rec = (s: string, extra: Partial<HashRecord> = {}): HashRecord => ({ algorithm: 'sha256', value: digest('sha256', s, 32), ...extra })
const NOTHING: AppendItem = { op: 'retract-source', source: 'no-such-source', reason: 'matches nothing' }

function writes (): AppendItem[][] {
  const many = (prefix: string, n: number, extra: Partial<HashRecord> = {}): AppendItem[] => Array.from({ length: n }, (_, i) => ({ op: 'add', record: rec(`${prefix}${i}`, extra) }))
  return [
    [
      ...many('a', 20, { classification: 'baseline' }),
      { op: 'add', record: rec('s1', { classification: 'national', source: 'case-1', tags: ['x', 'y'], iwfCategory: 'B', vicsCategory: 0, ageBand: '3-6', media: 'image' }) },
      { op: 'add', record: rec('s2', { source: 'case-1' }) },
      { op: 'add', record: { algorithm: 'pdq', value: digest('pdq', 'p1', 32), quality: 90 } },
      { op: 'add', record: { algorithm: 'md5', value: digest('md5', 'm1', 16) } },
      { op: 'add', record: { algorithm: 'sha1', value: digest('sha1', 's1', 20), source: 'zürich' } },
      { op: 'add', record: { algorithm: 'photodna', value: new Uint8Array(144).fill(7), classification: 'baseline' } },
      // twice in one write: the second changes the metadata
      { op: 'add', record: rec('dup') },
      { op: 'add', record: rec('dup', { classification: 'national' }) },
      // added and retracted in one write
      { op: 'add', record: rec('gone') },
      { op: 'retract', algorithm: 'sha256', value: rec('gone').value, reason: 'false positive' },
      { op: 'benign', algorithm: 'sha256', value: rec('benign').value, reason: 'a CMS default image' },
      ...many('b', 15, { source: 'case-2' })
    ],
    [
      // held already: unchanged, updated, retracted, re-added; and new ones
      ...many('a', 5, { classification: 'baseline' }),
      { op: 'add', record: rec('a7', { classification: 'national' }) },
      { op: 'retract', algorithm: 'sha256', value: rec('a8').value, reason: 'false positive' },
      ...many('c', 30, { tags: ['t'] })
    ],
    [
      { op: 'add', record: rec('a8', { classification: 'baseline' }) },
      ...many('d', 40, { source: 'case-3' }),
      { op: 'retract-source', source: 'case-2', reason: 'deleted by the source' },
      ...many('e', 10)
    ]
  ]
}

async function build (withReference: boolean): Promise<{ rows: Array<[string, string]>, results: AppendResult[], events: BatchEvent[] }> {
  const store = await Store.open(join(await tempDir(), 'store'), { create: true })
  const log = await openHashLog({ store, batchEntries: 7, now: () => 1_700_000_000_000 })
  const events: BatchEvent[] = []
  log.on('batch', e => events.push(e))
  const results: AppendResult[] = []
  for (const items of writes()) results.push(await log.append(me, withReference ? [...items, NOTHING] : items))
  await log.close()
  const rows: Array<[string, string]> = []
  for await (const [k, v] of store.db.iterator({ keyEncoding: 'utf8', valueEncoding: 'view' })) rows.push([k, Buffer.from(v).toString('hex')])
  await store.close()
  return { rows, results, events }
}

test('adds planned fresh leave the same store bytes, results and events as the tracker path', async () => {
  const fast = await build(false)
  const reference = await build(true)
  assert.ok(fast.rows.length > 150, `${fast.rows.length} rows`)
  assert.deepEqual(fast.rows, reference.rows)
  assert.deepEqual(fast.results, reference.results)
  assert.equal(fast.events.length, reference.events.length)
  fast.events.forEach((e, i) => {
    const r = reference.events[i]
    assert.deepEqual([e.seq, Buffer.from(e.hash).toString('hex'), Buffer.from(e.signed).toString('hex')], [r.seq, Buffer.from(r.hash).toString('hex'), Buffer.from(r.signed).toString('hex')])
    assert.deepEqual(e.entries, r.entries)
  })
})

test('planAppend plans unrepeated adds the filter rules out as fresh, and everything else through the tracker', async () => {
  const store = await Store.open(join(await tempDir(), 'store'), { create: true })
  const plan = async (items: AppendItem[], filter = new KeyFilter()): Promise<number> =>
    (await planAppend({ identity: me, items, init: {}, head: undefined, filter, rows: new IndexRows(store), batchEntries: 4, now: () => 1 })).tracker.freshRows
  const adds = Array.from({ length: 10 }, (_, i): AppendItem => ({ op: 'add', record: rec(`f${i}`) }))
  assert.equal(await plan(adds), 10)
  // repeated (in any form) or possibly held: not fresh
  assert.equal(await plan([...adds, { op: 'add', record: rec('f3', { source: 's' }) }]), 9)
  assert.equal(await plan([...adds, { op: 'retract', algorithm: 'sha256', value: rec('f4').value, reason: 'r' }]), 9)
  const seen = new KeyFilter()
  await plan(adds.slice(0, 4), seen)
  assert.equal(await plan(adds, seen), 6)
  assert.equal(await plan([...adds, NOTHING]), 0)
  // the batches carry every add, in order, with their seq and index patched into the rows
  const p = await planAppend({ identity: me, items: adds, init: {}, head: undefined, filter: new KeyFilter(), rows: new IndexRows(store), batchEntries: 4, now: () => 1 })
  assert.deepEqual(p.batches.map(b => b.batch.seq), [1, 2, 3])
  assert.deepEqual(p.batches.flatMap(b => b.entries), adds)
  assert.deepEqual(p.batches.flatMap(b => b.batch.entries.map(e => Buffer.from(e.value ?? []).toString('hex'))), adds.map(a => Buffer.from((a as { record: HashRecord }).record.value).toString('hex')))
  await store.close()
})
