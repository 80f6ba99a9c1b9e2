import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { tempDir } from '../helpers/temp-dir.js'
import { createFederation, publishPeer, startMember, waitFor, type TestMember } from '../helpers/federation.js'
import { headSeq, randomAdds } from '../helpers/hashes.js'
import { HostilePeer } from '../helpers/hostile-peer.js'
import { loadNodeFiles } from '../../src/context/node-context.js'
import { buildBatch, decodeBatch } from '../../src/log/batch.js'
import { rotationRecord } from '../../src/log/key-history.js'
import { signRevocation } from '../../src/log/revocation.js'
import { loadSigningKeys } from '../../src/identity/signing-keys.js'
import { generateIdentityKey, identityFromKeyBytes, type Identity } from '../../src/identity/identity.js'
import { pb, type hashfed } from '../../src/proto/index.js'
import type { HashfedNode, StartNodeInit } from '../../src/daemon/hashfed-node.js'
import type { AppendItem } from '../../src/log/entry.js'

const running: Array<{ stop: () => Promise<void> }> = []
after(async () => { await Promise.all(running.map(async n => await n.stop().catch(() => {}))) })

async function start (m: TestMember, extra: Omit<StartNodeInit, 'dir' | 'logger'> = {}): Promise<HashfedNode> {
  const { node } = await startMember(m, undefined, extra)
  running.push(node)
  return node
}

async function post<T> (node: HashfedNode, path: string, body: unknown): Promise<T> {
  const res = await fetch(`${node.adminUrl}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
  const json = await res.json() as T
  assert.equal(res.status, 200, `${path}: ${JSON.stringify(json)}`)
  return json
}

async function get<T> (node: HashfedNode, path: string): Promise<T> {
  const res = await fetch(`${node.adminUrl}${path}`)
  assert.equal(res.status, 200)
  return await res.json() as T
}

const newIdentity = async (): Promise<Identity> => identityFromKeyBytes(await generateIdentityKey())
const entries = (n: number): hashfed.v1.HashEntry.$Properties[] => Array.from({ length: n }, () => ({ op: pb.HashEntry.Op.ADD, algorithm: pb.Algorithm.SHA256, value: new Uint8Array(randomBytes(32)), classification: pb.Classification.BASELINE }))
const matches = (node: HashfedNode, value: Uint8Array, origin: string): boolean => node.match.index.lookup('sha256', value).some(r => r.origin === origin)
const valueOf = (item: AppendItem): Uint8Array => (item as { record: { value: Uint8Array } }).record.value

test('a rotation at A is accepted at B and at C (offline meanwhile, catching up through B); old-key and forged rotations are refused, counted and penalised', { timeout: 180_000 }, async () => {
  const root = await tempDir()
  const [aM, bM, cM, hM] = await createFederation(root, [{ name: 'A', countries: ['NL'] }, { name: 'B', countries: ['DE'] }, { name: 'C', countries: ['GB'] }, { name: 'H', countries: ['FR'] }])
  const genesis = (await loadNodeFiles(aM.dir)).identity
  let a = await start(aM)
  const b = await start(bM, { penalties: { threshold: 10_000 } })
  assert.ok(await waitFor(() => b.members.isConnected(aM.peerId), 15_000))
  await a.hashLog.append(a.ctx.identity, randomAdds(10))
  assert.ok(await waitFor(() => headSeq(b, aM.peerId) === 1, 15_000))

  const rotated = await post<{ seq: number, newKey: string }>(a, '/v1/keys/rotate', {})
  assert.equal(rotated.seq, 2)
  const later = randomAdds(5)
  await a.hashLog.append(a.ctx.identity, later)
  assert.ok(await waitFor(() => headSeq(b, aM.peerId) === 3, 15_000), 'B takes the rotation and the batch signed by the new key')
  assert.equal(b.hashLog.keyHistory(aM.peerId, genesis.peerIdBytes).epochs.length, 2)
  assert.ok(matches(b, valueOf(later[0]), aM.peerId), 'entries signed by the new key match at B')

  // C was offline during the rotation; A goes away: C learns it from B
  await a.stop()
  const c = await start(cM, { penalties: { threshold: 10_000 } })
  assert.ok(await waitFor(() => headSeq(c, aM.peerId) === 3, 20_000), 'C catches up through B')
  assert.equal((await c.hashLog.verifyOrigin(aM.peerId)).ok, true)
  const status = await get<{ origins: Array<{ name: string, currentKey: string, epochs: unknown[] }> }>(c, '/v1/keys')
  assert.equal(status.origins.find(o => o.name === 'A')?.currentKey, rotated.newKey)

  // whoever holds A's old key signs batch 4: refused at B and C, counted and an offence of the relaying member
  const head3 = decodeBatch((await b.hashLog.getBatch(aM.peerId, 3))!)
  const byOldKey = buildBatch({ identity: genesis, seq: 4, prevHash: head3.hash, entries: entries(3) }).signed
  // a rotation away from the new key that the old key signed, and one whose new key did not sign
  const attackerKey = await newIdentity()
  const oldKeyRotation = buildBatch({ identity: genesis, seq: 4, prevHash: head3.hash, entries: [], rotation: rotationRecord(genesis.peerIdBytes, 4, head3.hash, attackerKey) }).signed
  const [newKey] = await loadSigningKeys(`${aM.dir}/keys`)
  const forgedRotation = buildBatch({ identity: { ...genesis, sign: newKey.sign }, seq: 4, prevHash: head3.hash, entries: [], rotation: { newKey: attackerKey.peerIdBytes, newKeySignature: new Uint8Array(64) } }).signed
  const h = await HostilePeer.start({ member: hM, batches: new Map([[aM.peerId, [byOldKey]]]) })
  running.push(h)
  await publishPeer(hM, h)
  for (const [node, m] of [[b, bM], [c, cM]] as const) {
    assert.ok(await waitFor(() => node.members.isConnected(hM.peerId), 15_000))
    for (const [forged, reason] of [[byOldKey, 'old-key'], [oldKeyRotation, 'old-key'], [forgedRotation, 'bad-key-record']] as const) {
      const before = node.replicator.rejections.count(reason)
      h.set({ frames: () => [[forged]] })
      void h.session(m)
      assert.ok(await waitFor(() => node.replicator.rejections.count(reason) > before, 20_000), `${m.name}: ${reason} counted`)
      assert.equal(headSeq(node, aM.peerId), 3, `${m.name}: nothing stored`)
    }
    assert.ok(node.penalties.offences.count('old-key') >= 2 && node.penalties.offences.count('bad-key-record') >= 1, `${m.name}: offences of H`)
  }

  // A restarts: it signs with the key its log names (from keys/), and B and C take the batch
  a = await start(aM)
  await a.hashLog.append(a.ctx.identity, randomAdds(2))
  assert.ok(await waitFor(() => headSeq(b, aM.peerId) === 4 && headSeq(c, aM.peerId) === 4, 20_000), 'A\'s next batch after restart is accepted')
  const verify = await get<{ ok: boolean }>(b, '/v1/verify')
  assert.equal(verify.ok, true, 'hashfed verify follows the key history')
})

test('a revocation from A\'s recovery key takes the attacker\'s batches out of matching at every node; A\'s earlier entries still match; forged revocations are refused and penalised', { timeout: 180_000 }, async () => {
  const root = await tempDir()
  const [aM, bM, cM, hM] = await createFederation(root, [{ name: 'A', countries: ['NL'] }, { name: 'B', countries: ['DE'] }, { name: 'C', countries: ['GB'] }, { name: 'H', countries: ['FR'] }])
  assert.ok(aM.recoveryKey !== undefined && aM.recoveryKeyFile !== undefined, 'init made a recovery key')
  const stolen = (await loadNodeFiles(aM.dir)).identity
  const a = await start(aM)
  const b = await start(bM, { penalties: { threshold: 10_000 } })
  const c = await start(cM, { penalties: { threshold: 10_000 } })
  const honest = randomAdds(10)
  await a.hashLog.append(a.ctx.identity, honest)
  assert.ok(await waitFor(() => headSeq(b, aM.peerId) === 1 && headSeq(c, aM.peerId) === 1, 20_000))
  const batch1 = decodeBatch((await b.hashLog.getBatch(aM.peerId, 1))!)

  // the thief signs batch 2 with A's stolen key: benign images as known material, and a retraction of A's first hash
  const planted = entries(3)
  const attack = buildBatch({
    identity: stolen,
    seq: 2,
    prevHash: batch1.hash,
    entries: [...planted, { op: pb.HashEntry.Op.RETRACT, algorithm: pb.Algorithm.SHA256, value: valueOf(honest[0]), reason: 'attacker' }]
  }).signed
  const h = await HostilePeer.start({ member: hM, batches: new Map([[aM.peerId, [batch1.signed, attack]]]) })
  running.push(h)
  await publishPeer(hM, h)
  assert.ok(await waitFor(() => b.members.isConnected(hM.peerId), 15_000))
  await h.session(bM)
  const plantedValue = planted[0].value as Uint8Array
  assert.ok(await waitFor(() => [b, c].every(n => matches(n, plantedValue, aM.peerId)), 20_000), 'before the revocation the planted hash matches at B and C')
  assert.equal(matches(b, valueOf(honest[0]), aM.peerId), false, 'and A\'s first hash was retracted by the thief')

  // A revokes from batch 2 with the offline recovery key
  const recoveryKey = (await readFile(aM.recoveryKeyFile)).toString('base64')
  const revoked = await post<{ firstBadSeq: number, newKey: string, notified: number }>(a, '/v1/keys/revoke', { recoveryKey, fromSeq: 2 })
  assert.equal(revoked.firstBadSeq, 2)
  for (const [node, name] of [[a, 'A'], [b, 'B'], [c, 'C']] as const) {
    assert.ok(await waitFor(() => headSeq(node, aM.peerId) === 1 && !matches(node, plantedValue, aM.peerId), 20_000), `${name}: the thief's batch no longer matches`)
    for (const item of honest) assert.ok(matches(node, valueOf(item), aM.peerId), `${name}: A's earlier entries still match (the thief's retraction is undone)`)
    assert.equal((await node.hashLog.verifyOrigin(aM.peerId)).ok, true)
  }
  // the notices are receipted (the operator waits for this before publishing again): none stays in A's outbox for B or C
  assert.ok(await waitFor(() => a.reports.courier.outbox.depth(bM.peerId) === 0 && a.reports.courier.outbox.depth(cM.peerId) === 0, 20_000), 'the revocation notices are receipted')
  for (const node of [b, c]) {
    const keys = await get<{ alarm: boolean, origins: Array<{ name: string, revokedBatches: Array<{ seq: number }> }> }>(node, '/v1/keys')
    assert.equal(keys.alarm, true, 'operators see the alarm')
    assert.deepEqual(keys.origins.find(o => o.name === 'A')?.revokedBatches.map(r => r.seq), [2], 'the thief\'s batch is kept as evidence')
    const status = await get<{ revocations: Array<{ name: string, firstBadSeq: number, evidence: Array<{ seq: number }> }> }>(node, '/v1/status')
    assert.deepEqual(status.revocations.map(r => [r.name, r.firstBadSeq, r.evidence.map(e => e.seq)]), [['A', 2, [2]]], 'status shows the alarm with its evidence')
    const rows = await node.hashLog.show('sha256', plantedValue)
    assert.equal(rows.some(r => r.origin === aM.peerId), false, 'no index row vouches for the planted hash')
  }

  // the thief's batch served again is refused as revoked (counted; not an offence: a member the revocation has not reached relays it in good faith)
  const before = b.replicator.rejections.count('revoked')
  h.set({ frames: () => [[attack]] })
  void h.session(bM)
  assert.ok(await waitFor(() => b.replicator.rejections.count('revoked') > before, 20_000), 'the thief\'s batch is refused as revoked')
  assert.equal(headSeq(b, aM.peerId), 1)
  assert.equal(b.penalties.offences.count('revoked'), 0)

  // A publishes again with the key the revocation named: accepted everywhere
  const fresh = randomAdds(4)
  await a.hashLog.append(a.ctx.identity, fresh)
  assert.ok(await waitFor(() => [b, c].every(n => headSeq(n, aM.peerId) === 2 && matches(n, valueOf(fresh[0]), aM.peerId)), 20_000), 'A\'s new batch 2 is accepted')

  // a revocation not signed by A's recovery key, carried by H's courier: refused, counted, an offence
  const fake = signRevocation(await newIdentity(), { origin: stolen.peerIdBytes, firstBadSeq: 1, newKey: (await newIdentity()).peerIdBytes })
  const hNode = await startHostileCourier(hM)
  const notice = pb.KeyNotice.encode({ author: hNode.ctx.identity.peerIdBytes, revocation: fake }).finish()
  const rejectedBefore = b.reports.courier.inbox.rejections.count('bad-signature')
  await hNode.reports.courier.send(bM.peerId, { keyNotice: { body: notice, signature: hNode.ctx.identity.sign(notice) } }, { subject: 'forged-revocation' })
  assert.ok(await waitFor(() => b.reports.courier.inbox.rejections.count('bad-signature') > rejectedBefore, 20_000), 'forged revocation counted')
  assert.ok(b.penalties.offences.count('report:bad-signature') >= 1, 'and penalised')
  assert.equal(headSeq(b, aM.peerId), 2, 'nothing changed')
})

/** H as a real node (its HostilePeer stopped first): its courier carries what the test makes it send. */
async function startHostileCourier (hM: TestMember): Promise<HashfedNode> {
  for (const r of running) if (r instanceof HostilePeer) await r.stop()
  return await start(hM)
}
