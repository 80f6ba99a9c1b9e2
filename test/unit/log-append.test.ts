import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { join } from 'node:path'
import { tempDir } from '../helpers/temp-dir.js'
import { Store } from '../../src/store/store.js'
import { generateIdentityKey, identityFromKeyBytes } from '../../src/identity/identity.js'
import { openHashLog, type BatchEvent, type HashLog } from '../../src/log/hash-log.js'
import type { HashRecord } from '../../src/log/entry.js'
import { isHashfedError } from '../../src/errors.js'
import { MAX_SIGNED_BATCH_BYTES } from '../../src/log/constants.js'

const me = identityFromKeyBytes(await generateIdentityKey())
const ME = me.peerId.toString()
const sha = (s: string): Uint8Array => new Uint8Array(createHash('sha256').update(s).digest())
const rec = (s: string, extra: Partial<HashRecord> = {}): HashRecord => ({ algorithm: 'sha256', value: sha(s), ...extra })
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')

async function fresh (batchEntries?: number): Promise<{ store: Store, log: HashLog, path: string }> {
  const path = join(await tempDir(), 'store')
  const store = await Store.open(path, { create: true })
  return { store, log: await openHashLog({ store, batchEntries }), path }
}

async function current (log: HashLog, origin?: string): Promise<string[]> {
  const out: string[] = []
  for await (const r of log.currentSet({ origin })) out.push(`${r.origin === ME ? 'me' : r.origin}:${r.record.algorithm}:${hex(r.record.value)}`)
  return out.sort()
}

test('append signs batches, chains them and indexes every hash in the same write', async () => {
  const { store, log } = await fresh()
  const events: BatchEvent[] = []
  log.on('batch', e => events.push(e))

  const r1 = await log.append(me, [{ op: 'add', record: rec('a', { classification: 'baseline', source: 'case-1' }) }, { op: 'add', record: rec('b') }])
  assert.equal(r1.added, 2)
  assert.equal(r1.batches.length, 1)
  assert.equal(r1.batches[0].seq, 1)
  const r2 = await log.append(me, [{ op: 'add', record: { algorithm: 'pdq', value: sha('p'), quality: 90 } }])
  assert.equal(r2.batches[0].seq, 2)

  const head = log.head(ME)
  assert.ok(head !== undefined)
  assert.equal(head.seq, 2)
  assert.deepEqual(Buffer.from(head.hash), Buffer.from(r2.batches[0].hash))
  assert.equal(head.current, 3)
  assert.equal(head.entries, 3)
  assert.deepEqual(await current(log), [`me:pdq:${hex(sha('p'))}`, `me:sha256:${hex(sha('a'))}`, `me:sha256:${hex(sha('b'))}`].sort())
  assert.deepEqual((await log.verifyOrigin(ME)).ok, true)

  assert.deepEqual(events.map(e => [e.seq, e.local, e.entries.length]), [[1, true, 2], [2, true, 1]])
  assert.equal(events[0].entries[0].op, 'add')

  // the metadata comes back from the index
  const shown = await log.show('sha256', sha('a'))
  assert.equal(shown.length, 1)
  assert.equal(shown[0].origin, ME)
  assert.equal(shown[0].record.classification, 'baseline')
  assert.equal(shown[0].record.source, 'case-1')
  assert.equal(shown[0].seq, 1)
  assert.equal(shown[0].index, 0)
  assert.deepEqual(Buffer.from(shown[0].batchHash), Buffer.from(r1.batches[0].hash))
  assert.equal(shown[0].retracted, undefined)
  assert.deepEqual(await log.show('md5', new Uint8Array(16)), [])
  await store.close()
})

test('re-adding what we hold writes nothing; a metadata change is a signed update', async () => {
  const { store, log } = await fresh()
  await log.append(me, [{ op: 'add', record: rec('a', { classification: 'national' }) }])
  const same = await log.append(me, [{ op: 'add', record: rec('a', { classification: 'national' }) }, { op: 'add', record: rec('a', { classification: 'national' }) }])
  assert.deepEqual([same.added, same.unchanged, same.batches.length], [0, 2, 0])
  assert.equal(log.head(ME)?.seq, 1)
  const changed = await log.append(me, [{ op: 'add', record: rec('a', { classification: 'baseline' }) }])
  assert.deepEqual([changed.added, changed.updated, changed.batches.length], [0, 1, 1])
  const [shown] = await log.show('sha256', sha('a'))
  assert.equal(shown.record.classification, 'baseline')
  assert.equal(shown.seq, 2)
  assert.equal(log.head(ME)?.current, 1)
  await store.close()
})

test('a retraction removes the hash from the current set; the history keeps both batches', async () => {
  const { store, log } = await fresh()
  await log.append(me, [{ op: 'add', record: rec('a', { classification: 'baseline' }) }, { op: 'add', record: rec('b') }])
  const r = await log.append(me, [{ op: 'retract', algorithm: 'sha256', value: sha('a'), reason: 'false positive' }])
  assert.equal(r.retracted, 1)
  assert.deepEqual(await current(log), [`me:sha256:${hex(sha('b'))}`])

  const [shown] = await log.show('sha256', sha('a'))
  assert.deepEqual(shown.retracted, { seq: 2, reason: 'false positive' })
  assert.equal(shown.seq, 1) // the add that vouched for it
  assert.equal(shown.record.classification, 'baseline')

  const history: number[] = []
  for await (const _ of log.readRange(ME, 1)) history.push(history.length + 1)
  assert.deepEqual(history, [1, 2])
  assert.deepEqual(log.listOrigins().map(o => [o.entries, o.retractions, o.headSeq, o.logEntries]), [[1, 1, 2, 3]])

  // re-adding brings it back
  const again = await log.append(me, [{ op: 'add', record: rec('a') }])
  assert.equal(again.added, 1)
  assert.equal((await log.show('sha256', sha('a')))[0].retracted, undefined)
  assert.deepEqual(log.listOrigins().map(o => [o.entries, o.retractions]), [[2, 0]])
  assert.equal((await log.verifyOrigin(ME)).ok, true)
  await store.close()
})

test('retracting a hash we do not hold fails up front and writes nothing', async () => {
  const { store, log } = await fresh()
  await log.append(me, [{ op: 'add', record: rec('a') }])
  await assert.rejects(log.append(me, [{ op: 'add', record: rec('b') }, { op: 'retract', algorithm: 'sha256', value: sha('zzz'), reason: 'oops' }]),
    (e: unknown) => isHashfedError(e, 'HF_NOT_FOUND'))
  await assert.rejects(log.append(me, [{ op: 'retract', algorithm: 'sha256', value: sha('a'), reason: ' ' }]), (e: unknown) => isHashfedError(e, 'HF_INVALID_ARGUMENT'))
  await assert.rejects(log.append(me, [{ op: 'add', record: { algorithm: 'sha256', value: new Uint8Array(3) } }]), (e: unknown) => isHashfedError(e, 'HF_INVALID_HASH'))
  assert.equal(log.head(ME)?.seq, 1)
  assert.deepEqual(await current(log), [`me:sha256:${hex(sha('a'))}`])
  // with 'ignore' the unheld retraction is listed and the rest goes in
  const r = await log.append(me, [{ op: 'add', record: rec('b') }, { op: 'retract', algorithm: 'sha256', value: sha('zzz'), reason: 'oops' }], { missingRetract: 'ignore' })
  assert.deepEqual([r.added, r.notHeld], [1, [1]])
  await store.close()
})

test('an add and a retract of one hash in one append come out in order', async () => {
  const { store, log } = await fresh()
  const r = await log.append(me, [
    { op: 'add', record: rec('x') },
    { op: 'retract', algorithm: 'sha256', value: sha('x'), reason: 'mistake' },
    { op: 'add', record: rec('y') }
  ])
  assert.deepEqual([r.added, r.retracted, r.batches.length], [2, 1, 1])
  assert.deepEqual(await current(log), [`me:sha256:${hex(sha('y'))}`])
  assert.deepEqual((await log.show('sha256', sha('x')))[0].retracted, { seq: 1, reason: 'mistake' })
  assert.deepEqual(log.listOrigins().map(o => [o.entries, o.retractions]), [[1, 1]])
  await store.close()
})

test('retract-source retracts every current hash of ours with that source', async () => {
  const { store, log } = await fresh(2)
  await log.append(me, [
    { op: 'add', record: rec('n1', { source: 'ncmec:7' }) },
    { op: 'add', record: rec('n2', { source: 'ncmec:7' }) },
    { op: 'add', record: rec('n3', { source: 'ncmec:8' }) },
    { op: 'add', record: rec('n4', { source: 'ncmec:7' }) }
  ])
  // n4 moves to another source before the delete; n5 arrives in the same append as the delete
  const r = await log.append(me, [
    { op: 'add', record: rec('n4', { source: 'ncmec:9' }) },
    { op: 'add', record: rec('n5', { source: 'ncmec:7' }) },
    { op: 'retract-source', source: 'ncmec:7', reason: 'deleted by NCMEC' }
  ])
  assert.equal(r.retracted, 3)
  assert.deepEqual(await current(log), [`me:sha256:${hex(sha('n3'))}`, `me:sha256:${hex(sha('n4'))}`].sort())
  const again = await log.append(me, [{ op: 'retract-source', source: 'ncmec:7', reason: 'deleted by NCMEC' }])
  assert.deepEqual([again.retracted, again.batches.length], [0, 0])
  assert.equal((await log.verifyOrigin(ME)).ok, true)
  await store.close()
})

test('append cuts batches of batchEntries, and heads survive a reopen', async () => {
  const { store, log, path } = await fresh(3)
  const r = await log.append(me, Array.from({ length: 7 }, (_, i) => ({ op: 'add' as const, record: rec(`h${i}`) })))
  assert.deepEqual(r.batches.map(b => b.seq), [1, 2, 3])
  await log.close()
  await store.close()

  const store2 = await Store.open(path)
  const log2 = await openHashLog({ store: store2 })
  assert.deepEqual(log2.listOrigins().map(o => [o.origin, o.entries, o.headSeq]), [[ME, 7, 3]])
  // the key filter is rebuilt from the stored batches: a re-add is still recognised
  const again = await log2.append(me, [{ op: 'add', record: rec('h3') }, { op: 'add', record: rec('h9') }])
  assert.deepEqual([again.added, again.unchanged], [1, 1])
  assert.equal((await log2.verifyOrigin(ME)).ok, true)
  await store2.close()
})

test('a throwing listener does not break the write', async () => {
  const { store, log } = await fresh()
  log.on('batch', () => { throw new Error('listener bug') })
  let seen = 0
  log.on('batch', () => { seen++ })
  const r = await log.append(me, [{ op: 'add', record: rec('a') }])
  assert.equal(r.added, 1)
  assert.equal(seen, 1)
  await store.close()
})

test('a batch over the byte limit is split, every part signed and chained', async () => {
  const { store, log } = await fresh()
  const tags = Array.from({ length: 32 }, (_, i) => `${i}`.padEnd(64, 'x')) // ~2 KiB of metadata per entry
  const items = Array.from({ length: 3000 }, (_, i) => ({ op: 'add' as const, record: rec(`big${i}`, { tags }) }))
  const r = await log.append(me, items)
  assert.equal(r.added, 3000)
  assert.ok(r.batches.length >= 2, `expected a split, got ${r.batches.length} batch(es)`)
  for await (const signed of log.readRange(ME, 1)) assert.ok(signed.length <= MAX_SIGNED_BATCH_BYTES)
  assert.equal((await log.verifyOrigin(ME)).ok, true)
  assert.equal(log.head(ME)?.current, 3000)
  await store.close()
})
