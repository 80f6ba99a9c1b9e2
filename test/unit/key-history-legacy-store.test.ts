import { test } from 'node:test'
import assert from 'node:assert/strict'
import { cp, readFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { pino } from 'pino'
import { Store } from '../../src/store/store.js'
import { openHashLog } from '../../src/log/hash-log.js'
import { identityFromKeyBytes, generateIdentityKey } from '../../src/identity/identity.js'
import { decodeBatch, buildBatch } from '../../src/log/batch.js'
import { tempDir } from '../helpers/temp-dir.js'

// test/fixtures/legacy-store was written by main's code before key lifecycle existed
// (batch 1: three adds, batch 2: a retract; identity.key is its origin's key).
const FIXTURE = resolve('test/fixtures/legacy-store')

async function openFixture (): Promise<{ store: Store, dir: string }> {
  const dir = await tempDir()
  await cp(join(FIXTURE, 'store'), join(dir, 'store'), { recursive: true })
  return { store: await Store.open(join(dir, 'store')), dir }
}

test('a store written before key lifecycle opens, verifies, and its origin then rotates and keeps verifying', async () => {
  const origin = (await readFile(join(FIXTURE, 'origin.txt'), 'utf8')).trim()
  const identity = identityFromKeyBytes(await readFile(join(FIXTURE, 'identity.key')))
  assert.equal(identity.peerId.toString(), origin)
  const { store, dir } = await openFixture()
  const log = await openHashLog({ store, logger: pino({ level: 'silent' }) })
  try {
    assert.equal(log.head(origin)?.seq, 2)
    assert.equal(log.head(origin)?.current, 2)
    const history = log.keyHistory(origin, identity.peerIdBytes)
    assert.equal(history.rotated, false, 'no key record: the origin signs with its genesis key')
    assert.deepEqual((await log.verifyOrigin(origin)), { ok: true, origin, batches: 2, headSeq: 2 })
    assert.equal((await log.verify()).ok, true, 'batches and index rows verify unchanged')

    // the origin rotates: batch 3 carries the record, batch 4 is signed by the new key
    const next = identityFromKeyBytes(await generateIdentityKey())
    const ref = await log.rotateKey(identity, next)
    assert.equal(ref.seq, 3)
    await log.append(identity, [{ op: 'add', record: { algorithm: 'sha256', value: new Uint8Array(32).fill(9) } }])
    const b4 = decodeBatch((await log.getBatch(origin, 4))!)
    assert.equal(log.keyHistory(origin, identity.peerIdBytes).keyAt(4).toString(), next.peerIdBytes.toString())
    assert.equal((await log.verify()).ok, true, 'the chain with its rotation verifies')
    // and a batch 5 signed by the old key is refused as old-key
    const stale = buildBatch({ identity, seq: 5, prevHash: b4.hash, entries: [] }).signed
    const res = await log.applyRemote(stale, { isMember: () => true })
    assert.equal(res.status, 'rejected')
    assert.equal(res.status === 'rejected' ? res.reason : '', 'old-key')
  } finally {
    await log.close()
    await store.close()
  }
  // reopened: the key history is read back from the store
  const again = await Store.open(join(dir, 'store'))
  const log2 = await openHashLog({ store: again, logger: pino({ level: 'silent' }) })
  try {
    assert.equal(log2.keyHistory(origin, identity.peerIdBytes).rotated, true)
    assert.equal((await log2.verify()).ok, true)
  } finally {
    await log2.close()
    await again.close()
  }
})
