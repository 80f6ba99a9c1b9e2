import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { lpStream } from '@libp2p/utils'
import { peerIdFromString } from '@libp2p/peer-id'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { CapturedLog, createFederation, publishAddresses, waitFor, type TestMember } from '../helpers/federation.js'
import { storeHolds } from '../helpers/reports.js'
import { HashfedNode } from '../../src/daemon/hashfed-node.js'
import { isHashfedError } from '../../src/errors.js'
import { pb } from '../../src/proto/index.js'
import { generateIdentityKey, identityFromKeyBytes, parsePeerId, peerIdToBytes, type Identity } from '../../src/identity/identity.js'
import { exchange } from '../../src/courier/channel.js'
import { signReport, signStatus } from '../../src/reports/report-codec.js'
import { openReceipt } from '../../src/courier/receipts.js'
import { bodyHash } from '../../src/courier/signed-record.js'
import type { Envelope as ReportMessage } from '../../src/courier/envelope.js'
import { COURIER_PROTOCOL as REPORT_PROTOCOL } from '../../src/courier/constants.js'
import type { ReportView } from '../../src/reports/report-view.js'

// NL = EOKM, DE, GB on loopback. 193.0.6.139 is RIPE NCC in Amsterdam in the embedded GeoIP
// data: it is only looked up, never contacted.
const NL_IP = '193.0.6.139'

let members: TestMember[]
const nodes: Record<string, { node: HashfedNode, log: CapturedLog }> = {}
const eokm = (): HashfedNode => nodes.EOKM.node
const de = (): HashfedNode => nodes.DE.node
const gb = (): HashfedNode => nodes.GB.node

let root: string
before(async () => {
  // not tempDir(): its cleanup would run when this hook ends, under the running nodes
  root = await mkdtemp(join(tmpdir(), 'hashfed-reports-'))
  members = await createFederation(root, [{ name: 'EOKM', countries: ['NL'] }, { name: 'DE', countries: ['DE'] }, { name: 'GB', countries: ['GB'] }])
  // refusals are counted here, not punished: a high threshold keeps DE from being cut off by
  // the forgeries below (hostile-report-attacks pins the cut-off)
  for (const m of members) {
    const log = new CapturedLog({ node: m.name })
    const node = await HashfedNode.start({ dir: m.dir, logger: log.logger, penalties: { threshold: 1000 } })
    // port 0: the members learn this node's real address now
    await publishAddresses(m, node)
    nodes[m.name] = { node, log }
  }
})
after(async () => {
  await Promise.all(Object.values(nodes).map(async n => await n.node.stop()))
  await rm(root, { recursive: true, force: true })
})

const peer = (name: string): string => members.find(m => m.name === name)!.peerId

function code (c: string) {
  return (e: unknown) => isHashfedError(e) && e.code === c
}

test('DE reports a URL hosted in NL: EOKM holds it with a receipt at DE, GB holds nothing of it', async () => {
  const url = `https://files.example.nl/u/${randomUUID()}.jpg`
  const view = await de().reports.submit({ url, ip: NL_IP, hoster: 'Example Hosting BV', asn: 64500, classification: 'baseline', media: 'image', hashes: ['sha256:' + 'ab'.repeat(32)], note: 'seen on a forum' })
  assert.equal(view.country, 'NL')
  assert.equal(view.countrySource, 'geoip')
  assert.equal(view.target, 'EOKM')
  assert.equal(view.direction, 'outbound')

  assert.ok(await waitFor(async () => (await de().reports.show(view.id)).status === 'received'), 'DE gets the receipt')
  const atDe = await de().reports.show(view.id)
  assert.ok(atDe.receivedAt !== null)
  assert.equal(de().reports.outboxDepth(), 0)

  const atNl = await eokm().reports.show(view.id)
  assert.equal(atNl.direction, 'inbound')
  assert.equal(atNl.url, url)
  assert.equal(atNl.origin, 'DE')
  assert.equal(atNl.status, 'received')
  assert.deepEqual(atNl.hashes, ['sha256:' + 'ab'.repeat(32)])
  assert.equal(atNl.hoster, 'Example Hosting BV')
  assert.deepEqual((await eokm().reports.list({ direction: 'inbound' })).map(r => r.id), [view.id])

  // the receipt DE keeps is EOKM's signature over exactly the report's bytes
  const stored = await de().reports.reports.get(view.id)
  const receipt = openReceipt(stored!.receipt!)
  assert.deepEqual(Buffer.from(receipt.receiver), Buffer.from(peerIdToBytes(parsePeerId(peer('EOKM')))))
  assert.deepEqual(Buffer.from(receipt.ackedHash), Buffer.from(bodyHash(stored!.report!)))

  // GB: nothing in any sublevel, nothing in its log
  assert.deepEqual(await storeHolds(gb().ctx.store, [view.id, url, 'files.example.nl']), [])
  assert.equal(nodes.GB.log.lines.some(l => JSON.stringify(l).includes(view.id)), false)
  assert.deepEqual(await storeHolds(eokm().ctx.store, [view.id, url]).then(f => f.sort()), [view.id, url].sort())
  // the URL is never logged at info level (only the id)
  for (const n of Object.values(nodes)) assert.equal(n.log.lines.some(l => JSON.stringify(l).includes(url)), false)
  assert.ok(nodes.EOKM.log.find(l => l.msg === 'report received' && l.reportId === view.id))
})

test('status updates by EOKM reach DE; stats at both show the time to removal', async () => {
  const view = await de().reports.submit({ url: `http://198.51.100.7/${randomUUID()}`, country: 'nl', hoster: 'Slow Host', asn: 64501 })
  assert.equal(view.countrySource, 'explicit')
  assert.ok(await waitFor(async () => (await eokm().reports.list({ direction: 'inbound' })).some(r => r.id === view.id)))

  // only the responsible hotline records status
  await assert.rejects(de().reports.update(view.id, 'removed'), code('HF_FORBIDDEN'))
  await assert.rejects(eokm().reports.update(view.id, 'gone'), code('HF_INVALID_ARGUMENT'))
  await assert.rejects(eokm().reports.update(randomUUID(), 'removed'), code('HF_NOT_FOUND'))

  await eokm().reports.update(view.id, 'assessed')
  await eokm().reports.update(view.id, 'notice-sent', 'notice to abuse@ desk')
  const done = await eokm().reports.update(view.id, 'removed')
  assert.equal(done.status, 'removed')
  assert.equal(done.timeline.length, 3)
  assert.deepEqual(done.timeline.map(t => t.seq), [1, 2, 3])

  // updates may arrive out of order (a batch of the courier may carry them in any order): wait for all three
  assert.ok(await waitFor(async () => (await de().reports.show(view.id)).timeline.length === 3), 'DE holds the three updates')
  const atDe = await de().reports.show(view.id)
  assert.deepEqual(atDe.timeline.map(t => t.status), ['assessed', 'notice-sent', 'removed'])
  assert.equal(atDe.timeline[1].note, 'notice to abuse@ desk')
  assert.equal(atDe.timeline[2].author, 'EOKM')
  assert.equal(atDe.removedAt, done.removedAt)
  assert.ok(atDe.timeToRemovalMs !== null && atDe.timeToRemovalMs >= 0)
  assert.ok(await waitFor(() => eokm().reports.outboxDepth(peer('DE')) === 0), 'status updates receipted by DE')

  for (const node of [de(), eokm()]) {
    const stats = await node.reports.stats({ by: 'hoster' })
    assert.ok(stats.byStatus.removed >= 1)
    assert.ok(stats.removal.count >= 1 && stats.removal.medianMs !== null && stats.removal.p90Ms !== null)
    const slow = stats.groups.find(g => g.key === 'Slow Host')
    assert.equal(slow?.byStatus.removed, 1)
    assert.equal(slow?.removal.medianMs, atDe.timeToRemovalMs)
  }
  const byAsn = await de().reports.stats({ by: 'asn', since: '1d' })
  assert.ok(byAsn.groups.some(g => g.key === 'AS64501'))
  await assert.rejects(de().reports.stats({ since: 'yesterday-ish' }), code('HF_INVALID_ARGUMENT'))
  await assert.rejects(de().reports.stats({ by: 'colour' }), code('HF_INVALID_ARGUMENT'))
})

test('own country goes to our inbound queue; an uncovered country is kept unroutable; bad input stores nothing', async () => {
  const local = await eokm().reports.submit({ url: 'https://example.nl/a', ip: NL_IP })
  assert.equal(local.direction, 'inbound')
  assert.equal(local.local, true)
  assert.equal(local.status, 'received')
  assert.equal(eokm().reports.outboxDepth(), 0)
  assert.ok((await eokm().reports.list({ direction: 'inbound', status: 'received' })).some(r => r.id === local.id))
  const updated = await eokm().reports.update(local.id, 'removed')
  assert.equal(updated.status, 'removed')
  assert.equal(eokm().reports.outboxDepth(), 0, 'an own report needs no delivery')

  const before = await gb().ctx.store.count('reports')
  const fr = await gb().reports.submit({ url: 'https://example.fr/x', country: 'FR' })
  assert.equal(fr.status, 'unroutable')
  assert.equal(fr.target, null)
  assert.deepEqual((await gb().reports.list({ direction: 'unroutable' })).map(r => r.id), [fr.id])
  assert.equal(gb().reports.outboxDepth(), 0)

  // invalid URL, unresolvable country (a private address has no location), bad hash, unknown field
  await assert.rejects(gb().reports.submit({ url: 'not a url' }), code('HF_INVALID_REPORT'))
  await assert.rejects(gb().reports.submit({ url: 'javascript:alert(1)' }), code('HF_INVALID_REPORT'))
  await assert.rejects(gb().reports.submit({ url: 'https://intranet.example/x', ip: '10.1.2.3' }), code('HF_UNKNOWN_COUNTRY'))
  await assert.rejects(gb().reports.submit({ url: 'https://example.org/x', country: 'XX' }), code('HF_INVALID_REPORT'))
  await assert.rejects(gb().reports.submit({ url: 'https://example.org/x', country: 'NL', hashes: ['sha256:abc'] }), code('HF_INVALID_HASH'))
  await assert.rejects(gb().reports.submit({ url: 'https://example.org/x', country: 'NL', reporter: 'jane' } as never), code('HF_INVALID_ARGUMENT'))
  assert.equal(await gb().ctx.store.count('reports'), before + 1)
  assert.equal(await gb().ctx.store.count('outbox'), 0)

  // once a member covers FR (DE takes it on, and GB learns that it does), the kept report is routed to it
  const deMember = members.find(m => m.name === 'DE')!
  const deCoversFr = { name: 'DE', peerId: deMember.peerId, countries: ['DE', 'FR'], addresses: deMember.announce }
  await de().addMember(deCoversFr)
  await gb().addMember(deCoversFr)
  assert.equal(await gb().reports.reroute(), 1)
  assert.ok(await waitFor(async () => (await gb().reports.show(fr.id)).status === 'received'))
  const atDe = await de().reports.show(fr.id)
  assert.equal(atDe.origin, 'GB')
  assert.equal(atDe.country, 'FR')
  assert.deepEqual(await gb().reports.list({ direction: 'unroutable' }), [])
})

test('the admin API refuses a reporter or any unknown field and stores nothing', async () => {
  const before = await de().ctx.store.count('reports')
  for (const extra of [{ reporter: 'Jane Doe' }, { email: 'jane@example.org' }]) {
    const res = await fetch(`${de().adminUrl}/v1/reports`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ url: 'https://example.nl/z', country: 'NL', ...extra }) })
    assert.equal(res.status, 400)
    const body = await res.json() as { error: { code: string, details: { field: string } } }
    assert.equal(body.error.code, 'HF_INVALID_ARGUMENT')
    assert.equal(body.error.details.field, Object.keys(extra)[0])
  }
  const bad = await fetch(`${de().adminUrl}/v1/reports`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ url: 'https://x.example/', ip: '10.0.0.1' }) })
  assert.equal(bad.status, 422)
  assert.equal(((await bad.json()) as { error: { code: string } }).error.code, 'HF_UNKNOWN_COUNTRY')
  assert.equal(await de().ctx.store.count('reports'), before)

  const ok = await fetch(`${de().adminUrl}/v1/reports`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ url: 'https://example.co.uk/y', country: 'GB' }) })
  assert.equal(ok.status, 201)
  const view = await ok.json() as ReportView
  assert.equal(view.target, 'GB')
  const one = await fetch(`${de().adminUrl}/v1/reports/${view.id}`)
  assert.equal(((await one.json()) as ReportView).id, view.id)
  const list = await fetch(`${de().adminUrl}/v1/reports?direction=outbound&colour=red`)
  assert.equal(list.status, 400)
})

test('forged, relayed, misaddressed and non-member messages are refused, counted, and store nothing', async () => {
  const nl = peer('EOKM')
  const outsider: Identity = identityFromKeyBytes(await generateIdentityKey())
  const idOf = (name: string): Uint8Array => peerIdToBytes(parsePeerId(peer(name)))
  const report = (signer: Identity, origin: Uint8Array, target: Uint8Array, id = randomUUID()) => signReport(signer, {
    version: 1, id, origin, target, url: 'https://forged.example.nl/p', country: 'NL', createdMs: Date.now(), countrySource: 'explicit'
  })
  // a report GB sent to EOKM, which DE has no part in
  const gbReport = await gb().reports.submit({ url: 'https://example.nl/gb', country: 'NL' })
  assert.ok(await waitFor(async () => (await gb().reports.show(gbReport.id)).status === 'received'))

  const reportsBefore = await eokm().ctx.store.count('reports')
  const seenBefore = await eokm().ctx.store.count('seen')
  const cases: Array<[string, Parameters<typeof exchange>[2]]> = [
    ['not-member', { report: report(outsider, outsider.peerIdBytes, idOf('EOKM')) }],
    // DE's own report under a signature that is not DE's (naming GB as origin is 'relayed', refused before any signature is checked)
    ['bad-signature', { report: (() => { const r = report(de().ctx.identity, idOf('DE'), idOf('EOKM')); return { body: r.body, signature: gb().ctx.identity.sign(r.body!) } })() }],
    ['relayed', { report: report(gb().ctx.identity, idOf('GB'), idOf('EOKM')) }],
    ['wrong-target', { report: report(de().ctx.identity, idOf('DE'), idOf('GB')) }],
    ['not-party', { status: signStatus(de().ctx.identity, { reportId: gbReport.id, author: idOf('DE'), seq: 1, status: pb.ReportStatus.REMOVED, atMs: Date.now() }) }],
    ['unknown-report', { status: signStatus(de().ctx.identity, { reportId: randomUUID(), author: idOf('DE'), seq: 1, status: pb.ReportStatus.REMOVED, atMs: Date.now() }) }],
    ['malformed', { report: { body: new Uint8Array([1, 2, 3, 4]), signature: new Uint8Array(64) } }],
    ['unknown-kind', { receipt: { body: new Uint8Array([1]), signature: new Uint8Array(64) } }]
  ]
  for (const [reason, message] of cases) {
    const answer: ReportMessage = await exchange(de().libp2p, nl, message)
    assert.equal(answer.kind, 'error', reason)
    assert.equal(answer.error?.reason, reason)
  }
  // a frame that is not a ReportMessage at all
  const stream = await de().libp2p.dialProtocol(peerIdFromString(nl), REPORT_PROTOCOL)
  const s = lpStream(stream)
  await s.write(new Uint8Array([0xff, 0xff, 0xff, 0x0f]))
  const reply = pb.ReportMessage.decode((await s.read()).subarray())
  assert.equal(reply.error?.reason, 'malformed')

  assert.equal(await eokm().ctx.store.count('reports'), reportsBefore, 'nothing stored')
  assert.equal(await eokm().ctx.store.count('seen'), seenBefore, 'no receipt given')
  const rej = eokm().reports.rejections()
  for (const [reason] of cases) assert.ok((rej.byReason[reason] ?? 0) >= 1, reason)
  assert.equal(rej.byReason.malformed, 2)
  assert.ok((rej.byPeer[peer('DE')] ?? 0) >= cases.length + 1, 'counted against the sending peer')
  const logged = nodes.EOKM.log.lines.filter(l => l.msg === 'rejected report message')
  assert.ok(logged.length >= cases.length)
  assert.equal(logged.some(l => JSON.stringify(l).includes('forged.example.nl')), false, 'no URL in the logs')
  assert.ok(logged.some(l => l.reportId === gbReport.id && l.reason === 'not-party'), 'the report id is logged')

  // still serving: a real report goes through, and a redelivery of it gets the same receipt
  const real = await de().reports.submit({ url: 'https://example.nl/after', country: 'NL' })
  assert.ok(await waitFor(async () => (await de().reports.show(real.id)).status === 'received'))
  const stored = await de().reports.reports.get(real.id)
  const again = await exchange(de().libp2p, nl, { report: stored!.report! })
  assert.equal(again.kind, 'receipt')
  assert.deepEqual(Buffer.from(pb.Signed.encode(again.receipt!).finish()), Buffer.from(pb.Signed.encode(stored!.receipt!).finish()), 'the very same receipt')
  assert.equal(eokm().reports.inbox.duplicates, 1)
  assert.equal((await eokm().reports.list({ direction: 'inbound' })).filter(r => r.id === real.id).length, 1)
})
