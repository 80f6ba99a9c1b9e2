import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { tempDir } from '../helpers/temp-dir.js'
import { addToFederation, createFederation, createMembers, startMember, waitFor } from '../helpers/federation.js'
import type { HashfedNode } from '../../src/daemon/hashfed-node.js'

const running: HashfedNode[] = []
after(async () => { await Promise.all(running.map(async n => await n.stop())) })

test('two members connect and see each other; a non-member is refused both ways and logged', async () => {
  const root = await tempDir()
  const [nl, de] = await createFederation(root, [{ name: 'EOKM', countries: ['NL'] }, { name: 'DE-hotline', countries: ['DE'] }])
  const [intruder] = await createMembers(root, [{ name: 'intruder', countries: ['FR'] }])
  // the intruder lists both members, so it dials them; they do not list it
  await addToFederation(intruder, [nl, de])

  const a = await startMember(nl)
  const b = await startMember(de)
  running.push(a.node, b.node)

  assert.ok(await waitFor(() => a.node.members.isConnected(de.peerId) && b.node.members.isConnected(nl.peerId)), 'members connect')
  const status = await a.node.status()
  const deRow = status.members.find(m => m.name === 'DE-hotline')
  assert.equal(deRow?.connected, true)
  assert.deepEqual(status.members.find(m => m.self)?.countries, ['NL'])
  // the first round-trip time is measured on connect, not after the 10 s ping interval
  assert.ok(await waitFor(() => a.node.members.links().find(l => l.peerId === de.peerId)?.rttMs != null, 15_000), 'RTT known soon after connect')

  // inbound: the intruder dials EOKM and DE
  const x = await startMember(intruder)
  running.push(x.node)
  assert.ok(await waitFor(() => a.log.find(l => l.peer === intruder.peerId && l.direction === 'inbound') !== undefined), 'inbound refusal logged with peer ID')
  assert.equal(a.node.members.isConnected(intruder.peerId), false)
  assert.equal(a.node.libp2p.getConnections().some(c => c.remotePeer.toString() === intruder.peerId), false)

  // outbound: EOKM is told (wrongly) that the intruder's address belongs to DE's key; Noise
  // authenticates the real key, and a dial to the intruder's own ID is denied before it starts
  await assert.rejects(a.node.libp2p.dial((await import('@multiformats/multiaddr')).multiaddr(`/ip4/127.0.0.1/tcp/${intruder.port}/p2p/${intruder.peerId}`)))
  assert.equal(a.node.libp2p.getConnections().some(c => c.remotePeer.toString() === intruder.peerId), false)
  assert.ok((await a.node.status()).refused.total >= 1)
  // the members stay connected to each other throughout
  assert.equal(a.node.members.isConnected(de.peerId), true)
})

test('an outbound connection to a peer that turns out not to be a member is refused after the handshake', async () => {
  const root = await tempDir()
  const [nl] = await createMembers(root, [{ name: 'EOKM', countries: ['NL'] }])
  const [impostor] = await createMembers(root, [{ name: 'impostor', countries: ['BE'] }])
  const a = await startMember(nl)
  const x = await startMember(impostor)
  running.push(a.node, x.node)
  // dial the impostor's address without naming a peer ID: only the Noise handshake reveals who answers
  const { multiaddr } = await import('@multiformats/multiaddr')
  await a.node.libp2p.dial(multiaddr(`/ip4/127.0.0.1/tcp/${impostor.port}`)).catch(() => {})
  assert.ok(await waitFor(() => a.log.find(l => l.peer === impostor.peerId && l.direction === 'outbound') !== undefined), 'outbound refusal logged with the authenticated peer ID')
  assert.equal(a.node.libp2p.getConnections().length, 0)
})

test('a restarted node keeps its peer ID and store and reconnects', async () => {
  const root = await tempDir()
  const [nl, de] = await createFederation(root, [{ name: 'EOKM', countries: ['NL'] }, { name: 'DE-hotline', countries: ['DE'] }])
  const a = await startMember(nl)
  const b = await startMember(de)
  running.push(b.node)
  await a.node.ctx.store.sub.stats.put('probe', new Uint8Array([1, 2, 3]))
  assert.ok(await waitFor(() => b.node.members.isConnected(nl.peerId)))
  await a.node.stop()
  assert.ok(await waitFor(() => !b.node.members.isConnected(nl.peerId)), 'peer sees the disconnect')

  const again = await startMember(nl)
  running.push(again.node)
  assert.equal(again.node.ctx.identity.peerId.toString(), nl.peerId)
  assert.deepEqual([...(await again.node.ctx.store.sub.stats.get('probe')) ?? []], [1, 2, 3])
  assert.ok(await waitFor(() => b.node.members.isConnected(nl.peerId), 20_000), 'reconnects after restart')
})
