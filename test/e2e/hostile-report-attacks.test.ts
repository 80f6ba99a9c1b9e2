import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { randomBytes, randomUUID } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { tempDir } from '../helpers/temp-dir.js'
import { CapturedLog, createFederation, startMember, waitFor, type TestMember } from '../helpers/federation.js'
import { setReportsConfig, storeHolds } from '../helpers/reports.js'
import { HostileReporter, garbageReportFrame, withUnknownField } from '../helpers/hostile-reporter.js'
import { startNode } from '../helpers/crash.js'
import { randomAdds } from '../helpers/hashes.js'
import { HashfedNode, type StartNodeInit } from '../../src/daemon/hashfed-node.js'
import { pb } from '../../src/proto/index.js'
import { parsePeerId, peerIdToBytes, verifyKeyCacheSize } from '../../src/identity/identity.js'
import { MAX_TIME_MS } from '../../src/reports/constants.js'
import { REFUSAL_LOGS_PER_WINDOW } from '../../src/courier/constants.js'
import type { Envelope as ReportMessage, EnvelopeInit as ReportMessageInit } from '../../src/courier/envelope.js'
import type { NodeStatus } from '../../src/node/node-status.js'

// A member holding DE's valid key (HostileReporter: the real report protocol, its own code)
// attacks EOKM (NL) the ways the security review did (issue 13, findings 4, 5 and 6). Each
// test performs the attack and asserts the defence; each failed before it.

const running: Array<{ stop: () => Promise<void> }> = []
after(async () => { for (const n of running.reverse()) await n.stop().catch(() => {}) })

async function start (m: TestMember, extra: Omit<StartNodeInit, 'dir' | 'logger'> = {}, log = new CapturedLog({ node: m.name })): Promise<{ node: HashfedNode, log: CapturedLog }> {
  const started = await startMember(m, log, extra)
  running.push(started.node)
  return started
}

async function hostile (m: TestMember): Promise<HostileReporter> {
  const h = await HostileReporter.startPublished(m)
  running.push(h.peer)
  return h
}

/** A valid report of about 11 KB: a 7 KB URL and a 4 KB note, both within what submit allows. */
const bigReport = (de: HostileReporter, target: TestMember): ReportMessageInit => ({ report: de.report(target, { url: `https://hostile.example.nl/${randomUUID()}/${'a'.repeat(7 * 1024)}`, note: 'n'.repeat(4000) }) })

const reasonOf = (a: ReportMessage | null): string => a === null ? 'failed' : a.kind === 'receipt' ? 'receipt' : a.error?.reason ?? String(a.kind)

test('status forgery: the origin cannot set the status at the responsible hotline; signed times outside the window are refused; the hotline\'s sequence decides', async () => {
  const root = await tempDir()
  const [nlM, deM] = await createFederation(root, [{ name: 'EOKM', countries: ['NL'] }, { name: 'DE', countries: ['DE'] }])
  const { node: nl } = await start(nlM, { penalties: { threshold: 1000 } })
  const de = await hostile(deM)

  // DE reports a URL to EOKM, then tries to close it there itself
  const report = de.report(nlM)
  const id = pb.UrlReport.decode(report.body!).id
  const created = Number(pb.UrlReport.decode(report.body!).createdMs)
  assert.equal(reasonOf(await de.send(nlM, { report })), 'receipt')
  const removed = await de.send(nlM, { status: de.status(id, { seq: 1, status: pb.ReportStatus.REMOVED, atMs: created + 1 }) })
  assert.equal(reasonOf(removed), 'not-responsible', 'the origin may not record a removal')
  const notIllegal = await de.send(nlM, { status: de.status(id, { seq: 2, status: pb.ReportStatus.NOT_ILLEGAL_CONTENT, atMs: MAX_TIME_MS }) })
  assert.equal(notIllegal?.kind, 'error', 'a status dated at the end of time is refused')
  let view = await nl.reports.show(id)
  assert.equal(view.status, 'received')
  assert.deepEqual(view.timeline, [])
  assert.equal(view.removedAt, null)

  // EOKM's own updates show, in its order
  await nl.reports.update(id, 'assessed')
  await nl.reports.update(id, 'notice-sent')
  view = await nl.reports.show(id)
  assert.equal(view.status, 'notice-sent')
  assert.deepEqual(view.timeline.map(t => [t.author, t.status]), [['EOKM', 'assessed'], ['EOKM', 'notice-sent']])
  assert.equal(view.timeToRemovalMs, null)
  assert.ok(await waitFor(() => nl.reports.outboxDepth() === 0), 'DE (the origin) receipted EOKM\'s updates')

  // EOKM reports a URL hosted in DE: now DE is the responsible hotline and EOKM the origin
  const out = await nl.reports.submit({ url: 'https://example.de/page', country: 'DE' })
  assert.ok(await waitFor(async () => (await nl.reports.show(out.id)).status === 'received'), 'DE receipted it')
  const outCreated = Date.parse(out.createdAt)
  const now = Date.now()
  const cases: Array<[string, Parameters<HostileReporter['status']>[1]]> = [
    ['an hour ahead of EOKM\'s clock', { seq: 9, status: pb.ReportStatus.NOT_ILLEGAL_CONTENT, atMs: now + 60 * 60_000 }],
    ['at the end of time', { seq: 10, status: pb.ReportStatus.REMOVED, atMs: MAX_TIME_MS }],
    ['a day before the report was made', { seq: 11, status: pb.ReportStatus.REMOVED, atMs: outCreated - 24 * 60 * 60_000 }]
  ]
  for (const [what, fields] of cases) assert.equal(reasonOf(await de.send(nlM, { status: de.status(out.id, fields) })), 'bad-time', what)
  assert.deepEqual((await nl.reports.show(out.id)).timeline, [])

  // seq 2 (removed) arrives before seq 1 (assessed, with a later time): the sequence decides
  assert.equal(reasonOf(await de.send(nlM, { status: de.status(out.id, { seq: 2, status: pb.ReportStatus.REMOVED, atMs: now }) })), 'receipt')
  assert.equal(reasonOf(await de.send(nlM, { status: de.status(out.id, { seq: 1, status: pb.ReportStatus.ASSESSED, atMs: now + 60_000 }) })), 'receipt')
  const shown = await nl.reports.show(out.id)
  assert.equal(shown.status, 'removed', 'the latest in the responsible hotline\'s sequence, not the latest claimed time')
  assert.equal(shown.removedAt, new Date(now).toISOString())
  assert.equal(shown.timeline.length, 2)

  // every refusal was counted against DE
  const rej = nl.reports.rejections()
  assert.equal(rej.byReason['not-responsible'], 1)
  assert.ok((rej.byReason['bad-time'] ?? 0) >= 4)
})

test('report flood: a member past its quota is refused with HF_RATE_LIMITED and loses nothing; counts and listings come from the index, not a scan', async () => {
  const root = await tempDir()
  const [nlM, gbM, deM] = await createFederation(root, [{ name: 'EOKM', countries: ['NL'] }, { name: 'GB', countries: ['GB'] }, { name: 'DE', countries: ['DE'] }])
  await setReportsConfig(nlM, { inboundQuota: { burst: 20, perMinute: 300 } })
  const { node: nl } = await start(nlM, { penalties: { threshold: 1000 } })
  const { node: gb } = await start(gbM)
  assert.ok(await waitFor(() => gb.members.isConnected(nlM.peerId), 15_000))

  // the hostile member sends 200 valid 11 KB reports as fast as it can
  const de = await hostile(deM)
  const t0 = Date.now()
  const flood = await de.flood(nlM, 200, () => bigReport(de, nlM), { streams: 8 })
  const refilled = Math.ceil((Date.now() - t0) / 1000 * 5)
  const accepted = flood.outcomes.get('receipt') ?? 0
  assert.ok(accepted >= 20 && accepted <= 20 + refilled + 1, `the burst of 20 and the ${refilled} refilled meanwhile, not all 200 (accepted ${accepted})`)
  assert.equal(accepted + (flood.outcomes.get('quota') ?? 0), 200, 'everything else was refused for quota')
  // one more, until one is refused: on a slow machine a token may have refilled since the flood
  let refusal = await de.send(nlM, { report: de.report(nlM) })
  let late = 0
  for (; refusal?.kind === 'receipt' && late < 20; late++) refusal = await de.send(nlM, { report: de.report(nlM) })
  assert.equal(refusal?.error?.code, 'HF_RATE_LIMITED')
  assert.ok((refusal?.error?.retryAfterMs ?? 0) > 0, 'the refusal says when to come back')
  assert.equal(await nl.ctx.store.count('reports'), accepted + late)

  // an honest member over the quota pauses and delivers everything later, exactly once
  const ignoredBefore = nl.penalties.offences.count('report:quota-ignored')
  const ids: string[] = []
  for (let i = 0; i < 60; i++) ids.push((await gb.reports.submit({ url: `https://example.nl/honest/${i}`, country: 'NL' })).id)
  assert.ok(await waitFor(() => gb.reports.outboxDepth() === 0, 60_000), `GB's outbox drained (left: ${gb.reports.outboxDepth()})`)
  const fromGb = (await nl.reports.list({ direction: 'inbound', limit: 100_000 })).filter(r => r.origin === 'GB').map(r => r.id)
  assert.deepEqual(fromGb.sort(), [...ids].sort())
  assert.ok((nl.reports.inbox.quotaByPeer.get(gbM.peerId) ?? 0) >= 1, 'GB did meet the quota')
  assert.equal(nl.penalties.offences.count('report:quota-ignored'), ignoredBefore, 'GB, pausing as told, committed no offence')
  assert.equal(nl.penalties.isCutOff(gbM.peerId), false)

  // the dashboard's calls read the index: the reports sublevel is not iterated once
  const sub = nl.ctx.store.sub.reports
  const iterator = sub.iterator.bind(sub)
  let scans = 0
  sub.iterator = ((...args: Parameters<typeof iterator>) => { scans++; return iterator(...args) }) as typeof sub.iterator
  try {
    for (const path of ['/v1/status', '/v1/reports/counts', '/v1/reports?limit=20', '/v1/reports/stats?by=hoster', '/v1/reports?direction=inbound&status=received&limit=5']) {
      const res = await fetch(`${nl.adminUrl}${path}`)
      assert.equal(res.status, 200, path)
      await res.json()
    }
    const status = await (await fetch(`${nl.adminUrl}/v1/status`)).json() as NodeStatus
    assert.equal(status.reports.inbound, await nl.ctx.store.count('reports'))
    assert.equal(status.reports.byStatus.received, status.reports.inbound)
    const listed = await (await fetch(`${nl.adminUrl}/v1/reports?limit=20`)).json() as { reports: Array<{ createdAt: string }> }
    assert.equal(listed.reports.length, 20)
    assert.deepEqual(listed.reports.map(r => r.createdAt), listed.reports.map(r => r.createdAt).sort().reverse(), 'newest first')
  } finally {
    sub.iterator = iterator
  }
  assert.equal(scans, 0, 'no call scanned the reports')
})

test('malformed report messages cut the member off after the penalty threshold; honest members keep reporting', async () => {
  const root = await tempDir()
  const [nlM, gbM, deM] = await createFederation(root, [{ name: 'EOKM', countries: ['NL'] }, { name: 'GB', countries: ['GB'] }, { name: 'DE', countries: ['DE'] }])
  const { node: nl } = await start(nlM) // default penalties: 5 offences in a minute
  const { node: gb } = await start(gbM)
  const de = await hostile(deM)

  // half frames that are no ReportMessage (the stream is closed after each), half reports whose body does not decode
  const flood = await de.flood(nlM, 1000, (i) => i % 2 === 0 ? garbageReportFrame() : { report: { body: new Uint8Array(randomBytes(40)), signature: new Uint8Array(64) } }, { streams: 4 })
  assert.ok(await waitFor(() => nl.penalties.isCutOff(deM.peerId), 15_000), 'DE is cut off')
  assert.ok(flood.refusedDials >= 1, 'once cut off, DE cannot even open a stream')
  const handled = nl.reports.rejections().byPeer[deM.peerId] ?? 0
  assert.ok(handled < 100, `EOKM stopped handling DE's messages early (${handled} of ${flood.sent} sent)`)
  assert.ok(nl.penalties.offences.count('report:malformed') >= 5)
  assert.equal(await de.send(nlM, garbageReportFrame()).catch(() => null), null, 'DE stays refused')

  const view = await gb.reports.submit({ url: 'https://example.nl/after-the-flood', country: 'NL' })
  assert.ok(await waitFor(async () => (await gb.reports.show(view.id)).status === 'received', 15_000), 'GB\'s report still reaches EOKM')
})

test('key-cache churn: records naming ever new signers leave the verification key cache as it was; refusals are logged a few lines a minute', async () => {
  const root = await tempDir()
  const [nlM, deM] = await createFederation(root, [{ name: 'EOKM', countries: ['NL'] }, { name: 'DE', countries: ['DE'] }])
  await setReportsConfig(nlM, { inboundQuota: { burst: 100_000, perMinute: 60 } })
  // no cut-off: every record reaches the handler
  const { node: nl, log } = await start(nlM, { penalties: { threshold: 100_000 } })
  const de = await hostile(deM)
  assert.equal(reasonOf(await de.send(nlM, { report: de.report(nlM) })), 'receipt', 'DE\'s own key is verified (and cached) once')
  const before = verifyKeyCacheSize()
  const N = 3000
  const flood = await de.flood(nlM, N, () => ({ report: de.strangerReport(nlM) }), { streams: 8 })
  assert.equal(flood.sent, N)
  assert.equal(flood.outcomes.get('receipt') ?? 0, 0)
  assert.ok(verifyKeyCacheSize() - before <= 2, `the cache grew by ${verifyKeyCacheSize() - before} keys for ${N} strangers`)
  const logged = log.lines.filter(l => l.msg === 'rejected report message' && l.peer === deM.peerId)
  assert.ok(logged.length <= 3 * REFUSAL_LOGS_PER_WINDOW, `${logged.length} log lines for ${N} refusals`)
  assert.equal(nl.reports.rejections().byPeer[deM.peerId], N, 'every refusal is still counted')
})

test('invalid reports, status updates and feedback that local submit would refuse are refused and leave nothing in the store', async () => {
  const root = await tempDir()
  const [nlM, deM] = await createFederation(root, [{ name: 'EOKM', countries: ['NL'] }, { name: 'DE', countries: ['DE'] }])
  const { node: nl } = await start(nlM, { penalties: { threshold: 1000 } })
  const de = await hostile(deM)
  const control = de.report(nlM, { url: 'https://control.example.nl/marker-control' })
  assert.equal(reasonOf(await de.send(nlM, { report: control })), 'receipt')
  const controlId = pb.UrlReport.decode(control.body!).id

  const hash = { algorithm: pb.Algorithm.SHA256, value: new Uint8Array(32) }
  const cases: Array<[string, string, Uint8Array, 'report' | 'status' | 'feedback']> = [
    ['marker-us', 'wrong-country', de.reportBody(nlM, { country: 'US', url: 'https://example.com/marker-us' }), 'report'],
    ['marker-de', 'wrong-country', de.reportBody(nlM, { country: 'DE', url: 'https://example.de/marker-de' }), 'report'],
    ['marker-js', 'invalid-report', de.reportBody(nlM, { url: 'javascript:alert("marker-js")' }), 'report'],
    ['marker-hoster', 'invalid-report', de.reportBody(nlM, { hoster: 'marker-hoster ' + 'h'.repeat(100 * 1024) }), 'report'],
    ['marker-ip', 'invalid-report', de.reportBody(nlM, { ip: '999.1.2.3', url: 'https://example.nl/marker-ip' }), 'report'],
    ['marker-hashes', 'invalid-report', de.reportBody(nlM, { url: 'https://example.nl/marker-hashes', hashes: Array.from({ length: 1000 }, () => hash) }), 'report'],
    ['reporter=jane.doe@example.org', 'malformed', withUnknownField(de.reportBody(nlM), 'reporter=jane.doe@example.org'), 'report'],
    ['reporter=status', 'malformed', withUnknownField(de.statusBody(controlId), 'reporter=status'), 'status'],
    ['reporter=feedback', 'malformed', withUnknownField(pb.Feedback.encode({ id: randomUUID(), author: de.identity.peerIdBytes, origin: peerIdToBytes(parsePeerId(nlM.peerId)), hash, verdict: pb.Feedback.Verdict.DISPUTED, reason: 'theme image', hoster: 'h', atMs: Date.now() }).finish(), 'reporter=feedback'), 'feedback']
  ]
  for (const [marker, reason, body, kind] of cases) {
    const answer = await de.send(nlM, { [kind]: de.sign(body) })
    assert.equal(reasonOf(answer), reason, marker)
  }
  assert.deepEqual(await storeHolds(nl.ctx.store, ['marker-control', ...cases.map(c => c[0])]), ['marker-control'], 'only the valid report is stored')
  assert.equal(await nl.ctx.store.count('reports'), 1)
  assert.equal(await nl.ctx.store.count('seen'), 1, 'one receipt, for the valid report')
  assert.deepEqual((await nl.reports.show(controlId)).timeline, [])
})

/** VmRSS of a process, in bytes. */
async function rssOf (pid: number): Promise<number> {
  const m = /VmRSS:\s+(\d+) kB/.exec(await readFile(`/proc/${pid}/status`, 'utf8'))
  return Number(m?.[1] ?? 0) * 1024
}

test('under a report flood the target stays within +50 MiB and an honest member\'s batches keep arriving with median lag < 1 s', { timeout: 240_000 }, async () => {
  const root = await tempDir()
  const [nlM, gbM, deM] = await createFederation(root, [{ name: 'EOKM', countries: ['NL'] }, { name: 'GB', countries: ['GB'] }, { name: 'DE', countries: ['DE'] }])
  await setReportsConfig(nlM, { inboundQuota: { burst: 300, perMinute: 60 } })
  // EOKM runs as its own process, so its RSS is its own; startNode publishes its real addresses
  const eokm = await startNode(nlM.dir)
  running.push({ stop: async () => { await eokm.stop() } })
  const admin = eokm.adminUrl
  const { node: gb } = await start(gbM)
  const origin = gbM.peerId
  const arrived = async (seq: number): Promise<number> => {
    for (;;) {
      const res = await fetch(`${admin}/v1/sync/wait?origin=${origin}&seq=${seq}&timeoutMs=30000`).then(async r => await r.json() as { reached: boolean }, () => ({ reached: false }))
      if (res.reached) return Date.now()
    }
  }
  const first = await gb.hashLog.append(gb.ctx.identity, randomAdds(20))
  await arrived(first.batches[0].seq)
  // the lag this machine shows without a flood, for the bound below (a loaded machine is slower)
  const quiet: number[] = []
  for (let i = 0; i < 5; i++) {
    const at = Date.now()
    const r = await gb.hashLog.append(gb.ctx.identity, randomAdds(20))
    quiet.push(await arrived(r.batches[0].seq) - at)
  }
  quiet.sort((a, b) => a - b)
  const de = await hostile(deM)
  assert.equal(reasonOf(await de.send(nlM, { report: de.report(nlM) })), 'receipt')
  await sleep(500)
  const baseline = await rssOf(eokm.child.pid!)

  let peak = baseline
  let sampling = true
  const sampler = (async () => { while (sampling) { peak = Math.max(peak, await rssOf(eokm.child.pid!).catch(() => 0)); await sleep(100) } })()
  const lags: number[] = []
  let publishing = true
  const publisher = (async () => {
    const waits: Array<Promise<void>> = []
    while (publishing) {
      const at = Date.now()
      const r = await gb.hashLog.append(gb.ctx.identity, randomAdds(20))
      waits.push(arrived(r.batches[r.batches.length - 1].seq).then(t => { lags.push(t - at) }))
      await sleep(200)
    }
    await Promise.all(waits)
  })()

  // 5000 valid 11 KB reports over 16 streams, whatever EOKM answers
  const floodStarted = Date.now()
  const flood = await de.flood(nlM, 5000, () => bigReport(de, nlM), { streams: 16 })
  const floodMs = Date.now() - floodStarted
  await sleep(3000)
  publishing = false
  await publisher
  sampling = false
  await sampler

  const status = await (await fetch(`${admin}/v1/status`)).json() as NodeStatus
  const accepted = flood.outcomes.get('receipt') ?? 0
  lags.sort((a, b) => a - b)
  const median = lags[Math.floor(lags.length / 2)]
  process.stdout.write(`# report flood: ${flood.sent} sent, ${accepted} accepted, outcomes ${JSON.stringify(Object.fromEntries(flood.outcomes))}, ${flood.refusedDials} dials refused; EOKM RSS +${((peak - baseline) / 2 ** 20).toFixed(1)} MiB; GB batches: ${lags.length}, median lag ${median} ms, max ${lags[lags.length - 1]} ms\n`)
  // the burst, plus what the quota refills (60 a minute) while the flood lasts
  const allowed = 300 + Math.ceil(60 * floodMs / 60_000) + 1
  // a send cut off with its receipt in flight ("failed") may still have been stored: what EOKM
  // holds is every receipt plus at most those, and it is what the quota bounds
  const stored = status.reports.inbound - 1
  const inFlight = flood.outcomes.get('failed') ?? 0
  assert.ok(stored >= accepted && stored <= accepted + inFlight, `EOKM holds ${stored} flood reports, ${accepted} receipted, ${inFlight} cut off in flight`)
  assert.ok(stored <= allowed, `the quota held (${stored} stored, ${allowed} allowed in ${floodMs} ms)`)
  assert.ok(status.penalties.cutOff.some(c => c.peer === deM.peerId), 'DE, ignoring the quota, was cut off')
  assert.ok(peak - baseline <= 50 * 2 ** 20, `EOKM RSS grew by ${((peak - baseline) / 2 ** 20).toFixed(1)} MiB`)
  assert.ok(lags.length >= 5, 'GB kept publishing')
  const quietMedian = quiet[Math.floor(quiet.length / 2)]
  assert.ok(median < Math.max(1000, 5 * quietMedian), `median lag ${median} ms (without the flood: ${quietMedian} ms)`)
})
