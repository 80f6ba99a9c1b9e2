import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { lpStream } from '@libp2p/utils'
import { tempDir } from '../helpers/temp-dir.js'
import { CapturedLog, createFederation, startMember, waitFor, type TestMember } from '../helpers/federation.js'
import { setReportsConfig } from '../helpers/reports.js'
import { HostileReporter } from '../helpers/hostile-reporter.js'
import type { HashfedNode, StartNodeInit } from '../../src/daemon/hashfed-node.js'
import { pb } from '../../src/proto/index.js'
import { COURIER_BATCH_PROTOCOL, MAX_BATCH_ITEMS, MAX_MESSAGE_BYTES } from '../../src/courier/constants.js'
import { decodeMessage, encodeMessage, messageRecord, type Envelope, type EnvelopeInit } from '../../src/courier/envelope.js'
import { openReceipt, signReceipt } from '../../src/courier/receipts.js'
import { bodyHash, sameBytes, type Signed } from '../../src/courier/signed-record.js'

// Courier protocol 1.1.0: several records a message, one signed receipt naming them all. A
// member holding DE's key (HostileReporter) sends batches to EOKM with bad records among good
// ones; a hostile target answers DE's batches with receipts that leave records out.

const running: Array<{ stop: () => Promise<void> }> = []
after(async () => { for (const n of running.reverse()) await n.stop().catch(() => {}) })

async function start (m: TestMember, extra: Omit<StartNodeInit, 'dir' | 'logger'> = {}): Promise<HashfedNode> {
  const { node } = await startMember(m, new CapturedLog({ node: m.name }), extra)
  running.push(node)
  return node
}

async function hostile (m: TestMember): Promise<HostileReporter> {
  const h = await HostileReporter.startPublished(m)
  running.push(h.peer)
  return h
}

const idOf = (s: Signed): string => pb.UrlReport.decode(s.body!).id
const batch = (records: Signed[]): EnvelopeInit => ({ batch: { messages: records.map(report => ({ report })) } })

/** The answer's receipt, verified, and the refusal reasons by position. */
function answerOf (a: Envelope | null, receiver: HashfedNode): { acked: Uint8Array[], refused: Map<number, string> } {
  assert.equal(a?.kind, 'batchAnswer', `a batch answer, not ${JSON.stringify(a?.error ?? a?.kind)}`)
  const r = a.batchAnswer!.receipt == null ? null : openReceipt(a.batchAnswer!.receipt)
  if (r !== null) assert.ok(sameBytes(r.receiver, receiver.ctx.identity.peerIdBytes), 'signed by the receiver')
  return { acked: r?.ackedHashes ?? [], refused: new Map((a.batchAnswer!.refused ?? []).map(x => [x.index ?? 0, x.error?.reason ?? ''])) }
}

const names = (acked: Uint8Array[], s: Signed): boolean => acked.some(h => sameBytes(h, bodyHash(s)))

test('a batch with a forged record: the forgery is refused alone and counted, the others are stored and named in one receipt; redelivery is idempotent', async () => {
  const root = await tempDir()
  const [nlM, deM] = await createFederation(root, [{ name: 'EOKM', countries: ['NL'] }, { name: 'DE', countries: ['DE'] }])
  const nl = await start(nlM, { penalties: { threshold: 1000 } })
  const de = await hostile(deM)

  const good = Array.from({ length: 5 }, () => de.report(nlM))
  const forged = de.report(nlM)
  forged.signature = Uint8Array.from(forged.signature!, (b, i) => i === 0 ? b ^ 1 : b)
  const wrongTarget = de.report(deM)
  const records = [good[0], good[1], forged, good[2], wrongTarget, good[3], good[4], good[0]]
  const badSigBefore = nl.reports.inbox.rejections.count('bad-signature')
  const offencesBefore = nl.penalties.offences.count('report:bad-signature')

  const a = answerOf(await de.send(nlM, batch(records)), nl)
  assert.deepEqual([...a.refused], [[2, 'bad-signature'], [4, 'wrong-target']], 'only the forged and the misaddressed record are refused, by position')
  for (const s of good) assert.ok(names(a.acked, s), 'the receipt names every good record')
  assert.equal(a.acked.length, 5, 'the same bytes twice are named once; refused ones not at all')
  assert.ok(!names(a.acked, forged) && !names(a.acked, wrongTarget))
  assert.equal(nl.reports.inbox.rejections.count('bad-signature'), badSigBefore + 1, 'the forgery is counted')
  assert.equal(nl.penalties.offences.count('report:bad-signature'), offencesBefore + 1, 'and is an offence of the sender')
  for (const s of good) assert.equal((await nl.reports.show(idOf(s))).status, 'received')
  await assert.rejects(nl.reports.show(idOf(forged)), 'the forged report is not stored')
  assert.equal(nl.reports.inbox.acceptedByKind.get('report'), 5)

  // the same batch again: nothing stored twice, every good record named again
  const dup = nl.reports.inbox.duplicates
  const again = answerOf(await de.send(nlM, batch(records)), nl)
  assert.equal(again.acked.length, 5)
  assert.equal(nl.reports.inbox.duplicates, dup + 5)
  assert.equal(nl.reports.inbox.acceptedByKind.get('report'), 5)

  // a peer of the previous version resends one record alone: a single receipt naming it
  const single = await de.send(nlM, { report: good[1] })
  assert.equal(single?.kind, 'receipt')
  const r = openReceipt(single.receipt)
  assert.equal(r.reportId, idOf(good[1]))
  assert.ok(sameBytes(r.ackedHash, bodyHash(good[1])))
  assert.ok(sameBytes(r.receiver, nl.ctx.identity.peerIdBytes))
})

test('a batch counts every record against the sender\'s quota; over-long batches and nested batches are refused', async () => {
  const root = await tempDir()
  const [nlM, deM] = await createFederation(root, [{ name: 'EOKM', countries: ['NL'] }, { name: 'DE', countries: ['DE'] }])
  await setReportsConfig(nlM, { inboundQuota: { burst: 3, perMinute: 1 } })
  const nl = await start(nlM, { penalties: { threshold: 1000 } })
  const de = await hostile(deM)

  const records = Array.from({ length: 5 }, () => de.report(nlM))
  const a = answerOf(await de.send(nlM, batch(records)), nl)
  assert.equal(a.acked.length, 3, 'three records fit the quota')
  assert.deepEqual([...a.refused], [[3, 'quota'], [4, 'quota']], 'the rest are refused for quota, one by one')

  const tooMany = await de.send(nlM, batch(Array.from({ length: MAX_BATCH_ITEMS + 1 }, () => de.report(nlM))))
  assert.equal(tooMany?.kind, 'error')
  assert.equal(tooMany.error?.reason, 'malformed')

  const nested = await de.send(nlM, { batch: { messages: [{ batch: { messages: [{ report: de.report(nlM) }] } }] } })
  assert.equal(answerOf(nested, nl).refused.get(0), 'unknown-kind')
})

/**
 * A target on protocol 1.1.0 that answers a batch with a receipt naming only the records
 * `keep` allows (and refuses none): what it leaves out must stay in the sender's outbox.
 */
async function stingyTarget (h: HostileReporter, keep: (index: number) => boolean, stats: { batches: number, largest: number }, forge = false): Promise<void> {
  await h.libp2p.handle(COURIER_BATCH_PROTOCOL, (stream) => {
    void (async () => {
      const s = lpStream(stream, { maxDataLength: MAX_MESSAGE_BYTES })
      for (;;) {
        let msg: Envelope
        try { msg = decodeMessage(await s.read()) } catch { break }
        const records = msg.kind === 'batch' ? (msg.batch?.messages ?? []).map(m => messageRecord(m)!.signed) : [messageRecord(msg)!.signed]
        if (msg.kind === 'batch') { stats.batches++; stats.largest = Math.max(stats.largest, records.length) }
        const acked = records.filter((_, i) => keep(i)).map(bodyHash)
        const receipt = signReceipt(h.identity, { receiver: h.identity.peerIdBytes, ackedHashes: acked, receivedMs: Date.now() })
        // forged: every other batch a receipt whose signature is flipped, the others no receipt at all
        if (forge) receipt.signature = Uint8Array.from(receipt.signature!, (b, i) => i === 0 ? b ^ 1 : b)
        const batchAnswer = forge && stats.batches % 2 === 0 ? {} : { receipt }
        await s.write(encodeMessage(msg.kind === 'batch' ? { batchAnswer } : forge ? { error: { code: 'HF_INTERNAL', reason: 'internal', message: 'not now' } } : { receipt: signReceipt(h.identity, { reportId: pb.UrlReport.decode(records[0].body!).id, receiver: h.identity.peerIdBytes, ackedHash: bodyHash(records[0]), receivedMs: Date.now() }) }))
      }
      await stream.close().catch(() => {})
    })().catch((err: Error) => stream.abort(err))
  }, { maxInboundStreams: 64 })
}

test('one receipt covering many reports drains the outbox per report; a record the receipt leaves out stays', async () => {
  const root = await tempDir()
  const [nlM, deM] = await createFederation(root, [{ name: 'EOKM', countries: ['NL'] }, { name: 'DE', countries: ['DE'] }])
  const de = await start(deM)
  const nl = await start(nlM)
  const n = 120
  const ids = await Promise.all(Array.from({ length: n }, async (_, i) => (await de.reports.submit({ url: `https://example.nl/wire/${i}`, country: 'NL' })).id))
  assert.ok(await waitFor(() => de.reports.outboxDepth() === 0, 60_000), 'every report receipted')
  assert.equal(nl.reports.inbox.acceptedByKind.get('report'), n)
  // each report keeps the receipt that names it; most came in receipts naming many
  let shared = 0
  for (const id of ids) {
    const view = await de.reports.show(id)
    assert.equal(view.status, 'received')
    assert.ok(view.receivedAt !== null, 'the receipt is kept with the report')
    const stored = (await de.reports.reports.get(id))!
    const r = openReceipt(stored.receipt)
    assert.ok(r.ackedHashes.length === 0 ? r.reportId === id : r.ackedHashes.some(h => sameBytes(h, bodyHash(stored.report!))))
    if (r.ackedHashes.length > 1) shared++
  }
  assert.ok(shared > n / 2, `most reports were receipted in batches (${shared} of ${n})`)
  await Promise.all([de.stop(), nl.stop()])
  for (const node of [de, nl]) running.splice(running.indexOf(node), 1)

  // a stingy EOKM names every record of a batch but the first: exactly those stay queued
  const de2 = await start(deM)
  const h = await hostile(nlM)
  const stats = { batches: 0, largest: 0 }
  await stingyTarget(h, i => i !== 0, stats)
  const sent = await Promise.all(Array.from({ length: 40 }, async (_, i) => (await de2.reports.submit({ url: `https://example.nl/stingy/${i}`, country: 'NL' })).id))
  assert.ok(await waitFor(() => stats.batches > 0 && de2.reports.outbox.badReceipts >= stats.batches, 60_000), 'the receipts leaving one record out were noticed')
  await waitFor(() => de2.reports.outboxDepth() <= stats.batches, 30_000)
  assert.ok(stats.largest > 1, 'DE sent batches')
  const left = await de2.reports.outbox.list()
  assert.ok(left.length > 0 && left.length <= stats.batches, `only the left-out records stay (${left.length} for ${stats.batches} batches)`)
  assert.ok(left.every(e => e.lastError?.startsWith('invalid receipt') === true))
  const held = new Set(left.map(e => e.subject))
  for (const id of sent) if (!held.has(id)) assert.ok((await de2.reports.show(id)).receivedAt !== null, 'a named record was completed')
})

test('a batch answer with a forged receipt, or none, completes nothing: every record stays in the outbox', async () => {
  const root = await tempDir()
  const [nlM, deM] = await createFederation(root, [{ name: 'EOKM', countries: ['NL'] }, { name: 'DE', countries: ['DE'] }])
  const de = await start(deM)
  const h = await hostile(nlM)
  const stats = { batches: 0, largest: 0 }
  await stingyTarget(h, () => true, stats, true)
  const n = 20
  await Promise.all(Array.from({ length: n }, async (_, i) => await de.reports.submit({ url: `https://example.nl/forged/${i}`, country: 'NL' })))
  assert.ok(await waitFor(() => stats.batches >= 2, 60_000), 'DE sent batches')
  assert.ok(await waitFor(() => de.reports.outbox.badReceipts >= 2, 30_000), 'the forged and the missing receipts are counted')
  // single messages (the first of a stream) it refuses: nothing may have left the outbox
  const left = await de.reports.outbox.list()
  assert.equal(left.length, n, 'every record stays')
  assert.equal(de.reports.outbox.delivered, 0)
  assert.ok(left.every(e => e.lastError === null || e.lastError.startsWith('invalid receipt') || e.lastError.includes('internal')))
})

test('a peer of the previous version (protocol 1.0.0 only) is sent one record a message and receipts drain the outbox', async () => {
  const root = await tempDir()
  const [nlM, deM] = await createFederation(root, [{ name: 'EOKM', countries: ['NL'] }, { name: 'DE', countries: ['DE'] }])
  const de = await start(deM)
  const old = await hostile(nlM)
  const ids = await Promise.all(Array.from({ length: 30 }, async (_, i) => (await de.reports.submit({ url: `https://example.nl/old/${i}`, country: 'NL' })).id))
  assert.ok(await waitFor(() => de.reports.outboxDepth() === 0, 60_000), 'the old peer receipted every report')
  assert.equal(old.received.length, ids.length)
  assert.ok(old.received.every(m => m.kind === 'report'), 'one record a message, never a batch')
})
