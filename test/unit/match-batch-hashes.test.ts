import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { join } from 'node:path'
import { tempDir } from '../helpers/temp-dir.js'
import { Store } from '../../src/store/store.js'
import { generateIdentityKey, identityFromKeyBytes } from '../../src/identity/identity.js'
import { openHashLog } from '../../src/log/hash-log.js'
import { decodeBatch } from '../../src/log/batch.js'
import { createMatchIndex } from '../../src/match/match-index.js'
import { IndexFeeder } from '../../src/match/index-feeder.js'
import { BatchHashes } from '../../src/match/batch-hashes.js'
import { MatchMetadata } from '../../src/check/match-metadata.js'

const sha = (s: string): Uint8Array => new Uint8Array(createHash('sha256').update(s).digest())

test('the feeder notes every batch hash (replayed, appended, applied from a peer) and match metadata answers with them', async () => {
  const alice = identityFromKeyBytes(await generateIdentityKey())
  const bob = identityFromKeyBytes(await generateIdentityKey())
  const A = alice.peerId.toString()
  const B = bob.peerId.toString()
  const store = await Store.open(join(await tempDir(), 'store'), { create: true })
  const log = await openHashLog({ store })
  const peer = await openHashLog({ store: await Store.open(join(await tempDir(), 'store'), { create: true }) })
  await log.append(alice, [{ op: 'add', record: { algorithm: 'sha256', value: sha('replayed') } }])
  const hashes = new BatchHashes()
  const feeder = new IndexFeeder({ index: createMatchIndex(), batchHashes: hashes, hashLog: log })
  await feeder.start()
  await log.append(alice, [{ op: 'add', record: { algorithm: 'sha256', value: sha('appended') } }])
  await peer.append(bob, [{ op: 'add', record: { algorithm: 'sha256', value: sha('remote') } }])
  for await (const signed of peer.readRange(B, 1)) assert.equal((await log.applyRemote(signed, { isMember: () => true })).status, 'stored')
  const stored: Array<[string, number, string]> = []
  for (const origin of [A, B]) for await (const signed of log.readRange(origin, 1)) { const b = decodeBatch(signed); stored.push([origin, b.seq, Buffer.from(b.hash).toString('hex')]) }
  assert.equal(stored.length, 3)
  for (const [origin, seq, hex] of stored) assert.equal(hashes.hex(origin, seq), hex, `${origin} ${seq}`)
  assert.equal(hashes.hex(A, 3), undefined, 'a batch not stored is not known')
  assert.equal(hashes.hex('nobody', 1), undefined)
  // a revocation from seq 2 on: those hashes go, the earlier stay
  const copy = new BatchHashes()
  for (const [origin, seq, hex] of stored) copy.set(origin, seq, Buffer.from(hex, 'hex'))
  copy.forget(A, 2)
  assert.equal(copy.hex(A, 2), undefined)
  assert.equal(copy.hex(A, 1), stored.find(s => s[0] === A && s[1] === 1)?.[2])
  assert.equal(copy.hex(B, 1), stored.find(s => s[0] === B)?.[2])

  // match answers name the same batch hash through the noted hashes
  const metadata = new MatchMetadata({ hashLog: log, batchHashes: hashes })
  const [vouch] = await metadata.get([{ algorithm: 'sha256', valueHex: Buffer.from(sha('appended')).toString('hex'), origin: A }])
  assert.equal(vouch?.batchHash, stored.find(s => s[0] === A && s[1] === 2)?.[2])
  metadata.close()
  feeder.stop()
  await log.close()
  await peer.close()
  await store.close()
})
