// Peers' batches applied back to back (an initial sync's pipeline): the next is verified while
// the previous write is in flight. Real LevelDB; the failing write is a store closed mid-sync.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { join } from 'node:path'
import { tempDir } from '../helpers/temp-dir.js'
import { Store } from '../../src/store/store.js'
import { generateIdentityKey, identityFromKeyBytes } from '../../src/identity/identity.js'
import { openHashLog, verifyLogStore, type ApplyResult, type HashLog } from '../../src/log/hash-log.js'
import { buildBatch, decodeBatch } from '../../src/log/batch.js'

const alice = identityFromKeyBytes(await generateIdentityKey())
const A = alice.peerId.toString()
const sha = (s: string): Uint8Array => new Uint8Array(createHash('sha256').update(s).digest())
const isMember = (origin: string): boolean => origin === A

async function node (): Promise<{ store: Store, log: HashLog, path: string }> {
  const path = join(await tempDir(), 'store')
  const store = await Store.open(path, { create: true })
  return { store, log: await openHashLog({ store }), path }
}

async function batchesOf (log: HashLog): Promise<Uint8Array[]> {
  const out: Uint8Array[] = []
  for await (const b of log.readRange(A, 1)) out.push(b)
  return out
}

async function currentCount (log: HashLog): Promise<number> {
  let n = 0
  for await (const _ of log.currentSet({ origin: A })) n++
  return n
}

test('batches applied without waiting are stored in order: a retract of a row the write in flight adds, a key rotation, then batches signed by the new key', async () => {
  const a = await node()
  await a.log.append(alice, [{ op: 'add', record: { algorithm: 'sha256', value: sha('1'), source: 'case-1' } }, { op: 'add', record: { algorithm: 'sha256', value: sha('2') } }])
  await a.log.append(alice, [{ op: 'retract', algorithm: 'sha256', value: sha('1'), reason: 'false positive' }, { op: 'add', record: { algorithm: 'sha256', value: sha('3') } }])
  await a.log.rotateKey(alice, identityFromKeyBytes(await generateIdentityKey()))
  await a.log.append(alice, [{ op: 'add', record: { algorithm: 'sha256', value: sha('1'), classification: 'baseline' } }]) // signed by the new key
  await a.log.append(alice, [{ op: 'add', record: { algorithm: 'sha256', value: sha('4') } }])
  const signed = await batchesOf(a.log)
  assert.equal(signed.length, 5)

  const b = await node()
  const stored: number[] = []
  b.log.on('batch', e => { stored.push(e.seq) })
  // all at once: each is verified while the one before it is written
  const results = await Promise.all(signed.map(async s => await b.log.applyRemote(s, { isMember })))
  assert.deepEqual(results.map(r => r.status), ['stored', 'stored', 'stored', 'stored', 'stored'])
  assert.deepEqual(stored, [1, 2, 3, 4, 5])
  const [ha, hb] = [a.log.head(A), b.log.head(A)]
  assert.deepEqual([hb?.seq, hb?.entries, hb?.current, hb?.retracted], [ha?.seq, ha?.entries, ha?.current, ha?.retracted])
  assert.equal(b.log.keyHistory(A, alice.peerIdBytes).rotated, true)
  assert.equal(await currentCount(b.log), 4)
  assert.equal((await b.log.verify()).ok, true)

  // a stale copy signed by the old key after the rotation is still refused, also when queued behind a write
  const b5 = decodeBatch(signed[4])
  const stale = buildBatch({ identity: alice, seq: 6, prevHash: b5.hash, entries: [] }).signed
  const [again, refused] = await Promise.all([b.log.applyRemote(signed[4], { isMember }), b.log.applyRemote(stale, { isMember })])
  assert.equal(again.status, 'duplicate')
  assert.deepEqual([refused.status, refused.status === 'rejected' ? refused.reason : ''], ['rejected', 'old-key'])
  for (const n of [a, b]) { await n.log.close(); await n.store.close() }
})

test('a write that fails stores nothing after it: memory keeps the last stored head, and the store holds whole batches and verifies', async () => {
  const a = await node()
  for (let i = 0; i < 8; i++) await a.log.append(alice, [{ op: 'add', record: { algorithm: 'sha256', value: sha(`v${i}`) } }, { op: 'add', record: { algorithm: 'md5', value: sha(`m${i}`).subarray(0, 16) } }])
  const signed = await batchesOf(a.log)
  const b = await node()
  let closing: Promise<void> | undefined
  // closing the store once batch 2 is stored makes the writes from there on fail
  b.log.on('batch', e => { if (e.seq === 2) closing = b.store.close() })
  const settled = await Promise.allSettled(signed.map(async s => await b.log.applyRemote(s, { isMember })))
  await closing
  const ok = settled.filter((r): r is PromiseFulfilledResult<ApplyResult> => r.status === 'fulfilled' && r.value.status === 'stored').length
  assert.ok(ok >= 2 && ok < 8, `${ok} stored`)
  // the batch whose write failed throws (and so does one planned on it); nothing after it is stored
  const after = settled.slice(ok).map(r => r.status === 'rejected' ? 'threw' : r.value.status === 'rejected' ? r.value.reason : r.value.status)
  assert.equal(after[0], 'threw')
  assert.ok(after.every(s => s === 'threw' || s === 'gap'), after.join())
  const inMemory = b.log.head(A)
  assert.equal(inMemory?.seq, ok)

  const reopened = await Store.open(b.path)
  assert.equal((await verifyLogStore(reopened)).ok, true)
  const log = await openHashLog({ store: reopened })
  const onDisk = log.head(A)
  assert.deepEqual([onDisk?.seq, onDisk?.entries, onDisk?.current, Buffer.from(onDisk?.hash ?? []).toString('hex')],
    [inMemory?.seq, inMemory?.entries, inMemory?.current, Buffer.from(inMemory?.hash ?? []).toString('hex')])
  // and the rest arrives on the reopened store
  for (const s of signed.slice(ok)) assert.equal((await log.applyRemote(s, { isMember })).status, 'stored')
  assert.equal(log.head(A)?.current, 16)
  assert.equal((await log.verify()).ok, true)
  await log.close()
  await reopened.close()
  await a.log.close()
  await a.store.close()
})
