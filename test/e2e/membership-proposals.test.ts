import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { tempDir } from '../helpers/temp-dir.js'
import { addToFederation, createFederation, createMembers, startMember, waitFor, type TestMember } from '../helpers/federation.js'
import { headSeq, randomAdds } from '../helpers/hashes.js'
import { loadFederation, saveFederation } from '../../src/config/federation.js'
import { nodeDir } from '../../src/config/node-dir.js'
import { generateIdentityKey, identityFromKeyBytes } from '../../src/identity/identity.js'
import { pb } from '../../src/proto/index.js'
import type { HashfedNode, StartNodeInit } from '../../src/daemon/hashfed-node.js'
import type { ProposalView } from '../../src/lists/membership.js'

const running: HashfedNode[] = []
after(async () => { await Promise.all(running.map(async n => await n.stop().catch(() => {}))) })

async function start (m: TestMember, extra: Omit<StartNodeInit, 'dir' | 'logger'> = {}): Promise<HashfedNode> {
  const { node } = await startMember(m, undefined, extra)
  running.push(node)
  return node
}

async function call<T> (node: HashfedNode, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${node.adminUrl}${path}`, body === undefined ? {} : { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
  const json = await res.json() as T
  assert.equal(res.status, 200, `${path}: ${JSON.stringify(json)}`)
  return json
}

const proposals = async (node: HashfedNode): Promise<ProposalView[]> => (await call<{ proposals: ProposalView[] }>(node, '/v1/members/proposals')).proposals

test('a proposal with the quorum\'s co-signatures adds a fourth node at every member without hand edits; one without the quorum changes nothing; forged proposals are refused and penalised', { timeout: 180_000 }, async () => {
  const root = await tempDir()
  const trio = await createFederation(root, [{ name: 'A', countries: ['NL'] }, { name: 'B', countries: ['DE'] }, { name: 'C', countries: ['GB'] }])
  for (const m of trio) {
    const path = nodeDir(m.dir).federation
    await saveFederation(path, { ...await loadFederation(path), membershipQuorum: { required: 2, of: ['A', 'B', 'C'] } })
  }
  // D's operator sets up its own node knowing the three; none of them lists D
  const [dM] = await createMembers(root, [{ name: 'D', countries: ['BE'] }])
  await addToFederation(dM, [...trio, dM])
  const [a, b, c] = await Promise.all(trio.map(async m => await start(m, { penalties: { threshold: 10_000 } })))
  const d = await start(dM)
  assert.ok(await waitFor(() => [a, b, c].every(n => n.members.connectedPeers().length === 2), 15_000))
  assert.equal(c.ctx.federation.isMember(dM.peerId), false)

  // a proposal with only A's vote: delivered, counted 1 of 2, applied nowhere
  const lonely = identityFromKeyBytes(await generateIdentityKey())
  const e = await call<ProposalView>(a, '/v1/members/proposals', { action: 'add', name: 'E', peerId: lonely.peerId.toString(), countries: ['FR'] })
  assert.equal(e.applied, false)
  assert.ok(await waitFor(async () => (await proposals(c)).some(p => p.id === e.id && p.votes.length === 1), 15_000), 'C holds the proposal with A\'s vote')
  for (const n of [a, b, c]) {
    assert.equal(n.ctx.federation.isMember(lonely.peerId.toString()), false)
    assert.equal((await proposals(n)).find(p => p.id === e.id)?.applied, false)
  }

  // A proposes D; B co-signs: two of the quorum, applied at A, B and C
  const proposal = await call<ProposalView>(a, '/v1/members/proposals', { action: 'add', name: 'D', peerId: dM.peerId, countries: ['BE'], addresses: dM.announce })
  assert.ok(await waitFor(async () => (await proposals(b)).some(p => p.id === proposal.id), 15_000))
  const cosigned = await call<ProposalView>(b, `/v1/members/proposals/${proposal.id}/cosign`, {})
  assert.equal(cosigned.applied, true, 'B applies it on its own vote')
  assert.ok(await waitFor(() => [a, b, c].every(n => n.ctx.federation.isMember(dM.peerId)), 20_000), 'every member added D')
  for (const m of trio) assert.ok((await loadFederation(nodeDir(m.dir).federation)).members.some(x => x.peerId === dM.peerId), `${m.name}'s federation file lists D`)
  await d.hashLog.append(d.ctx.identity, randomAdds(3))
  assert.ok(await waitFor(() => [a, b, c].every(n => headSeq(n, dM.peerId) === 1), 30_000), 'D\'s list reaches every member')
  const audit = await call<{ records: Array<{ action: string, details: Record<string, unknown> }> }>(c, '/v1/audit')
  assert.ok(audit.records.some(r => r.action === 'membership.apply' && r.details.name === 'D'), 'the applied change is audited')
  assert.equal((await proposals(c)).find(p => p.id === e.id)?.applied, false, 'E still lacks its quorum')

  // forged: a change signed by no member, and one naming A as proposer under a bad signature
  const sendVote = async (change: Uint8Array, signature: Uint8Array): Promise<void> => {
    const body = pb.MembershipVote.encode({ author: b.ctx.identity.peerIdBytes, change: { body: change, signature } }).finish()
    await b.reports.courier.send(trio[2].peerId, { membership: { body, signature: b.ctx.identity.sign(body) } }, { subject: randomUUID() })
  }
  const forged = (proposer: Uint8Array): Uint8Array => pb.MembershipChange.encode({ version: 1, id: randomUUID(), proposer, action: pb.MembershipChange.Action.REMOVE, name: 'A', member: a.ctx.identity.peerIdBytes, createdMs: Date.now() }).finish()
  const before = { malformed: c.reports.courier.inbox.rejections.count('malformed'), bad: c.reports.courier.inbox.rejections.count('bad-signature') }
  const outsider = forged(lonely.peerIdBytes)
  await sendVote(outsider, lonely.sign(outsider))
  await sendVote(forged(a.ctx.identity.peerIdBytes), new Uint8Array(64))
  assert.ok(await waitFor(() => c.reports.courier.inbox.rejections.count('malformed') > before.malformed && c.reports.courier.inbox.rejections.count('bad-signature') > before.bad, 20_000), 'both refused and counted')
  assert.ok(c.penalties.offences.count('report:malformed') >= 1 && c.penalties.offences.count('report:bad-signature') >= 1, 'and penalised')
  assert.ok(c.ctx.federation.isMember(trio[0].peerId), 'A is still a member at C')
})
