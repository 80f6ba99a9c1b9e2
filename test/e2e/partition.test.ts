import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { tempDir } from '../helpers/temp-dir.js'
import { createFederation, startMember, waitFor } from '../helpers/federation.js'
import { headsOf, randomAdds } from '../helpers/hashes.js'
import { HashfedNode } from '../../src/daemon/hashfed-node.js'

// Five members; the federation is cut in two through each node's connection gater (every node
// cuts off the members on the other side, as PeerPenalties does with an offender), both sides
// publish, the cut heals, and every node must converge on the same verified logs.

const running: HashfedNode[] = []
after(async () => { await Promise.all(running.map(async n => await n.stop())) })

async function digest (node: HashfedNode): Promise<string> {
  const rows: string[] = []
  for await (const r of node.hashLog.currentSet()) rows.push(`${r.origin} ${r.record.algorithm}:${Buffer.from(r.record.value).toString('hex')} ${r.seq}`)
  return createHash('sha256').update(rows.sort().join('\n')).digest('hex')
}

test('5 nodes cut in two (2 | 3) publish on both sides, then heal: all converge on equal, verified heads and current sets', { timeout: 180_000 }, async () => {
  const root = await tempDir()
  const members = await createFederation(root, ['NL', 'DE', 'GB', 'FR', 'BE'].map(c => ({ name: c, countries: [c] })))
  const nodes = await Promise.all(members.map(async m => {
    const { node } = await startMember(m)
    running.push(node)
    return node
  }))
  const fullMesh = (): boolean => nodes.every(n => n.members.connectedPeers().length === 4)
  assert.ok(await waitFor(fullMesh, 30_000), 'full mesh')

  const publish = async (n: HashfedNode, batches: number): Promise<void> => {
    for (let i = 0; i < batches; i++) await n.hashLog.append(n.ctx.identity, randomAdds(100))
  }
  const same = (group: HashfedNode[], origins: string[]): boolean => group.every(n => origins.every(o => headsOf(n)[o] !== undefined && headsOf(n)[o] === headsOf(group[0])[o]))
  const all = members.map(m => m.peerId)
  await Promise.all(nodes.map(async n => await publish(n, 1)))
  assert.ok(await waitFor(() => same(nodes, all), 30_000), 'converged before the cut')

  // the cut: {NL, DE} | {GB, FR, BE}
  const left = nodes.slice(0, 2)
  const right = nodes.slice(2)
  const idOf = (n: HashfedNode): string => n.ctx.identity.peerId.toString()
  for (const [mine, theirs] of [[left, right], [right, left]]) {
    for (const n of mine) for (const t of theirs) n.penalties.cutOff(idOf(t), 'partition test', 10 * 60_000)
  }
  const cut = (): boolean => left.every(l => right.every(r => !l.members.isConnected(idOf(r)) && !r.members.isConnected(idOf(l))))
  assert.ok(await waitFor(cut, 20_000), 'no connection crosses the cut')
  assert.ok(await waitFor(() => left.every(n => n.members.connectedPeers().length === 1) && right.every(n => n.members.connectedPeers().length === 2), 20_000), 'each side stays connected inside')

  const before = headsOf(nodes[0])
  await Promise.all([...left.map(async n => await publish(n, 2)), ...right.map(async n => await publish(n, 3))])
  const leftOrigins = left.map(idOf)
  const rightOrigins = right.map(idOf)
  assert.ok(await waitFor(() => same(left, leftOrigins) && same(right, rightOrigins), 30_000), 'each side converges on its own publications')
  for (const n of left) for (const o of rightOrigins) assert.equal(headsOf(n)[o], before[o], 'nothing crossed the cut (left)')
  for (const n of right) for (const o of leftOrigins) assert.equal(headsOf(n)[o], before[o], 'nothing crossed the cut (right)')
  for (const n of left) for (const o of leftOrigins) assert.equal(n.hashLog.head(o)?.seq, 3)
  for (const n of right) for (const o of rightOrigins) assert.equal(n.hashLog.head(o)?.seq, 4)

  // heal
  const t0 = Date.now()
  for (const n of nodes) for (const c of n.penalties.list()) n.penalties.restore(c.peer)
  assert.ok(await waitFor(() => fullMesh() && same(nodes, all), 60_000), 'converged after the heal')
  const healMs = Date.now() - t0
  for (const n of nodes) {
    for (const o of all) assert.equal((await n.hashLog.verifyOrigin(o)).ok, true)
    assert.equal(n.replicator.rejections.byReason.size, 0, 'no batch was refused')
    assert.equal((await n.hashLog.forks()).length, 0)
  }
  const digests = await Promise.all(nodes.map(digest))
  assert.equal(new Set(digests).size, 1, 'every node holds the same current sets')
  process.stdout.write(`# partition: 5 nodes, cut 2|3, ${2 * 2 + 3 * 3} batches published during the cut, healed and converged in ${healMs} ms\n`)
})
