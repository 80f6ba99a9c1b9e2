import { test } from 'node:test'
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { generateIdentityKey, identityFromKeyBytes } from '../../src/identity/identity.js'
import { isHashfedError } from '../../src/errors.js'
import { openFeedback, openReport, openStatus, signFeedback, signReport, signStatus } from '../../src/reports/report-codec.js'
import { decodeMessage, encodeMessage, messageRecord } from '../../src/courier/envelope.js'
import { openReceipt, signReceipt } from '../../src/courier/receipts.js'
import { bodyHash } from '../../src/courier/signed-record.js'
import { KeyedLock } from '../../src/util/lock.js'
import { checkSubmitFields, parseReportDetails } from '../../src/reports/report-input.js'
import { pb } from '../../src/proto/index.js'

const reason = (r: string) => (e: unknown) => isHashfedError(e) && e.details?.reason === r

test('every record kind is verified against the signer it names, over its exact bytes', async () => {
  const a = identityFromKeyBytes(await generateIdentityKey())
  const b = identityFromKeyBytes(await generateIdentityKey())
  const id = randomUUID()
  const report = signReport(a, { version: 1, id, origin: a.peerIdBytes, target: b.peerIdBytes, url: 'https://example.nl/x', country: 'NL', createdMs: 1 })
  assert.equal(openReport(report).id, id)
  const status = signStatus(b, { reportId: id, author: b.peerIdBytes, seq: 1, status: pb.ReportStatus.REMOVED, atMs: 2 })
  assert.equal(openStatus(status).seq, 1)
  const receipt = signReceipt(b, { reportId: id, receiver: b.peerIdBytes, ackedHash: bodyHash(report), receivedMs: 3 })
  assert.deepEqual(Buffer.from(openReceipt(receipt).ackedHash), Buffer.from(bodyHash(report)))
  const feedback = signFeedback(a, { id, author: a.peerIdBytes, origin: b.peerIdBytes, verdict: pb.Feedback.Verdict.DISPUTED, reason: 'default theme image' })
  assert.equal(openFeedback(feedback).reason, 'default theme image')

  // one flipped byte in the body, a signature by someone else, a claimed signer that did not sign
  const tampered = { body: Buffer.from(report.body!), signature: report.signature }
  tampered.body[tampered.body.indexOf('example')] ^= 1
  assert.throws(() => openReport(tampered), reason('bad-signature'))
  assert.throws(() => openReport({ body: report.body, signature: b.sign(report.body!) }), reason('bad-signature'))
  const forged = pb.UrlReport.encode({ version: 1, id, origin: b.peerIdBytes, target: a.peerIdBytes, url: 'u', country: 'NL' }).finish()
  assert.throws(() => openReport({ body: forged, signature: a.sign(forged) }), reason('bad-signature'))
  assert.throws(() => openReport({ body: new Uint8Array([0xff, 0xff]), signature: new Uint8Array(64) }), reason('malformed'))
  assert.throws(() => openReport(null), reason('malformed'))
  assert.throws(() => openStatus({ body: pb.StatusUpdate.encode({ reportId: id }).finish(), signature: new Uint8Array(64) }), reason('malformed'), 'no author')
})

test('report messages: one kind per message, garbage is a malformed rejection', async () => {
  const a = identityFromKeyBytes(await generateIdentityKey())
  const signed = signStatus(a, { reportId: randomUUID(), author: a.peerIdBytes, seq: 1, status: pb.ReportStatus.ASSESSED })
  const msg = decodeMessage(encodeMessage({ status: signed }))
  assert.equal(msg.kind, 'status')
  assert.deepEqual(messageRecord({ status: signed })?.kind, 'status')
  assert.equal(messageRecord({ error: { reason: 'x' } }), null)
  assert.throws(() => decodeMessage(new Uint8Array()), reason('malformed'))
  assert.throws(() => decodeMessage(new Uint8Array([0x0a, 0xff, 0xff])), reason('malformed'))
})

test('submit input: unknown fields such as reporter are refused; details are validated', () => {
  assert.throws(() => checkSubmitFields({ url: 'https://x.example/', reporter: 'Jane' }), (e: unknown) => isHashfedError(e, 'HF_INVALID_ARGUMENT') && e.details?.field === 'reporter')
  assert.throws(() => checkSubmitFields({ url: 'https://x.example/', email: 'j@x' }), (e: unknown) => isHashfedError(e, 'HF_INVALID_ARGUMENT'))
  checkSubmitFields({ url: 'u', ip: '1.2.3.4', country: 'NL', hoster: 'h', asn: 1, classification: 'baseline', media: 'site', hashes: [], note: '' })
  const d = parseReportDetails({ url: 'u', classification: 'national', media: 'site', hashes: ['pdq:' + '0'.repeat(64)], note: '  n  ' })
  assert.deepEqual([d.classification, d.media, d.hashes.length, d.note], [pb.Classification.NATIONAL, pb.MediaType.SITE, 1, 'n'])
  assert.throws(() => parseReportDetails({ url: 'u', media: 'audio' as never }), (e: unknown) => isHashfedError(e, 'HF_INVALID_REPORT') && e.details?.field === 'media')
  assert.throws(() => parseReportDetails({ url: 'u', note: 'x'.repeat(5000) }), (e: unknown) => isHashfedError(e, 'HF_INVALID_REPORT'))
  assert.throws(() => parseReportDetails({ url: 'u', hashes: ['md5:zz'] }), (e: unknown) => isHashfedError(e, 'HF_INVALID_HASH'))
})

test('the keyed lock runs sections one at a time per key and in parallel across keys', async () => {
  const lock = new KeyedLock()
  const events: string[] = []
  const section = (key: string, name: string, ms: number) => lock.run(key, async () => { events.push(`${name}+`); await sleep(ms); events.push(`${name}-`) })
  await Promise.all([section('a', 'a1', 20), section('a', 'a2', 1), section('b', 'b1', 5)])
  assert.deepEqual(events.filter(e => e.startsWith('a')), ['a1+', 'a1-', 'a2+', 'a2-'])
  assert.ok(events.indexOf('b1-') < events.indexOf('a1-'), 'another key does not wait')
  await assert.rejects(lock.run('a', async () => { throw new Error('boom') }))
  assert.equal(await lock.run('a', async () => 42), 42, 'a failed section releases the key')
})
