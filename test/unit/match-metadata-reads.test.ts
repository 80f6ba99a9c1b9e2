import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { join } from 'node:path'
import { tempDir } from '../helpers/temp-dir.js'
import { Store } from '../../src/store/store.js'
import { generateIdentityKey, identityFromKeyBytes } from '../../src/identity/identity.js'
import { openHashLog, type HashLog } from '../../src/log/hash-log.js'
import { MatchMetadata } from '../../src/check/match-metadata.js'

const alice = identityFromKeyBytes(await generateIdentityKey())
const A = alice.peerId.toString()
const sha = (s: string): Uint8Array => new Uint8Array(createHash('sha256').update(s).digest())
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')

/** The real log, with its index-row reads counted. */
function counted (log: HashLog): { log: HashLog, reads: () => number } {
  let reads = 0
  const rowsOf = log.rowsOf.bind(log)
  const view = Object.create(log) as HashLog
  view.rowsOf = async (keys) => { reads++; return await rowsOf(keys) }
  return { log: view, reads: () => reads }
}

test('metadata of a value asked by many requests at once is read once; a batch meanwhile is not answered from the read before it', async () => {
  const store = await Store.open(join(await tempDir(), 'store'), { create: true })
  const log = await openHashLog({ store })
  await log.append(alice, [{ op: 'add', record: { algorithm: 'sha256', value: sha('x'), classification: 'national' } }])
  const { log: view, reads } = counted(log)
  const metadata = new MatchMetadata({ hashLog: view, cacheEntries: 0 })
  const ref = { algorithm: 'sha256', valueHex: hex(sha('x')), origin: A }

  const answers = await Promise.all(Array.from({ length: 32 }, async () => await metadata.get([ref, ref])))
  assert.equal(reads(), 1, 'one read for 32 concurrent requests')
  for (const a of answers) for (const v of a) assert.equal(v?.meta.classification, 'national')

  // a retraction lands while a read is under way: a request after it reads again and sees it
  const before = metadata.get([ref])
  await log.append(alice, [{ op: 'retract', algorithm: 'sha256', value: sha('x'), reason: 'false positive' }])
  const after = await metadata.get([ref])
  await before
  assert.equal(after[0], null, 'retracted: not the answer of the read that started before the batch')
  assert.equal(reads(), 3)

  // a failed read fails every request that joined it, and the next request reads again
  await store.close()
  const failing = await Promise.allSettled([metadata.get([ref]), metadata.get([ref])])
  assert.deepEqual(failing.map(f => f.status), ['rejected', 'rejected'])
  assert.equal(reads(), 4)
  metadata.close()
})
