import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { join } from 'node:path'
import { tempDir } from '../helpers/temp-dir.js'
import { Store } from '../../src/store/store.js'
import { batchKey, hashKey, sourceKey } from '../../src/store/layout.js'
import { generateIdentityKey, identityFromKeyBytes } from '../../src/identity/identity.js'
import { openHashLog, type HashLog, type StoreVerifyReport } from '../../src/log/hash-log.js'
import { buildBatch } from '../../src/log/batch.js'
import { entryToProto } from '../../src/log/entry-codec.js'
import { pb } from '../../src/proto/index.js'
import { MatchMetadata } from '../../src/check/match-metadata.js'
import { isHashfedError, ErrorCodes } from '../../src/errors.js'

const alice = identityFromKeyBytes(await generateIdentityKey())
const bob = identityFromKeyBytes(await generateIdentityKey())
const A = alice.peerId.toString()
const B = bob.peerId.toString()
const sha = (s: string): Uint8Array => new Uint8Array(createHash('sha256').update(s).digest())
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')

/**
 * Alice: adds with sources, an update, a retract, a re-add, a retract-source, over five
 * batches. Bob's batches arrive from a peer, one of them repeating an add unchanged and
 * retracting a hash twice (both no-ops the index rows must not show).
 */
async function setup (): Promise<{ store: Store, log: HashLog }> {
  const store = await Store.open(join(await tempDir(), 'store'), { create: true })
  const log = await openHashLog({ store })
  await log.append(alice, [
    { op: 'add', record: { algorithm: 'sha256', value: sha('1'), classification: 'baseline', source: 'case-1' } },
    { op: 'add', record: { algorithm: 'sha256', value: sha('2'), source: 'case-1' } },
    { op: 'add', record: { algorithm: 'md5', value: sha('3').subarray(0, 16), source: 'case-2' } }
  ])
  await log.append(alice, [{ op: 'add', record: { algorithm: 'sha256', value: sha('1'), classification: 'national', source: 'case-1' } }])
  await log.append(alice, [{ op: 'retract', algorithm: 'sha256', value: sha('2'), reason: 'false positive' }])
  await log.append(alice, [{ op: 'add', record: { algorithm: 'sha256', value: sha('2'), tags: ['again'] } }, { op: 'add', record: { algorithm: 'sha1', value: sha('4').subarray(0, 20) } }])
  await log.append(alice, [{ op: 'retract-source', source: 'case-2', reason: 'withdrawn' }])

  const other = await openHashLog({ store: await Store.open(join(await tempDir(), 'store'), { create: true }) })
  await other.append(bob, [{ op: 'add', record: { algorithm: 'sha256', value: sha('1'), source: 'b' } }])
  for await (const signed of other.readRange(B, 1)) assert.equal((await log.applyRemote(signed, { isMember: () => true })).status, 'stored')
  const add = entryToProto({ op: 'add', record: { algorithm: 'sha256', value: sha('5') } })
  const retract = entryToProto({ op: 'retract', algorithm: 'sha256', value: sha('5'), reason: 'r' })
  const head = log.head(B)
  const batch = buildBatch({ identity: bob, seq: 2, prevHash: head?.hash as Uint8Array, createdMs: 1, entries: [add, add, retract, retract, entryToProto({ op: 'retract', algorithm: 'md5', value: sha('9').subarray(0, 16), reason: 'never held' })] })
  assert.equal((await log.applyRemote(batch.signed, { isMember: () => true })).status, 'stored')
  return { store, log }
}

function fault (r: StoreVerifyReport): [string, number, string] | 'ok' {
  return r.ok ? 'ok' : [r.fault.origin, r.fault.seq, r.fault.problem]
}

test('verify passes on a healthy store and counts what it checked', async () => {
  const { store, log } = await setup()
  const r = await log.verify()
  assert.equal(r.ok, true, JSON.stringify(r))
  assert.deepEqual({ origins: r.origins, batches: r.batches, entries: r.entries, indexRows: r.indexRows, sourceRows: r.sourceRows },
    { origins: 2, batches: 7, entries: 14, indexRows: 6, sourceRows: 2 })
  const one = await log.verify({ origin: B })
  assert.deepEqual([one.ok, one.origins, one.batches, one.indexRows], [true, 1, 2, 2])
  await store.close()
})

test('verify finds a flipped byte anywhere in a stored batch', async () => {
  const { store, log } = await setup()
  for (const seq of [1, 4]) {
    const key = batchKey(A, seq)
    const original = await store.sub.batches.get(key) as Uint8Array
    for (let i = 0; i < original.length; i += 7) {
      const flipped = new Uint8Array(original)
      flipped[i] ^= 0x10
      await store.sub.batches.put(key, flipped)
      const r = await log.verify()
      assert.equal(r.ok, false, `batch ${seq}, byte ${i}`)
      assert.equal(!r.ok && r.fault.origin, A)
      assert.equal(!r.ok && r.fault.seq, seq)
      assert.ok(!r.ok && r.fault.message.length > 0)
    }
    await store.sub.batches.put(key, original)
  }
  assert.equal((await log.verify()).ok, true)
  await store.close()
})

test('verify finds a missing index row', async () => {
  const { store, log } = await setup()
  // the current row of a hash added in batch 1 and updated in batch 2
  const key = hashKey('sha256', hex(sha('1')), A)
  const row = await store.sub.hashes.get(key) as Uint8Array
  await store.sub.hashes.del(key)
  assert.deepEqual(fault(await log.verify()), [A, 1, 'missing-row'])
  await store.sub.hashes.put(key, row)
  // a retracted row (kept after the retract) is as needed as a current one
  const retracted = hashKey('md5', hex(sha('3').subarray(0, 16)), A)
  const raw = await store.sub.hashes.get(retracted) as Uint8Array
  await store.sub.hashes.del(retracted)
  assert.deepEqual(fault(await log.verify()), [A, 1, 'missing-row'])
  await store.sub.hashes.put(retracted, raw)
  // a sources row
  const src = sourceKey(A, 'case-1', `sha256:${hex(sha('1'))}`)
  await store.sub.sources.del(src)
  assert.deepEqual(fault(await log.verify()), [A, 2, 'missing-row'])
  await store.sub.sources.put(src, new Uint8Array(0))
  assert.equal((await log.verify()).ok, true)
  await store.close()
})

test('verify finds an extra index row', async () => {
  const { store, log } = await setup()
  // a copy of a real row under a value the origin never added
  const row = await store.sub.hashes.get(hashKey('sha256', hex(sha('1')), A)) as Uint8Array
  const extra = hashKey('sha256', hex(sha('never')), A)
  await store.sub.hashes.put(extra, row)
  const r = await log.verify()
  assert.deepEqual(fault(r), [A, 2, 'extra-row'])
  assert.match(!r.ok ? r.fault.message : '', /does not add it/)
  await store.sub.hashes.del(extra)
  // a row of an origin this store holds no log of
  const stranger = hashKey('sha256', hex(sha('1')), identityFromKeyBytes(await generateIdentityKey()).peerId.toString())
  await store.sub.hashes.put(stranger, row)
  assert.equal(fault(await log.verify())[2], 'extra-row')
  await store.sub.hashes.del(stranger)
  // a sources row for a hash that is not current with that source
  const src = sourceKey(A, 'case-2', `md5:${hex(sha('3').subarray(0, 16))}`)
  await store.sub.sources.put(src, new Uint8Array(0))
  assert.equal(fault(await log.verify())[2], 'extra-row')
  await store.sub.sources.del(src)
  assert.equal((await log.verify()).ok, true)
  await store.close()
})

test('verify finds rows that say something else than the batches, and wrong head counts', async () => {
  const { store, log } = await setup()
  const key = hashKey('sha256', hex(sha('1')), A)
  const raw = await store.sub.hashes.get(key) as Uint8Array
  const p = pb.Provenance.decode(raw)
  const put = async (change: Partial<ReturnType<typeof pb.Provenance.toObject>>): Promise<void> => await store.sub.hashes.put(key, pb.Provenance.encode({ ...p, ...change }).finish())
  await put({ entry: { ...p.entry, classification: pb.Classification.BASELINE } })
  assert.deepEqual(fault(await log.verify()), [A, 2, 'wrong-row'])
  // a stale row, still naming the first add: batch 1's metadata is not what it carries
  await put({ seq: 1, index: 0 })
  assert.deepEqual(fault(await log.verify()), [A, 1, 'wrong-row'])
  await put({ retracted: true, retractedSeq: 3, retractReason: 'x' })
  assert.equal(fault(await log.verify())[2], 'wrong-row')
  await store.sub.hashes.put(key, raw)
  const head = pb.Head.decode(await store.sub.heads.get(A) as Uint8Array)
  await store.sub.heads.put(A, pb.Head.encode({ ...head, current: 99 }).finish())
  assert.deepEqual(fault(await log.verify()), [A, 5, 'head-counts'])
  await store.sub.heads.put(A, pb.Head.encode(head).finish())
  assert.equal((await log.verify()).ok, true)
  await store.close()
})

test('a damaged index row is HF_STORE_CORRUPT for the check\'s metadata reads, and an undecodable fault for verify', async () => {
  const { store, log } = await setup()
  const key = hashKey('sha256', hex(sha('1')), A)
  const metadata = new MatchMetadata({ hashLog: log })
  const ref = { algorithm: 'sha256', valueHex: hex(sha('1')), origin: A }
  assert.equal((await metadata.get([ref]))[0]?.meta.classification, 'national')
  metadata.close()
  await store.sub.hashes.put(key, Uint8Array.from([0x0a, 0xff, 0xff]))
  const fresh = new MatchMetadata({ hashLog: log })
  await assert.rejects(fresh.get([ref]), (err: unknown) => isHashfedError(err, ErrorCodes.STORE_CORRUPT) && err.message.includes(key))
  fresh.close()
  const r = await log.verify()
  assert.deepEqual(fault(r), [A, 0, 'undecodable'])
  await store.close()
})
