import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes, randomUUID } from 'node:crypto'
import { runCli } from '../helpers/cli.js'
import { tempDir } from '../helpers/temp-dir.js'
import { createFederation, startMember, waitFor, type TestMember } from '../helpers/federation.js'
import type { HashfedNode } from '../../src/daemon/hashfed-node.js'
import type { CheckResult } from '../../src/check/check-service.js'
import { pb } from '../../src/proto/index.js'
import { signDecision } from '../../src/check/quarantine-codec.js'
import { algorithmToEnum } from '../../src/log/hash-value.js'
import { CheckApiSchemas } from '../helpers/check-api-schema.js'

/** held and suppressed answers are part of the check port's OpenAPI document */
const schemas = CheckApiSchemas.for()

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')

async function check (node: HashfedNode, token: string, algorithm: string, value: string): Promise<CheckResult> {
  const res = await fetch(node.checkUrl + '/v1/check', {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ hashes: [{ algorithm, value }] })
  })
  const body = await res.json() as { results: CheckResult[] }
  assert.equal(res.status, 200, JSON.stringify(body))
  schemas.check('POST', '/v1/check', 200, body)
  return body.results[0]
}

/** Flips `n` bits of a copy of `v`. */
function flip (v: Uint8Array, n: number): Uint8Array {
  const out = Uint8Array.from(v)
  for (let i = 0; i < n; i++) out[i] ^= 0x01
  return out
}

describe('false-positive defence: quarantine of over-matching hashes, the origin\'s review, benign lists (three nodes, eight hosters)', () => {
  let members: TestMember[]
  let eokm: HashfedNode, de: HashfedNode, gb: HashfedNode
  const hosters: string[] = [] // eight tokens at DE
  const token: Record<string, string> = {}
  const [a, b, c, e, f] = [randomBytes(32), randomBytes(32), randomBytes(32), randomBytes(32), randomBytes(32)].map(hex)
  const pdq = new Uint8Array(randomBytes(32))

  before(async () => {
    const root = await tempDir()
    members = await createFederation(root, [{ name: 'EOKM', countries: ['NL'] }, { name: 'DE', countries: ['DE'] }, { name: 'GB', countries: ['GB'] }])
    ;[eokm, de, gb] = await Promise.all(members.map(async m => (await startMember(m)).node))
    assert.ok(await waitFor(() => [eokm, de, gb].every(n => n.members.connectedPeers().length === 2), 20_000), 'all connected')
    for (let i = 1; i <= 8; i++) hosters.push((await de.check.tokens.create(`hoster-${i}`)).token)
    token.eokm = (await eokm.check.tokens.create('nl-host')).token
    token.gb = (await gb.check.tokens.create('gb-host')).token
    const add = (v: string, algorithm: 'sha256' | 'pdq' = 'sha256') => ({ op: 'add' as const, record: { algorithm, value: Buffer.from(v, 'hex'), classification: 'baseline' as const } })
    await eokm.hashLog.append(eokm.ctx.identity, [add(a), add(b), add(c), add(e), add(f), add(hex(pdq), 'pdq')])
    const origin = members[0].peerId
    assert.ok(await waitFor(() => [de, gb].every(n => n.hashLog.head(origin)?.seq === 1), 20_000), 'replicated')
  })

  after(async () => { await Promise.all([eokm, de, gb].map(async n => await n?.stop())) })

  it('a hash matched by six distinct hosters is held at that node; the origin gets the signed notice, confirms, and it matches again everywhere', async () => {
    for (let i = 0; i < 6; i++) {
      const r = await check(de, hosters[i], 'sha256', a)
      assert.equal(r.matches.length, 1, `check ${i + 1} is a plain match`)
      assert.equal(r.held, undefined)
    }
    const seventh = await check(de, hosters[6], 'sha256', a)
    assert.equal(seventh.held, true, 'the seventh check answers held')
    assert.deepEqual(seventh.matches, [], 'not a plain match')
    assert.equal(seventh.heldMatches?.[0].held, true)
    assert.match(seventh.heldMatches?.[0].heldReason ?? '', /6 distinct hosters/)
    // each node decides for itself: GB has not held it
    assert.equal((await check(gb, token.gb, 'sha256', a)).matches.length, 1)
    const status = await de.status()
    assert.deepEqual(status.held.map(h => h.ref), [`sha256:${a}`], 'the alarm in status')

    // the origin receives DE's signed notice
    assert.ok(await waitFor(async () => (await eokm.check.quarantine.notices()).length === 1, 20_000), 'notice delivered')
    const [notice] = await eokm.check.quarantine.notices()
    assert.equal(notice.from, 'DE')
    assert.equal(notice.hosters, 6)
    assert.equal(notice.ref, `sha256:${a}`)

    // the origin's analyst confirms with the CLI (through its admin API: op, audit)
    const confirm = await runCli(['quarantine', 'confirm', `sha256:${a}`, '--reason', 'verified: known material', '--dir', members[0].dir, '--json'])
    assert.equal(confirm.code, 0, confirm.stderr)
    assert.equal((JSON.parse(confirm.stdout) as { sentTo: string[] }).sentTo.length, 2)
    assert.ok(await waitFor(() => de.check.quarantine.held(`sha256:${a}`) === undefined && gb.check.quarantine.originWord(`sha256:${a}`) !== undefined, 20_000), 'released everywhere')
    const again = await check(de, hosters[7], 'sha256', a)
    assert.equal(again.matches.length, 1, 'matches again at DE')
    assert.equal(again.held, undefined)
    assert.equal((await check(gb, token.gb, 'sha256', a)).matches.length, 1, 'and at GB')
    // thresholds raised for the confirmed hash: eight distinct hosters no longer hold it
    for (const t of hosters) assert.equal((await check(de, t, 'sha256', a)).matches.length, 1)
    assert.equal(de.check.quarantine.held(`sha256:${a}`), undefined)
    const audit = await runCli(['audit', '--dir', members[0].dir, '--json'])
    assert.match(audit.stdout, /quarantine\.confirm/)
  })

  it('a second over-matching hash is retracted by its origin and stops matching everywhere', async () => {
    for (let i = 0; i < 6; i++) await check(de, hosters[i], 'sha256', b)
    assert.equal((await check(de, hosters[6], 'sha256', b)).held, true)
    assert.ok(await waitFor(async () => (await eokm.check.quarantine.notices(`sha256:${b}`)).length === 1, 20_000), 'notice delivered')
    await eokm.hashLists.retract(`sha256:${b}`, 'false positive: default theme image')
    const origin = members[0].peerId
    assert.ok(await waitFor(() => [de, gb].every(n => n.hashLog.head(origin)?.seq === 2), 20_000), 'retraction replicated')
    for (const [node, t] of [[eokm, token.eokm], [de, hosters[7]], [gb, token.gb]] as const) {
      const r = await check(node, t, 'sha256', b)
      assert.deepEqual(r.matches, [])
      assert.equal(r.held, undefined, 'no match to hold')
    }
    const list = await runCli(['quarantine', 'list', '--dir', members[1].dir, '--json'])
    assert.equal(list.code, 0, list.stderr)
    const held = (JSON.parse(list.stdout) as { held: Array<{ ref: string, originSaid?: { decision: string } }> }).held
    assert.equal(held.find(h => h.ref === `sha256:${b}`)?.originSaid?.decision, 'retracted', 'the operator view says what the origin did')
  })

  it('a benign entry published by one member suppresses the exact hash and a PDQ hash within the benign threshold at every node, explained', async () => {
    const benign = await runCli(['hashes', 'benign', `sha256:${c}`, `pdq:${hex(flip(pdq, 5))}`, '--reason', 'WordPress default theme image', '--dir', members[2].dir, '--json'])
    assert.equal(benign.code, 0, benign.stderr)
    const gbPeer = members[2].peerId
    assert.ok(await waitFor(() => [eokm, de].every(n => n.hashLog.head(gbPeer)?.seq === 1), 20_000), 'benign entries replicated')
    for (const [node, t] of [[eokm, token.eokm], [de, hosters[0]], [gb, token.gb]] as const) {
      const exact = await check(node, t, 'sha256', c)
      assert.deepEqual(exact.matches, [], 'no match reported')
      assert.equal(exact.suppressed?.[0].suppressed?.by, 'GB')
      assert.equal(exact.suppressed?.[0].suppressed?.reason, 'WordPress default theme image')
      const near = await check(node, t, 'pdq', hex(pdq))
      assert.deepEqual(near.matches, [])
      assert.equal(near.suppressed?.[0].suppressed?.distance, 5)
      assert.equal(near.suppressed?.[0].suppressed?.by, 'GB')
    }
    // the log with benign entries verifies (they have no index rows; the audit knows)
    const verify = await runCli(['verify', '--dir', members[1].dir, '--json'])
    assert.equal(verify.code, 0, verify.stdout + verify.stderr)
    // the index is untouched: a hash the benign list does not name still matches
    assert.equal((await check(de, hosters[0], 'sha256', e)).matches.length, 1)
  })

  it('a forged confirmation (signed by a member that does not vouch for the hash) is refused, counted and penalised', async () => {
    const hold = await runCli(['match', 'hold', `sha256:${e}`, '--reason', 'checking a complaint', '--dir', members[2].dir, '--json'])
    assert.equal(hold.code, 0, hold.stderr)
    assert.equal((await check(gb, token.gb, 'sha256', e)).held, true, 'operator hold')
    const id = randomUUID()
    const forged = signDecision(de.ctx.identity, { id, author: de.ctx.identity.peerIdBytes, hash: { algorithm: algorithmToEnum('sha256'), value: Buffer.from(e, 'hex') }, decision: pb.QuarantineDecision.Decision.CONFIRMED, reason: 'trust me', atMs: Date.now() })
    await de.reports.courier.send(members[2].peerId, { quarantineDecision: forged }, { subject: id })
    assert.ok(await waitFor(() => gb.reports.inbox.rejections.count('not-origin') >= 1, 20_000), 'refused and counted')
    assert.ok(((await gb.status()).penalties.byReason['report:not-origin'] ?? 0) >= 1, 'penalised')
    assert.equal((await check(gb, token.gb, 'sha256', e)).held, true, 'the hold stands')
    const release = await runCli(['match', 'release', `sha256:${e}`, '--dir', members[2].dir, '--json'])
    assert.equal(release.code, 0, release.stderr)
    assert.equal((await check(gb, token.gb, 'sha256', e)).matches.length, 1)
  })

  it('a forged benign entry (a batch of GB\'s log signed by DE) is refused', async () => {
    const gbPeer = members[2].peerId
    const head = eokm.hashLog.head(gbPeer)
    assert.ok(head !== undefined)
    const body = pb.BatchBody.encode({
      version: 1, origin: gb.ctx.identity.peerIdBytes, seq: head.seq + 1, prevHash: head.hash, createdMs: Date.now(),
      entries: [{ op: pb.HashEntry.Op.BENIGN, algorithm: algorithmToEnum('sha256'), value: Buffer.from(e, 'hex'), reason: 'not abuse' }]
    }).finish()
    const signed = pb.Signed.encode({ body, signature: de.ctx.identity.sign(body) }).finish()
    const res = await eokm.hashLog.applyRemote(signed, { isMember: () => true, fromPeer: members[1].peerId })
    // the reason the replicator counts and penalises (hostile-peers tests the counting on the wire)
    assert.deepEqual(res.status === 'rejected' ? res.reason : res.status, 'bad-signature')
    assert.equal(eokm.hashLog.head(gbPeer)?.seq, head.seq)
    assert.equal((await check(eokm, token.eokm, 'sha256', e)).matches.length, 1, 'still a match: nothing suppressed it')
  })

  it('a hoster\'s dispute the origin accepts becomes a retraction and a benign entry in one step', async () => {
    const res = await fetch(de.checkUrl + '/v1/feedback', {
      method: 'POST',
      headers: { authorization: `Bearer ${hosters[0]}`, 'content-type': 'application/json' },
      body: JSON.stringify({ algorithm: 'sha256', value: f, verdict: 'disputed', reason: 'default WordPress theme image' })
    })
    assert.equal(res.status, 202)
    const id = (await res.json() as { feedback: Array<{ id: string }> }).feedback[0].id
    assert.ok(await waitFor(async () => (await eokm.check.feedback.list()).some(x => x.id === id), 20_000), 'dispute delivered')
    const before = eokm.hashLog.head(members[0].peerId)?.seq ?? 0
    const accept = await runCli(['disputes', 'accept', id, '--benign', '--dir', members[0].dir, '--json'])
    assert.equal(accept.code, 0, accept.stderr)
    assert.equal(eokm.hashLog.head(members[0].peerId)?.seq, before + 1, 'one write, one batch')
    assert.ok(await waitFor(() => de.hashLog.head(members[0].peerId)?.seq === before + 1, 20_000), 'replicated')
    assert.deepEqual((await check(de, hosters[1], 'sha256', f)).matches, [], 'retracted')
    const list = await runCli(['hashes', 'benign', '--list', '--dir', members[1].dir, '--json'])
    const benign = (JSON.parse(list.stdout) as { benign: Array<{ ref: string, by: string, reason: string }> }).benign
    assert.deepEqual(benign.filter(x => x.ref === `sha256:${f}`).map(x => [x.by, x.reason]), [['EOKM', 'dispute accepted: default WordPress theme image']])
  })
})
