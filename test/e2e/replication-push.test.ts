import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { multiaddr } from '@multiformats/multiaddr'
import { lpStream } from '@libp2p/utils'
import { tempDir } from '../helpers/temp-dir.js'
import { createFederation, publishPeer, startMember, waitFor, type TestMember } from '../helpers/federation.js'
import { randomAdds } from '../helpers/hashes.js'
import { HostilePeer, chainOf, forgeSignature } from '../helpers/hostile-peer.js'
import type { HashfedNode, StartNodeInit } from '../../src/daemon/hashfed-node.js'
import { MAX_FRAME_BYTES, PUSH_PROTOCOL, SYNC_PROTOCOL } from '../../src/sync/constants.js'
import { decodeSync, encodeSync } from '../../src/sync/sync-codec.js'
import { headsFromWire, headsToWire } from '../../src/sync/heads-codec.js'
import { decodeBatch } from '../../src/log/batch.js'

// Push-based replication: a new batch travels to a member just behind on the one long-lived
// push stream, with no session, no protocol negotiation and no request; a pushed batch is
// verified like a pulled one, and a forged one is refused, counted and penalised.

const running: Array<{ stop: () => Promise<void> }> = []
after(async () => { for (const n of running.reverse()) await n.stop().catch(() => {}) })

async function start (m: TestMember, extra: Omit<StartNodeInit, 'dir' | 'logger'> = {}): Promise<HashfedNode> {
  const { node } = await startMember(m, undefined, extra)
  running.push(node)
  return node
}

/** Streams of `protocol` (that `node` opened, or any) open on its connections to `peer`, by id. */
function streamIds (node: HashfedNode, peer: string, protocol: string, direction?: 'outbound'): string[] {
  return node.libp2p.getConnections().filter(c => c.remotePeer.toString() === peer)
    .flatMap(c => c.streams.filter(s => s.protocol === protocol && (direction === undefined || s.direction === direction)).map(s => s.id))
}

test('a new batch is pushed on the one long-lived push stream: no session, no request round trip, the same stream every time', { timeout: 120_000 }, async () => {
  const root = await tempDir()
  const [aM, bM] = await createFederation(root, [{ name: 'A', countries: ['NL'] }, { name: 'B', countries: ['DE'] }])
  // no periodic sessions: every session counted below would be one an announcement opened
  const a = await start(aM, { sync: { periodicMs: 600_000 } })
  const b = await start(bM, { sync: { periodicMs: 600_000 } })
  await a.hashLog.append(a.ctx.identity, randomAdds(10))
  assert.ok(await waitFor(() => b.hashLog.head(aM.peerId)?.seq === 1, 30_000), 'B holds A\'s first batch')
  // after the opening sessions A opens its push stream to B (ahead of the first push)
  assert.ok(await waitFor(() => streamIds(a, bM.peerId, PUSH_PROTOCOL, 'outbound').length === 1, 30_000), 'A has one push stream to B')
  await a.replicator.idle()
  await b.replicator.idle()
  const pushStream = streamIds(a, bM.peerId, PUSH_PROTOCOL, 'outbound')[0]
  const sessions = (): number => a.replicator.peerState(bM.peerId).sessions + b.replicator.peerState(aM.peerId).sessions
  const sessionsBefore = sessions()
  const pushesBefore = b.replicator.pusher.pushesReceived

  for (let seq = 2; seq <= 4; seq++) {
    await a.hashLog.append(a.ctx.identity, randomAdds(1000))
    assert.ok(await waitFor(() => b.hashLog.head(aM.peerId)?.seq === seq, 30_000), `B holds A's batch ${seq}`)
    await a.replicator.idle()
    await b.replicator.idle()
    assert.deepEqual(streamIds(a, bM.peerId, PUSH_PROTOCOL, 'outbound'), [pushStream], 'the same push stream carried it')
    assert.deepEqual(streamIds(a, bM.peerId, SYNC_PROTOCOL), [], 'no sync session stream was opened')
  }
  assert.equal(sessions(), sessionsBefore, 'no sync session ran for the three announcements')
  assert.equal(b.replicator.pusher.pushesReceived - pushesBefore, 3, 'one push message per batch')
  assert.equal(a.replicator.pusher.pushesSent >= 3, true)
  // A learnt B's new head from B's answers on the same stream
  assert.ok(await waitFor(() => a.replicator.peerState(bM.peerId).heads.get(aM.peerId)?.seq === 4, 10_000), 'B\'s answer carried its head')
  assert.equal(b.replicator.rejections.total, 0)
})

test('a pushed batch that fails verification is refused, counted and penalised like a pulled one; a genuine push on the same stream is stored', { timeout: 120_000 }, async () => {
  const root = await tempDir()
  const [cM, hM] = await createFederation(root, [{ name: 'C', countries: ['GB'] }, { name: 'H', countries: ['DE'] }])
  const c = await start(cM, { penalties: { threshold: 10_000 }, sync: { periodicMs: 600_000 } })
  const h = await HostilePeer.start({ member: hM, batches: new Map(), heads: [] })
  running.push(h)
  await publishPeer(hM, h)
  assert.ok(await waitFor(() => c.members.isConnected(hM.peerId), 30_000), 'H connected to C')

  const [first] = chainOf(h.identity, 1)
  const genuine = decodeBatch(first)
  const heads = headsToWire([{ origin: hM.peerId, seq: 1, hash: genuine.hash, entries: 5 }])
  const stream = await h.libp2p.dialProtocol(multiaddr(`${cM.announce[0]}/p2p/${cM.peerId}`), PUSH_PROTOCOL, { signal: AbortSignal.timeout(10_000) })
  const lp = lpStream(stream, { maxDataLength: MAX_FRAME_BYTES })

  // a forged signature over H's genuine first batch, pushed unasked
  await lp.write(encodeSync({ push: { heads, frame: { batches: [forgeSignature(first)] } } }))
  const answer = decodeSync(await lp.read({ signal: AbortSignal.timeout(30_000) }))
  assert.equal(answer.kind, 'heads', 'C answers the push with its heads')
  assert.equal(headsFromWire(answer.heads).find(x => x.origin === hM.peerId), undefined, 'C holds nothing of H')
  assert.equal(c.replicator.rejections.count('bad-signature'), 1, 'refused and counted as bad-signature')
  assert.equal(c.penalties.offences.count('bad-signature'), 1, 'an offence of H in the penalties')
  assert.equal(c.penalties.offences.byPeer.get(hM.peerId), 1)
  assert.equal(c.hashLog.head(hM.peerId), undefined, 'nothing forged was stored')

  // the genuine batch on the same stream is verified and stored; C's answer shows it
  await lp.write(encodeSync({ push: { heads, frame: { batches: [first] } } }))
  const stored = decodeSync(await lp.read({ signal: AbortSignal.timeout(30_000) }))
  assert.equal(headsFromWire(stored.heads).find(x => x.origin === hM.peerId)?.seq, 1)
  assert.equal(c.hashLog.head(hM.peerId)?.seq, 1)
  // a duplicate push is a no-op, not an offence
  await lp.write(encodeSync({ push: { heads, frame: { batches: [first] } } }))
  await lp.read({ signal: AbortSignal.timeout(30_000) })
  assert.equal(c.replicator.rejections.total, 1)

  // more batches in one push than allowed is a breach: the stream is refused, an offence
  await lp.write(encodeSync({ push: { heads, frame: { batches: Array.from({ length: 17 }, () => first) } } }))
  assert.ok(await waitFor(() => c.replicator.rejections.count('too-large') === 1, 10_000), 'an oversized push is an offence')
  assert.equal(c.penalties.offences.byPeer.get(hM.peerId), 2)
})
