import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { join } from 'node:path'
import { tempDir } from '../helpers/temp-dir.js'
import { Store } from '../../src/store/store.js'
import { generateIdentityKey, identityFromKeyBytes, type Identity } from '../../src/identity/identity.js'
import { openHashLog, type BatchEvent, type ForkEvent, type HashLog } from '../../src/log/hash-log.js'
import { buildBatch } from '../../src/log/batch.js'
import { entryToProto } from '../../src/log/entry-codec.js'
import { pb } from '../../src/proto/index.js'
import { MAX_SIGNED_BATCH_BYTES } from '../../src/log/constants.js'

const alice = identityFromKeyBytes(await generateIdentityKey())
const mallory = identityFromKeyBytes(await generateIdentityKey())
const A = alice.peerId.toString()
const M = mallory.peerId.toString()
const sha = (s: string): Uint8Array => new Uint8Array(createHash('sha256').update(s).digest())
const members = new Set([A, M])
const isMember = (origin: string): boolean => members.has(origin)

async function node (): Promise<{ store: Store, log: HashLog }> {
  const store = await Store.open(join(await tempDir(), 'store'), { create: true })
  return { store, log: await openHashLog({ store }) }
}

async function collect (it: AsyncIterable<Uint8Array>): Promise<Uint8Array[]> {
  const out: Uint8Array[] = []
  for await (const x of it) out.push(x)
  return out
}

/** Every key and value of the store, to prove a refused batch changed nothing. */
async function dump (store: Store): Promise<string[]> {
  const out: string[] = []
  for await (const [k, v] of store.db.iterator()) out.push(`${k}=${Buffer.from(v).toString('hex')}`)
  return out
}

async function currentOf (log: HashLog): Promise<string[]> {
  const out: string[] = []
  for await (const r of log.currentSet()) out.push(`${r.origin}:${r.record.algorithm}:${Buffer.from(r.record.value).toString('hex')}:${r.record.classification ?? ''}`)
  return out.sort()
}

/** Alice's log with three batches: two adds, then a retract and an add. */
async function aliceLog (): Promise<{ store: Store, log: HashLog, batches: Uint8Array[] }> {
  const a = await node()
  await a.log.append(alice, [{ op: 'add', record: { algorithm: 'sha256', value: sha('1'), classification: 'baseline' } }, { op: 'add', record: { algorithm: 'md5', value: sha('2').subarray(0, 16) } }])
  await a.log.append(alice, [{ op: 'add', record: { algorithm: 'pdq', value: sha('3'), quality: 80 } }])
  await a.log.append(alice, [{ op: 'retract', algorithm: 'sha256', value: sha('1'), reason: 'false positive' }, { op: 'add', record: { algorithm: 'sha1', value: sha('4').subarray(0, 20) } }])
  return { ...a, batches: await collect(a.log.readRange(A, 1)) }
}

function signWith (identity: Identity, body: Uint8Array): Uint8Array {
  return pb.Signed.encode({ body, signature: identity.sign(body) }).finish()
}

test('a peer applies an origin\'s batches read with readRange and converges on the same log', async () => {
  const a = await aliceLog()
  const b = await node()
  const events: BatchEvent[] = []
  b.log.on('batch', e => events.push(e))
  assert.equal(a.batches.length, 3)
  for (const signed of a.batches) {
    const r = await b.log.applyRemote(signed, { isMember, fromPeer: M })
    assert.equal(r.status, 'stored')
  }
  assert.deepEqual(b.log.heads().map(h => [h.origin, h.seq, Buffer.from(h.hash).toString('hex'), h.current, h.retracted, h.entries]),
    a.log.heads().map(h => [h.origin, h.seq, Buffer.from(h.hash).toString('hex'), h.current, h.retracted, h.entries]))
  assert.deepEqual(await currentOf(b.log), await currentOf(a.log))
  assert.equal((await currentOf(b.log)).length, 3)
  assert.deepEqual((await b.log.show('sha256', sha('1')))[0].retracted, { seq: 3, reason: 'false positive' })
  assert.deepEqual(await collect(b.log.readRange(A, 2, 3)), a.batches.slice(1))
  assert.equal((await b.log.verifyOrigin(A)).ok, true)
  assert.deepEqual(events.map(e => [e.origin, e.seq, e.local, e.fromPeer, e.entries.length]), [[A, 1, false, M, 2], [A, 2, false, M, 1], [A, 3, false, M, 2]])

  // the same batch again is a duplicate and changes nothing
  const before = await dump(b.store)
  assert.deepEqual(await b.log.applyRemote(a.batches[1], { isMember }), { status: 'duplicate', origin: A, seq: 2 })
  assert.deepEqual(await dump(b.store), before)
  await a.store.close()
  await b.store.close()
})

test('forged signatures, non-members and batches claiming another origin are refused with the store unchanged', async () => {
  const a = await aliceLog()
  const b = await node()
  await b.log.applyRemote(a.batches[0], { isMember })
  const before = await dump(b.store)
  const body2 = pb.Signed.decode(a.batches[1]).body

  const forged = signWith(mallory, body2) // Mallory re-signs Alice's batch 2
  assert.deepEqual(pick(await b.log.applyRemote(forged, { isMember })), ['rejected', 'bad-signature'])

  const tampered = pb.BatchBody.decode(body2)
  tampered.entries[0].classification = pb.Classification.NOT_ILLEGAL // altered entry, original signature
  const altered = pb.Signed.encode({ body: pb.BatchBody.encode(tampered).finish(), signature: pb.Signed.decode(a.batches[1]).signature }).finish()
  assert.deepEqual(pick(await b.log.applyRemote(altered, { isMember })), ['rejected', 'bad-signature'])

  // Mallory signs a batch that claims to be Alice's
  const claim = pb.BatchBody.encode({ version: 1, origin: alice.peerIdBytes, seq: 2, prevHash: b.log.head(A)?.hash, createdMs: 1, entries: [entryToProto({ op: 'add', record: { algorithm: 'sha256', value: sha('evil') } })] }).finish()
  assert.deepEqual(pick(await b.log.applyRemote(signWith(mallory, claim), { isMember })), ['rejected', 'bad-signature'])

  // Alice is not (or no longer) a member
  assert.deepEqual(pick(await b.log.applyRemote(a.batches[1], { isMember: o => o === M })), ['rejected', 'not-member'])

  // bytes that are no batch at all, and a validly signed batch with an invalid entry
  assert.deepEqual(pick(await b.log.applyRemote(new Uint8Array([1, 2, 3, 4]), { isMember })), ['rejected', 'malformed'])
  assert.deepEqual(pick(await b.log.applyRemote(new Uint8Array(MAX_SIGNED_BATCH_BYTES + 1), { isMember })), ['rejected', 'too-large'])
  const badEntry = pb.BatchBody.encode({ version: 1, origin: alice.peerIdBytes, seq: 2, prevHash: b.log.head(A)?.hash, createdMs: 1, entries: [{ op: 1, algorithm: pb.Algorithm.SHA256, value: new Uint8Array(7) }] }).finish()
  assert.deepEqual(pick(await b.log.applyRemote(signWith(alice, badEntry), { isMember })), ['rejected', 'malformed'])

  assert.deepEqual(await dump(b.store), before)
  assert.equal(b.log.head(A)?.seq, 1)
  // the genuine batch still goes in afterwards
  assert.equal((await b.log.applyRemote(a.batches[1], { isMember })).status, 'stored')
  await a.store.close()
  await b.store.close()
})

test('gaps, re-ordered batches and broken chains are refused', async () => {
  const a = await aliceLog()
  const b = await node()
  const empty = await dump(b.store)
  assert.deepEqual(pick(await b.log.applyRemote(a.batches[1], { isMember })), ['rejected', 'gap']) // 2 before 1
  assert.deepEqual(await dump(b.store), empty)
  assert.equal((await b.log.applyRemote(a.batches[0], { isMember })).status, 'stored')
  assert.deepEqual(pick(await b.log.applyRemote(a.batches[2], { isMember })), ['rejected', 'gap']) // 3 after 1

  // Alice herself signs a batch 2 that does not follow her batch 1
  const wrongPrev = buildBatch({ identity: alice, seq: 2, prevHash: sha('not batch 1'), entries: [] })
  const before = await dump(b.store)
  const r = await b.log.applyRemote(wrongPrev.signed, { isMember })
  assert.deepEqual(pick(r), ['rejected', 'broken-chain'])
  assert.deepEqual(await dump(b.store), before)

  assert.equal((await b.log.applyRemote(a.batches[1], { isMember })).status, 'stored')
  assert.equal((await b.log.applyRemote(a.batches[2], { isMember })).status, 'stored')
  assert.equal((await b.log.verifyOrigin(A)).ok, true)
  await a.store.close()
  await b.store.close()
})

test('onVerified (the relay hook) sees a batch only once it is verified as the next, before it is stored; never a refused or held one', async () => {
  const a = await aliceLog()
  const b = await node()
  const seen: Array<{ seq: number, headAtCall: number }> = []
  const onVerified = (v: { origin: string, seq: number, prevHash: Uint8Array, signed: Uint8Array }): void => {
    assert.equal(v.origin, A)
    seen.push({ seq: v.seq, headAtCall: b.log.head(A)?.seq ?? 0 })
  }
  // refused: a gap, a forged signature, a non-member
  assert.deepEqual(pick(await b.log.applyRemote(a.batches[1], { isMember, onVerified })), ['rejected', 'gap'])
  assert.deepEqual(pick(await b.log.applyRemote(signWith(mallory, pb.Signed.decode(a.batches[0]).body), { isMember, onVerified })), ['rejected', 'bad-signature'])
  assert.deepEqual(pick(await b.log.applyRemote(a.batches[0], { isMember: o => o === M, onVerified })), ['rejected', 'not-member'])
  assert.deepEqual(seen, [])
  // verified: called with the exact signed bytes while the head is still the one before
  let relayed: Uint8Array | undefined
  assert.equal((await b.log.applyRemote(a.batches[0], { isMember, onVerified: (v) => { relayed = v.signed; onVerified(v) } })).status, 'stored')
  assert.deepEqual(Buffer.from(relayed ?? []), Buffer.from(a.batches[0]))
  assert.equal((await b.log.applyRemote(a.batches[1], { isMember, onVerified })).status, 'stored')
  // held already: nothing to relay
  assert.equal((await b.log.applyRemote(a.batches[1], { isMember, onVerified })).status, 'duplicate')
  assert.deepEqual(seen, [{ seq: 1, headAtCall: 0 }, { seq: 2, headAtCall: 1 }])
  // a throwing hook does not stop the batch being stored
  assert.equal((await b.log.applyRemote(a.batches[2], { isMember, onVerified: () => { throw new Error('listener bug') } })).status, 'stored')
  assert.equal(b.log.head(A)?.seq, 3)
  await a.store.close()
  await b.store.close()
})

test('a byte-exact copy of a held batch is a duplicate; a copy signed differently or of a removed member still takes the full check', async () => {
  const a = await aliceLog()
  const b = await node()
  for (const bytes of a.batches) assert.equal((await b.log.applyRemote(bytes, { isMember })).status, 'stored')
  // copies arrive from several neighbours, and the origin gets its own batches back
  for (const bytes of a.batches) assert.deepEqual(pick(await b.log.applyRemote(bytes, { isMember })), ['duplicate', undefined])
  assert.deepEqual(pick(await a.log.applyRemote(a.batches[2], { isMember })), ['duplicate', undefined])
  // the same body under Mallory's signature is not a copy: refused as before, not waved through
  const before = await dump(b.store)
  assert.deepEqual(pick(await b.log.applyRemote(signWith(mallory, pb.Signed.decode(a.batches[2]).body), { isMember })), ['rejected', 'bad-signature'])
  // nor is a copy whose origin is no longer a member
  assert.deepEqual(pick(await b.log.applyRemote(a.batches[2], { isMember: o => o === M })), ['rejected', 'not-member'])
  assert.deepEqual(await dump(b.store), before)
  await a.store.close()
  await b.store.close()
})

test('a fork is refused and both signed batches are kept as evidence', async () => {
  const a = await aliceLog()
  const b = await node()
  const forks: ForkEvent[] = []
  b.log.on('fork', e => forks.push(e))
  for (const s of a.batches) await b.log.applyRemote(s, { isMember })
  const current = await currentOf(b.log)

  // Alice (same key, another store) signs a different batch 2
  const other = await node()
  await other.log.applyRemote(a.batches[0], { isMember })
  await other.log.append(alice, [{ op: 'add', record: { algorithm: 'sha256', value: sha('other history') } }])
  const [forked] = await collect(other.log.readRange(A, 2, 2))

  const r = await b.log.applyRemote(forked, { isMember, fromPeer: M })
  assert.deepEqual(pick(r), ['rejected', 'fork'])
  assert.deepEqual(await currentOf(b.log), current)
  assert.equal(b.log.head(A)?.seq, 3)

  const evidence = await b.log.forks()
  assert.equal(evidence.length, 1)
  assert.equal(evidence[0].origin, A)
  assert.equal(evidence[0].seq, 2)
  assert.equal(evidence[0].reportedBy, M)
  assert.deepEqual(Buffer.from(evidence[0].kept), Buffer.from(a.batches[1]))
  assert.deepEqual(Buffer.from(evidence[0].refused), Buffer.from(forked))
  assert.notDeepEqual(Buffer.from(evidence[0].keptHash), Buffer.from(evidence[0].refusedHash))
  assert.deepEqual(forks.map(f => [f.origin, f.seq, f.fromPeer]), [[A, 2, M]])

  // offered again: still refused, evidence not duplicated
  assert.deepEqual(pick(await b.log.applyRemote(forked, { isMember })), ['rejected', 'fork'])
  assert.equal((await b.log.forks()).length, 1)
  assert.equal((await b.log.verifyOrigin(A)).ok, true)
  await Promise.all([a.store.close(), b.store.close(), other.store.close()])
})

test('a remote retraction of a hash the origin never added is stored as a no-op', async () => {
  const b = await node()
  const batch = buildBatch({ identity: alice, seq: 1, prevHash: new Uint8Array(0), entries: [entryToProto({ op: 'retract', algorithm: 'sha256', value: sha('never'), reason: 'x' })] })
  assert.equal((await b.log.applyRemote(batch.signed, { isMember })).status, 'stored')
  assert.deepEqual(b.log.listOrigins().map(o => [o.headSeq, o.entries, o.retractions, o.logEntries]), [[1, 0, 0, 1]])
  assert.deepEqual(await b.log.show('sha256', sha('never')), [])
  await b.store.close()
})

function pick (r: { status: string, reason?: string }): [string, string | undefined] {
  return [r.status, r.reason]
}
