import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { tempDir } from '../helpers/temp-dir.js'
import { Store } from '../../src/store/store.js'
import { generateIdentityKey, identityFromKeyBytes } from '../../src/identity/identity.js'
import { openHashLog, type HashLog } from '../../src/log/hash-log.js'
import type { AppendItem } from '../../src/log/entry.js'
import { createMatchIndex, type MatchIndex } from '../../src/match/match-index.js'
import { IndexFeeder } from '../../src/match/index-feeder.js'
import { CheckService } from '../../src/check/check-service.js'
import { MatchMetadata } from '../../src/check/match-metadata.js'
import { TokenStore } from '../../src/check/token-store.js'
import { TokenBuckets } from '../../src/util/token-bucket.js'
import { isHashfedError } from '../../src/errors.js'

const alice = identityFromKeyBytes(await generateIdentityKey())
const bob = identityFromKeyBytes(await generateIdentityKey())
const A = alice.peerId.toString()
const B = bob.peerId.toString()
const members = new Set([A, B])
const sha = (s: string): Uint8Array => new Uint8Array(createHash('sha256').update(s).digest())
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')

async function openLog (): Promise<{ store: Store, log: HashLog }> {
  const store = await Store.open(join(await tempDir(), 'store'), { create: true })
  return { store, log: await openHashLog({ store }) }
}

/** Every (origin, algorithm, value) the index answers for, over a fixed probe set. */
function answers (index: MatchIndex, probes: Array<{ algorithm: 'sha256' | 'pdq', value: Uint8Array }>): string[] {
  return probes.flatMap(p => index.lookup(p.algorithm, p.value).map(o => `${o.origin}:${p.algorithm}:${hex(p.value)}`)).sort()
}

test('the fed index equals an index rebuilt from the store after adds, re-adds, retracts and peer batches', async () => {
  const origin = await openLog() // Bob's node: publishes its own batches
  const node = await openLog() // our node: Alice's own log plus Bob's batches
  const index = createMatchIndex()
  const feeder = new IndexFeeder({ index, hashLog: node.log })
  await node.log.append(alice, [{ op: 'add', record: { algorithm: 'sha256', value: sha('early') } }])
  const loaded = await feeder.start()
  assert.equal(loaded.entries, 1)

  const values = Array.from({ length: 40 }, (_, i) => sha(`v${i}`))
  const pdqs = Array.from({ length: 10 }, () => new Uint8Array(randomBytes(32)))
  const probes = [...values.map(value => ({ algorithm: 'sha256' as const, value })), ...pdqs.map(value => ({ algorithm: 'pdq' as const, value })), { algorithm: 'sha256' as const, value: sha('early') }]
  const add = (value: Uint8Array, classification?: 'baseline' | 'national', algorithm: 'sha256' | 'pdq' = 'sha256'): AppendItem => ({ op: 'add', record: { algorithm, value, ...(classification !== undefined ? { classification } : {}) } })
  const retract = (value: Uint8Array): AppendItem => ({ op: 'retract', algorithm: 'sha256', value, reason: 'false positive' })

  await node.log.append(alice, [...values.slice(0, 20).map(v => add(v)), ...pdqs.map(v => add(v, undefined, 'pdq'))])
  await node.log.append(alice, [add(values[0]), add(values[1], 'national'), retract(values[2]), add(values[2]), retract(values[3])])
  await node.log.append(alice, [retract(values[4]), add(values[4], 'baseline'), retract(values[5])])
  await origin.log.append(bob, values.slice(10, 30).map(v => add(v, 'baseline')))
  await origin.log.append(bob, [retract(values[10]), add(values[11], 'national'), add(values[12])])
  for await (const signed of origin.log.readRange(B, 1)) {
    const res = await node.log.applyRemote(signed, { isMember: (o) => members.has(o) })
    assert.equal(res.status, 'stored')
  }

  const rebuilt = createMatchIndex()
  const fresh = new IndexFeeder({ index: rebuilt, hashLog: node.log })
  await fresh.start()
  fresh.stop()
  feeder.stop()
  assert.deepEqual(answers(index, probes), answers(rebuilt, probes))
  assert.deepEqual(index.counts(), rebuilt.counts())
  // spot checks against what the log says
  assert.deepEqual(index.lookup('sha256', values[3]), [], 'retracted by its only origin')
  assert.deepEqual(index.lookup('sha256', values[10]).map(o => o.origin), [A], 'Bob retracted it, Alice still vouches')
  assert.deepEqual(index.lookup('sha256', values[25]).map(o => o.origin), [B], 'Bob only')
  assert.deepEqual(index.lookup('sha256', values[2]).map(o => o.origin), [A], 'retracted then re-added in one batch')
  assert.deepEqual(index.lookup('sha256', values[12]).map(o => o.origin).sort(), [A, B].sort(), 'two origins vouch')
  const current: string[] = []
  for await (const r of node.log.currentSet()) current.push(`${r.origin}:${r.record.algorithm}:${hex(r.record.value)}`)
  assert.deepEqual(answers(index, probes), current.sort(), 'exactly the store\'s current sets')
  await node.store.close()
  await origin.store.close()
})

test('check results carry each origin\'s metadata and batch, flag low-quality PDQ, and follow retractions', async () => {
  const node = await openLog()
  const index = createMatchIndex()
  const feeder = new IndexFeeder({ index, hashLog: node.log })
  await feeder.start()
  const metadata = new MatchMetadata({ hashLog: node.log })
  const service = new CheckService({ index, metadata, nameOf: (p) => p === A ? 'EOKM' : p, maxHashes: 3 })
  const pdq = new Uint8Array(32).fill(0x5a)
  const weak = new Uint8Array(32).fill(0xc3)
  await node.log.append(alice, [
    { op: 'add', record: { algorithm: 'sha256', value: sha('x'), classification: 'national', tags: ['t1'] } },
    { op: 'add', record: { algorithm: 'pdq', value: pdq, quality: 90, classification: 'baseline' } },
    { op: 'add', record: { algorithm: 'pdq', value: weak, quality: 30 } }
  ])
  const near = new Uint8Array(pdq)
  near[0] ^= 0b111 // 3 bits away
  const [exact, nearRes, miss] = await service.check([
    { algorithm: 'sha256', value: hex(sha('x')) },
    { algorithm: 'PDQ', value: hex(near).toUpperCase(), quality: 40 },
    { algorithm: 'md5', value: '0'.repeat(32) }
  ])
  assert.equal(exact.matches.length, 1)
  const m = exact.matches[0]
  assert.equal(m.distance, 0)
  assert.equal(m.classification, 'national')
  assert.equal(m.origins[0].name, 'EOKM')
  assert.deepEqual(m.origins[0].tags, ['t1'])
  assert.equal(m.origins[0].batch.seq, 1)
  assert.equal(m.origins[0].batch.index, 0)
  const head = node.log.head(A)
  assert.equal(m.origins[0].batch.hash, hex(head?.hash ?? new Uint8Array()), 'the vouching batch hash is the stored batch\'s')
  assert.equal(nearRes.lowQuality, true, 'the query\'s quality 40 is below 50')
  assert.equal(nearRes.matches[0].distance, 3)
  assert.equal(nearRes.matches[0].value, hex(pdq))
  assert.equal(nearRes.matches[0].origins[0].lowQuality, undefined)
  assert.deepEqual(miss.matches, [])
  const [weakRes] = await service.check([{ algorithm: 'pdq', value: hex(weak) }])
  assert.equal(weakRes.matches[0].origins[0].lowQuality, true, 'the stored hash\'s quality 30 is flagged')

  // a retraction: the index and the cached metadata both follow it
  await node.log.append(alice, [{ op: 'retract', algorithm: 'sha256', value: sha('x'), reason: 'false positive' }])
  assert.deepEqual((await service.check([{ algorithm: 'sha256', value: hex(sha('x')) }]))[0].matches, [])
  // a re-add with new metadata: the cache does not serve the old classification
  await node.log.append(alice, [{ op: 'add', record: { algorithm: 'sha256', value: sha('x'), classification: 'baseline' } }])
  const again = (await service.check([{ algorithm: 'sha256', value: hex(sha('x')) }]))[0].matches[0]
  assert.equal(again.classification, 'baseline')
  assert.equal(again.origins[0].batch.seq, 3)

  // kill switch: hidden, then back
  index.setOriginEnabled(A, false)
  assert.deepEqual((await service.check([{ algorithm: 'sha256', value: hex(sha('x')) }]))[0].matches, [])
  index.setOriginEnabled(A, true)
  assert.equal((await service.check([{ algorithm: 'sha256', value: hex(sha('x')) }]))[0].matches.length, 1)

  await assert.rejects(service.check([{ algorithm: 'sha256', value: 'zz' }]), (err: unknown) => isHashfedError(err, 'HF_INVALID_HASH') && err.details?.index === 0)
  await assert.rejects(service.check(Array.from({ length: 4 }, () => ({ algorithm: 'md5', value: '0'.repeat(32) }))), (err: unknown) => isHashfedError(err, 'HF_TOO_LARGE'))
  feeder.stop()
  metadata.close()
  await node.store.close()
})

test('tokens are stored hashed, verified in memory, revoked at once and survive a reopen', async () => {
  const { store } = await openLog()
  const tokens = await TokenStore.open(store)
  const { token, info } = await tokens.create('acme-hosting')
  assert.match(token, /^hfc_[A-Za-z0-9_-]{43}$/)
  assert.equal(tokens.verify(token), 'acme-hosting')
  assert.equal(tokens.verify(token + 'x'), null)
  await assert.rejects(tokens.create('acme-hosting'), (err: unknown) => isHashfedError(err, 'HF_INVALID_ARGUMENT'))
  await assert.rejects(tokens.create('Jane Doe <jane@example.org>'), (err: unknown) => isHashfedError(err, 'HF_INVALID_ARGUMENT'))
  let raw = ''
  for await (const [k, v] of store.sub.tokens.iterator()) raw += k + Buffer.from(v).toString('utf8')
  assert.equal(raw.includes(token), false, 'the token itself is not stored')
  assert.ok(raw.includes(createHash('sha256').update(token).digest('hex')))

  const reopened = await TokenStore.open(store)
  assert.equal(reopened.verify(token), 'acme-hosting')
  const revoked = await reopened.revoke('acme-hosting')
  assert.equal(revoked.prefix, info.prefix)
  assert.notEqual(revoked.revokedAt, null)
  assert.equal(reopened.verify(token), null)
  await assert.rejects(reopened.revoke('acme-hosting'), (err: unknown) => isHashfedError(err, 'HF_NOT_FOUND'))
  const second = await reopened.create('acme-hosting')
  assert.equal(reopened.verify(second.token), 'acme-hosting', 'a revoked name can get a new token')
  // a mirror behind the same load balancer registers the same token
  const mirror = await TokenStore.open((await openLog()).store)
  await mirror.create('acme-hosting', { token: second.token })
  assert.equal(mirror.verify(second.token), 'acme-hosting')
  await assert.rejects(mirror.create('other', { token: second.token }), (err: unknown) => isHashfedError(err, 'HF_INVALID_ARGUMENT'))
  await assert.rejects(mirror.create('other', { token: 'hfc_short' }), (err: unknown) => isHashfedError(err, 'HF_INVALID_ARGUMENT'))
  const listed = reopened.list()
  assert.equal(listed.length, 2)
  assert.equal(listed.filter(t => t.revokedAt === null).length, 1)
  assert.ok(listed.every(t => t.name === 'acme-hosting' && !JSON.stringify(t).includes(token) && !JSON.stringify(t).includes(second.token)))
  await store.close()
})

test('token buckets allow the burst, then the rate, per key', () => {
  let now = 0
  const buckets = new TokenBuckets(10, 10, () => now)
  for (let i = 0; i < 10; i++) assert.equal(buckets.take('a'), 0)
  assert.equal(buckets.take('a'), 100, 'one token every 100 ms')
  assert.equal(buckets.take('b'), 0, 'another key has its own bucket')
  now += 250
  assert.equal(buckets.take('a'), 0)
  assert.equal(buckets.take('a'), 0)
  assert.ok(buckets.take('a') > 0)
  now += 10_000
  for (let i = 0; i < 10; i++) assert.equal(buckets.take('a'), 0, 'refilled up to the burst, no more')
  assert.ok(buckets.take('a') > 0)
})
