import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { join } from 'node:path'
import { tempDir } from '../helpers/temp-dir.js'
import { Store } from '../../src/store/store.js'
import { batchKey } from '../../src/store/layout.js'
import { generateIdentityKey, identityFromKeyBytes } from '../../src/identity/identity.js'
import { openHashLog, type HashLog } from '../../src/log/hash-log.js'

const alice = identityFromKeyBytes(await generateIdentityKey())
const bob = identityFromKeyBytes(await generateIdentityKey())
const A = alice.peerId.toString()
const sha = (s: string): Uint8Array => new Uint8Array(createHash('sha256').update(s).digest())

/** A log of three small batches by Alice, plus one by Bob. */
async function setup (): Promise<{ store: Store, log: HashLog }> {
  const store = await Store.open(join(await tempDir(), 'store'), { create: true })
  const log = await openHashLog({ store })
  await log.append(alice, [{ op: 'add', record: { algorithm: 'sha256', value: sha('1'), classification: 'baseline', tags: ['x'] } }])
  await log.append(alice, [{ op: 'add', record: { algorithm: 'md5', value: sha('2').subarray(0, 16), source: 's' } }])
  await log.append(alice, [{ op: 'retract', algorithm: 'sha256', value: sha('1'), reason: 'false positive' }])
  await log.append(bob, [{ op: 'add', record: { algorithm: 'sha1', value: sha('3').subarray(0, 20) } }])
  return { store, log }
}

test('one flipped byte anywhere in any stored batch is detected', async () => {
  const { store, log } = await setup()
  assert.deepEqual(await log.verifyOrigin(A), { ok: true, origin: A, batches: 3, headSeq: 3 })
  for (let seq = 1; seq <= 3; seq++) {
    const key = batchKey(A, seq)
    const original = await store.sub.batches.get(key) as Uint8Array
    for (let i = 0; i < original.length; i++) {
      const flipped = new Uint8Array(original)
      flipped[i] ^= 1 << (i % 8)
      await store.sub.batches.put(key, flipped)
      const report = await log.verifyOrigin(A)
      assert.equal(report.ok, false, `batch ${seq}, byte ${i} of ${original.length}`)
      assert.equal(report.ok === false && report.seq, seq)
    }
    await store.sub.batches.put(key, original)
    assert.equal((await log.verifyOrigin(A)).ok, true)
  }
  await store.close()
})

test('a missing batch, a re-ordered pair, a foreign batch and a cut-off tail are detected', async () => {
  const { store, log } = await setup()
  const get = async (seq: number): Promise<Uint8Array> => await store.sub.batches.get(batchKey(A, seq)) as Uint8Array
  const [b1, b2, b3] = [await get(1), await get(2), await get(3)]
  const problem = async (): Promise<[string, number] | 'ok'> => {
    const r = await log.verifyOrigin(A)
    return r.ok ? 'ok' : [r.problem, r.seq]
  }

  await store.sub.batches.del(batchKey(A, 2))
  assert.deepEqual(await problem(), ['gap', 2])
  await store.sub.batches.put(batchKey(A, 2), b2)

  await store.sub.batches.put(batchKey(A, 2), b3)
  await store.sub.batches.put(batchKey(A, 3), b2)
  assert.deepEqual(await problem(), ['misplaced', 2])
  await store.sub.batches.put(batchKey(A, 2), b2)
  await store.sub.batches.put(batchKey(A, 3), b3)

  const bobs = await store.sub.batches.get(batchKey(bob.peerId.toString(), 1)) as Uint8Array
  await store.sub.batches.put(batchKey(A, 1), bobs)
  assert.deepEqual(await problem(), ['wrong-origin', 1])
  await store.sub.batches.put(batchKey(A, 1), b1)

  await store.sub.batches.del(batchKey(A, 3))
  assert.deepEqual(await problem(), ['head-mismatch', 2])
  await store.sub.batches.put(batchKey(A, 3), b3)

  assert.equal(await problem(), 'ok')
  assert.equal((await log.verifyOrigin(bob.peerId.toString())).ok, true)
  await store.close()
})

test('a validly signed batch from another history breaks the chain', async () => {
  const { store, log } = await setup()
  // Alice signs a different batch 2 in another store; put it in place of ours
  const other = await Store.open(join(await tempDir(), 'other'), { create: true })
  const otherLog = await openHashLog({ store: other })
  await otherLog.applyRemote(await store.sub.batches.get(batchKey(A, 1)) as Uint8Array, { isMember: () => true })
  await otherLog.append(alice, [{ op: 'add', record: { algorithm: 'sha256', value: sha('elsewhere') } }])
  await store.sub.batches.put(batchKey(A, 2), await other.sub.batches.get(batchKey(A, 2)) as Uint8Array)
  const r = await log.verifyOrigin(A)
  assert.equal(r.ok, false)
  assert.deepEqual(r.ok === false && [r.problem, r.seq], ['broken-chain', 3])
  await other.close()
  await store.close()
})
