import { test } from 'node:test'
import assert from 'node:assert/strict'
import { tempDir } from '../helpers/temp-dir.js'
import { addToFederation, createMembers, nodePool, publishPeer, waitFor } from '../helpers/federation.js'
import { headSeq, randomAdds } from '../helpers/hashes.js'
import { parseScrape, promtoolCheck, valueOf, type Scrape } from '../helpers/prometheus.js'
import type { HashfedNode } from '../../src/daemon/hashfed-node.js'

const { start, stop } = nodePool()

async function scrape (node: HashfedNode): Promise<{ text: string, parsed: Scrape }> {
  const res = await fetch(`${node.adminUrl}/metrics`)
  assert.equal(res.status, 200)
  assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/)
  const text = await res.text()
  return { text, parsed: parseScrape(text) }
}

/** Every sample belongs to a family with HELP and TYPE, and promtool's lint finds nothing. */
async function assertWellFormed (text: string, parsed: Scrape): Promise<void> {
  const family = (name: string): string => parsed.types.has(name) ? name : name.replace(/_(bucket|sum|count)$/, '')
  for (const s of parsed.samples) {
    assert.ok(parsed.types.has(family(s.name)), `${s.name} has a TYPE`)
    assert.ok(parsed.helps.has(family(s.name)), `${s.name} has a HELP`)
    assert.match(s.name, /^(hashfed|process|nodejs)_/)
  }
  const check = await promtoolCheck(text)
  assert.equal(check.code, 0, `promtool check metrics:\n${check.output}`)
  assert.equal(check.output.trim(), '', 'promtool prints no lint problem')
}

test('/metrics: sync lag and rejections from a lying peer, then replication and a report removal, all passing promtool', async () => {
  const { HostilePeer } = await import('../helpers/hostile-peer.js')
  const { pb } = await import('../../src/proto/index.js')
  const root = await tempDir()
  const members = await createMembers(root, [{ name: 'EOKM', countries: ['NL'] }, { name: 'DE', countries: ['DE'] }, { name: 'H', countries: ['FR'] }])
  for (const m of members) await addToFederation(m, members)
  const [nlM, deM, hM] = members

  let nl = await start(nlM)
  await nl.hashLog.append(nl.ctx.identity, randomAdds(40))
  const genuine: Uint8Array[] = []
  for await (const b of nl.hashLog.readRange(nlM.peerId, 1)) genuine.push(b)
  await stop(nl)

  // H, a member, announces EOKM's batch 1 but serves it with a flipped byte
  const signed = pb.Signed.decode(genuine[0])
  const body = new Uint8Array(signed.body)
  body[body.length - 5] ^= 0x01
  const tampered = pb.Signed.encode({ body, signature: signed.signature }).finish()
  const h = await HostilePeer.start({ member: hM, batches: new Map([[nlM.peerId, [tampered]]]), heads: [{ origin: nlM.peerId, seq: 1, hash: new Uint8Array(32), entries: 40 }] })
  await publishPeer(hM, h)
  const de = await start(deM)
  try {
    assert.ok(await waitFor(() => de.replicator.rejections.count('bad-signature') >= 1, 10_000), 'tampered batch rejected')
    const lying = await scrape(de)
    assert.equal(valueOf(lying.parsed, 'hashfed_sync_lag_batches', { origin: 'EOKM' }), 1, 'one batch behind the head H announced')
    assert.equal(valueOf(lying.parsed, 'hashfed_sync_lag_entries', { origin: 'EOKM' }), 40)
    assert.ok((valueOf(lying.parsed, 'hashfed_sync_batches_rejected_total', { reason: 'bad-signature' }) ?? 0) >= 1)
    assert.ok((valueOf(lying.parsed, 'hashfed_peer_rejected_messages_total', { peer: 'H' }) ?? 0) >= 1)
    assert.equal(valueOf(lying.parsed, 'hashfed_peer_rejected_messages_total', { peer: 'EOKM' }), 0)
    assert.equal(valueOf(lying.parsed, 'hashfed_peer_up', { peer: 'H' }), 1)
    assert.equal(valueOf(lying.parsed, 'hashfed_peer_up', { peer: 'EOKM' }), 0)
    assert.equal(valueOf(lying.parsed, 'hashfed_sync_batches_received_total'), 0)
    await assertWellFormed(lying.text, lying.parsed)
  } finally {
    await h.stop()
  }

  // the honest origin returns: DE catches up; a report goes EOKM -> DE and is removed
  nl = await start(nlM)
  assert.ok(await waitFor(() => headSeq(de, nlM.peerId) === 1, 10_000), 'DE replicates EOKM')
  const report = await nl.reports.submit({ url: 'https://files.example.de/metrics-case.jpg', country: 'DE', hoster: 'Example GmbH' })
  assert.ok(await waitFor(async () => (await de.reports.list({ direction: 'inbound' })).some(r => r.id === report.id), 10_000), 'report delivered')
  await de.reports.update(report.id, 'removed')
  assert.ok(await waitFor(async () => (await nl.reports.show(report.id)).status === 'removed', 10_000), 'removal flows back')
  assert.ok(await waitFor(() => de.reports.outboxDepth() === 0 && nl.reports.outboxDepth() === 0, 10_000))

  const deScrape = await scrape(de)
  const d = deScrape.parsed
  assert.equal(valueOf(d, 'hashfed_sync_lag_batches', { origin: 'EOKM' }), 0)
  assert.equal(valueOf(d, 'hashfed_sync_lag_entries', { origin: 'EOKM' }), 0)
  assert.equal(valueOf(d, 'hashfed_sync_batches_received_total'), 1)
  assert.equal(valueOf(d, 'hashfed_log_hashes', { origin: 'EOKM' }), 40)
  assert.equal(valueOf(d, 'hashfed_log_batches', { origin: 'EOKM' }), 1)
  assert.equal(valueOf(d, 'hashfed_index_hashes', { algorithm: 'sha256' }), 40, 'the match index holds what the log holds')
  assert.equal(valueOf(d, 'hashfed_origin_matching_enabled', { origin: 'EOKM' }), 1)
  assert.equal(valueOf(d, 'hashfed_peers_connected'), 1)
  assert.equal(valueOf(d, 'hashfed_members'), 2)
  assert.equal(valueOf(d, 'hashfed_peer_up', { peer: 'EOKM' }), 1)
  assert.equal(valueOf(d, 'hashfed_peer_up', { peer: 'H' }), 0)
  assert.ok((valueOf(d, 'hashfed_peer_last_sync_timestamp_seconds', { peer: 'EOKM' }) ?? 0) * 1000 > Date.now() - 60_000)
  assert.equal(valueOf(d, 'hashfed_reports', { direction: 'inbound', status: 'removed' }), 1)
  assert.equal(valueOf(d, 'hashfed_reports', { direction: 'inbound', status: 'received' }), 0)
  assert.equal(valueOf(d, 'hashfed_report_removal_seconds_count', { direction: 'inbound' }), 1)
  assert.equal(valueOf(d, 'hashfed_report_removal_seconds_bucket', { direction: 'inbound', le: '300' }), 1, 'removed within the test, so in the first bucket')
  assert.equal(valueOf(d, 'hashfed_fork_alarms'), 0)
  assert.equal(valueOf(d, 'hashfed_connections_refused_total'), 0)
  await assertWellFormed(deScrape.text, d)

  const nlScrape = await scrape(nl)
  const n = nlScrape.parsed
  assert.equal(valueOf(n, 'hashfed_node_info', { name: 'EOKM', peer_id: nlM.peerId }), 1)
  assert.equal(valueOf(n, 'hashfed_reports', { direction: 'outbound', status: 'removed' }), 1)
  assert.equal(valueOf(n, 'hashfed_report_removal_seconds_count', { direction: 'outbound' }), 1)
  assert.equal(valueOf(n, 'hashfed_report_removal_seconds_bucket', { direction: 'outbound', le: '+Inf' }), 1)
  assert.equal(valueOf(n, 'hashfed_outbox_messages', { peer: 'DE' }), 0)
  assert.equal(valueOf(n, 'hashfed_outbox_delivered_total'), 1, 'the report, receipted by DE')
  assert.equal(valueOf(n, 'hashfed_log_hashes', { origin: 'EOKM' }), 40)
  assert.equal(valueOf(n, 'hashfed_reports_archived'), 0)
  await assertWellFormed(nlScrape.text, n)
  assert.doesNotMatch(nlScrape.text + deScrape.text, /metrics-case|files\.example\.de/, 'no reported URL in metrics')
})

test('check API requests are counted with their latency, in each node\'s own registry', async () => {
  const root = await tempDir()
  const [m] = await createMembers(root, [{ name: 'EOKM', countries: ['NL'] }])
  const a = await start(m)
  const [m2] = await createMembers(root, [{ name: 'OTHER', countries: ['BE'] }])
  const b = await start(m2)
  assert.ok(a.checkUrl !== '', 'the check API runs')
  const { token } = await a.check.tokens.create('hoster-1')
  const check = async (auth: string): Promise<number> => (await fetch(`${a.checkUrl}/v1/check`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${auth}` },
    body: JSON.stringify({ hashes: [{ algorithm: 'sha256', value: 'ab'.repeat(32) }] })
  })).status
  assert.equal(await check(token), 200)
  assert.equal(await check(token), 200)
  assert.equal(await check('not-a-token'), 401)
  const text = (await scrape(a)).text
  const s = parseScrape(text)
  assert.equal(valueOf(s, 'hashfed_check_requests_total', { endpoint: '/v1/check', code: '200' }), 2)
  assert.equal(valueOf(s, 'hashfed_check_requests_total', { endpoint: '/v1/check', code: '401' }), 1)
  assert.equal(valueOf(s, 'hashfed_check_request_duration_seconds_count', { endpoint: '/v1/check' }), 3)
  assert.equal(valueOf(s, 'hashfed_check_request_duration_seconds_bucket', { endpoint: '/v1/check', le: '+Inf' }), 3)
  assert.ok((valueOf(s, 'hashfed_check_request_duration_seconds_sum', { endpoint: '/v1/check' }) ?? 0) > 0)
  assert.equal(valueOf(s, 'hashfed_check_hashes_total'), 2)
  assert.equal(valueOf(s, 'hashfed_check_matches_total'), 0)
  assert.doesNotMatch(text, new RegExp(token), 'no token in metrics')
  // a second node in the same process counts only its own
  const other = (await scrape(b)).parsed
  assert.equal(valueOf(other, 'hashfed_check_requests_total', { endpoint: '/v1/check', code: '200' }), undefined)
  assert.equal(valueOf(other, 'hashfed_node_info', { name: 'OTHER', peer_id: m2.peerId }), 1)
  await assertWellFormed(text, s)
})
