import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { tempDir } from '../helpers/temp-dir.js'
import { addToFederation, createMembers, keepAddressless, publishPeer, startMember, waitFor, type TestMember } from '../helpers/federation.js'
import { headSeq, headsOf, randomAdds } from '../helpers/hashes.js'
import { loadFederation, saveFederation } from '../../src/config/federation.js'
import { nodeDir } from '../../src/config/node-dir.js'
import type { HashfedNode } from '../../src/daemon/hashfed-node.js'

const running: HashfedNode[] = []
after(async () => { await Promise.all(running.map(async n => await n.stop())) })

async function start (m: TestMember): Promise<HashfedNode> {
  const { node } = await startMember(m)
  running.push(node)
  return node
}

/** Everyone knows everyone's key (to verify batches), but only the listed pairs have addresses. */
async function topology (members: TestMember[], links: Array<[number, number]>): Promise<void> {
  for (const [i, m] of members.entries()) {
    await addToFederation(m, members)
    const path = nodeDir(m.dir).federation
    const fed = await loadFederation(path)
    const dialable = new Set(links.filter(([a]) => a === i).map(([, b]) => members[b].peerId))
    fed.members = fed.members.map(x => x.peerId === m.peerId || dialable.has(x.peerId) ? x : { ...x, addresses: [] })
    await saveFederation(path, fed)
    for (const x of members) if (x !== m && !dialable.has(x.peerId)) keepAddressless(m, x)
  }
}

test('line topology A–B–C: a batch published at A is stored and verified at C', async () => {
  const root = await tempDir()
  const members = await createMembers(root, [{ name: 'A', countries: ['NL'] }, { name: 'B', countries: ['DE'] }, { name: 'C', countries: ['GB'] }])
  await topology(members, [[0, 1], [1, 2]])
  const [a, b, c] = await Promise.all(members.map(start))
  assert.ok(await waitFor(() => a.members.isConnected(members[1].peerId) && c.members.isConnected(members[1].peerId)))
  assert.equal(a.libp2p.getConnections().some(x => x.remotePeer.toString() === members[2].peerId), false, 'A and C are not connected')

  const t0 = Date.now()
  await a.hashLog.append(a.ctx.identity, randomAdds(500))
  assert.ok(await waitFor(() => headSeq(c, members[0].peerId) === 1, 30_000), 'C holds A\'s batch')
  process.stdout.write(`# line A–B–C: 500 entries from A stored at C in ${Date.now() - t0} ms\n`)
  const verified = await c.hashLog.verifyOrigin(members[0].peerId)
  assert.equal(verified.ok, true)
  assert.deepEqual(headsOf(c), headsOf(a))
  assert.equal(c.hashLog.head(members[0].peerId)?.current, 500)
})

test('three publishing members converge to identical per-origin heads; a stopped node catches up on restart', async () => {
  const root = await tempDir()
  const members = await createMembers(root, [{ name: 'EOKM', countries: ['NL'] }, { name: 'DE', countries: ['DE'] }, { name: 'GB', countries: ['GB'] }])
  for (const m of members) await addToFederation(m, members)
  const nodes = await Promise.all(members.map(start))
  assert.ok(await waitFor(() => nodes.every(n => n.members.connectedPeers().length === 2)))

  await Promise.all(nodes.map(async (n, i) => {
    for (let k = 0; k < 3; k++) await n.hashLog.append(n.ctx.identity, randomAdds(100 + i))
  }))
  const converged = (): boolean => nodes.every(n => n.hashLog.heads().length === 3 && JSON.stringify(headsOf(n)) === JSON.stringify(headsOf(nodes[0])))
  assert.ok(await waitFor(converged, 10_000), 'all three hold all three logs')
  for (const m of members) assert.equal(headSeq(nodes[2], m.peerId), 3)

  // GB goes down while the others publish
  await nodes[2].stop()
  await nodes[0].hashLog.append(nodes[0].ctx.identity, randomAdds(50))
  await nodes[1].hashLog.append(nodes[1].ctx.identity, randomAdds(60))
  const gb = await start(members[2])
  assert.ok(await waitFor(() => headSeq(gb, members[0].peerId) === 4 && headSeq(gb, members[1].peerId) === 4, 15_000), 'restarted node catches up')
  assert.deepEqual(headsOf(gb), headsOf(nodes[0]))
  for (const m of members) assert.equal((await gb.hashLog.verifyOrigin(m.peerId)).ok, true)
})

/** Batches of `origin` as stored at `node`, in order. */
async function batchesOf (node: HashfedNode, origin: string): Promise<Uint8Array[]> {
  const out: Uint8Array[] = []
  for await (const b of node.hashLog.readRange(origin, 1)) out.push(b)
  return out
}

test('a peer serving a tampered batch is rejected and counted; the honest path still delivers', async () => {
  const { HostilePeer } = await import('../helpers/hostile-peer.js')
  const { pb } = await import('../../src/proto/index.js')
  const root = await tempDir()
  const members = await createMembers(root, [{ name: 'A', countries: ['NL'] }, { name: 'C', countries: ['GB'] }, { name: 'H', countries: ['FR'] }])
  for (const m of members) await addToFederation(m, members)
  const a = await start(members[0])
  await a.hashLog.append(a.ctx.identity, randomAdds(200))
  const genuine = await batchesOf(a, members[0].peerId)
  await a.stop()

  // H serves A's batch with one entry byte flipped (signature no longer matches)
  const signed = pb.Signed.decode(genuine[0])
  const body = new Uint8Array(signed.body)
  body[body.length - 5] ^= 0x01
  const tampered = pb.Signed.encode({ body, signature: signed.signature }).finish()
  const h = await HostilePeer.start({ member: members[2], batches: new Map([[members[0].peerId, [tampered]]]) })
  await publishPeer(members[2], h)
  const c = await start(members[1])
  try {
    assert.ok(await waitFor(() => c.replicator.rejections.count('bad-signature') === 1, 10_000), 'tampered batch rejected as bad-signature')
    assert.equal(headSeq(c, members[0].peerId), 0, 'nothing stored from the tampered batch')
    assert.equal(c.replicator.rejections.recent()[0].peer, members[2].peerId)

    const a2 = await start(members[0])
    assert.ok(await waitFor(() => headSeq(c, members[0].peerId) === 1, 10_000), 'honest origin delivers')
    assert.deepEqual(headsOf(c)[members[0].peerId], headsOf(a2)[members[0].peerId])
    assert.equal((await c.hashLog.verifyOrigin(members[0].peerId)).ok, true)
  } finally {
    await h.stop()
  }
})

test('a transfer cut mid-stream resumes from the last verified batch without duplicates', async () => {
  const { HostilePeer } = await import('../helpers/hostile-peer.js')
  const root = await tempDir()
  const members = await createMembers(root, [{ name: 'A', countries: ['NL'] }, { name: 'C', countries: ['GB'] }, { name: 'H', countries: ['FR'] }])
  for (const m of members) await addToFederation(m, members)
  const a = await start(members[0])
  for (let i = 0; i < 10; i++) await a.hashLog.append(a.ctx.identity, randomAdds(50))
  const genuine = await batchesOf(a, members[0].peerId)
  const aHeads = headsOf(a)
  await a.stop()

  // H relays A's genuine log but cuts every session after 4 batches
  const h = await HostilePeer.start({ member: members[2], batches: new Map([[members[0].peerId, genuine]]), cutAfter: 4 })
  await publishPeer(members[2], h)
  const c = await start(members[1])
  try {
    assert.ok(await waitFor(() => headSeq(c, members[0].peerId) >= 4, 10_000))
    assert.equal(headSeq(c, members[0].peerId), 4, 'stops at the cut, keeping what was verified')
    await h.stop()
    await start(members[0])
    assert.ok(await waitFor(() => headSeq(c, members[0].peerId) === 10, 10_000), 'resumes from seq 5')
    assert.deepEqual(headsOf(c)[members[0].peerId], aHeads[members[0].peerId])
    assert.equal(c.hashLog.head(members[0].peerId)?.current, 500, 'every entry once')
    assert.equal((await c.hashLog.verifyOrigin(members[0].peerId)).ok, true)
  } finally {
    await h.stop().catch(() => {})
  }
})

test('a forked origin is detected: evidence kept, second history refused, alarm raised', async () => {
  const { HostilePeer } = await import('../helpers/hostile-peer.js')
  const { buildBatch } = await import('../../src/log/batch.js')
  const { entryToProto } = await import('../../src/log/entry-codec.js')
  const root = await tempDir()
  const members = await createMembers(root, [{ name: 'A', countries: ['NL'] }, { name: 'C', countries: ['GB'] }, { name: 'H', countries: ['FR'] }])
  for (const m of members) await addToFederation(m, members)
  const a = await start(members[0])
  await a.hashLog.append(a.ctx.identity, randomAdds(10))
  const genuine = await batchesOf(a, members[0].peerId)
  // the origin itself signs a second, different batch 1 (equivocation) and gives it to H
  const other = buildBatch({ identity: a.ctx.identity, seq: 1, prevHash: new Uint8Array(), entries: randomAdds(10).map(e => entryToProto(e as never)) })
  const h = await HostilePeer.start({ member: members[2], batches: new Map([[members[0].peerId, [other.signed]]]) })
  await publishPeer(members[2], h)
  const c = await start(members[1])
  try {
    assert.ok(await waitFor(() => headSeq(c, members[0].peerId) === 1, 10_000))
    assert.ok(await waitFor(async () => (await c.hashLog.forks()).length === 1, 10_000), 'fork evidence stored')
    const [fork] = await c.hashLog.forks()
    assert.equal(fork.origin, members[0].peerId)
    assert.equal(fork.seq, 1)
    const hashes = new Set([Buffer.from(fork.keptHash).toString('hex'), Buffer.from(fork.refusedHash).toString('hex')])
    assert.equal(hashes.size, 2)
    const status = await c.status()
    assert.equal(status.forks.length, 1, 'alarm in status')
    assert.ok(genuine.length === 1)
  } finally {
    await h.stop()
  }
})
