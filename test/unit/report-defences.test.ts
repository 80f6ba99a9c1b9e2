import { test } from 'node:test'
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { isHashfedError } from '../../src/errors.js'
import { pb, type hashfed } from '../../src/proto/index.js'
import { generateIdentityKey, identityFromKeyBytes } from '../../src/identity/identity.js'
import { validateReportRecord } from '../../src/reports/report-validation.js'
import { openReport, openStatus, signReport, signStatus } from '../../src/reports/report-codec.js'
import { sentBy } from '../../src/courier/signed-record.js'
import { InboundQuota } from '../../src/courier/inbound-quota.js'
import { LogThrottle } from '../../src/util/log-throttle.js'
import { MAX_CLOCK_SKEW_MS } from '../../src/reports/constants.js'
import { QUOTA_GRACE } from '../../src/courier/constants.js'

const field = (f: string) => (e: unknown) => isHashfedError(e, 'HF_INVALID_REPORT') && e.details?.field === f
const reason = (r: string) => (e: unknown) => isHashfedError(e) && e.details?.reason === r

test('one validator for submit and receipt: every field of a report record is checked as submit checks it', () => {
  const now = Date.now()
  const good: hashfed.v1.UrlReport.$Properties = { version: 1, id: randomUUID(), url: 'https://example.nl/a', ip: '193.0.6.139', country: 'NL', hoster: 'Host BV', asn: 3333, createdMs: now, countrySource: 'explicit', hashes: [{ algorithm: pb.Algorithm.SHA256, value: new Uint8Array(32) }], note: 'n' }
  validateReportRecord(good, now)
  const bad: Array<[string, Partial<hashfed.v1.UrlReport.$Properties>]> = [
    ['url', { url: 'javascript:alert(1)' }],
    ['url', { url: ' https://example.nl/a' }],
    ['url', { url: 'https://example.nl/' + 'a'.repeat(9000) }],
    ['ip', { ip: '999.1.2.3' }],
    ['ip', { ip: '::ffff:193.0.6.139' }],
    ['country', { country: 'nl' }],
    ['country', { country: 'XX' }],
    ['hoster', { hoster: 'h'.repeat(100 * 1024) }],
    ['hoster', { hoster: 'bell\u0007' }],
    ['hashes', { hashes: Array.from({ length: 101 }, () => ({ algorithm: pb.Algorithm.SHA256, value: new Uint8Array(32) })) }],
    ['hashes', { hashes: [{ algorithm: pb.Algorithm.SHA256, value: new Uint8Array(3) }] }],
    ['note', { note: 'x'.repeat(5000) }],
    ['createdMs', { createdMs: now + MAX_CLOCK_SKEW_MS + 60_000 }],
    ['createdMs', { createdMs: 0 }],
    ['countrySource', { countrySource: 'reporter=jane' }],
    ['classification', { classification: 77 as hashfed.v1.Classification }],
    ['id', { id: 'not-a-uuid' }]
  ]
  for (const [f, change] of bad) assert.throws(() => validateReportRecord({ ...good, ...change }, now), field(f), JSON.stringify(change).slice(0, 80))
})

test('records: unknown fields and non-canonical bytes are refused; a signer other than the sender is refused before its signature is checked', async () => {
  const a = identityFromKeyBytes(await generateIdentityKey())
  const b = identityFromKeyBytes(await generateIdentityKey())
  const report = signReport(a, { version: 1, id: randomUUID(), origin: a.peerIdBytes, target: b.peerIdBytes, url: 'https://example.nl/x', country: 'NL', createdMs: 1 })
  assert.equal(openReport(report, sentBy(a.peerIdBytes)).url, 'https://example.nl/x')
  const extra = new Uint8Array([...report.body!, 0x9a, 0x06, 0x03, 0x61, 0x62, 0x63]) // field 99, "abc"
  assert.throws(() => openReport({ body: extra, signature: a.sign(extra) }), reason('malformed'))
  // a default value written out: valid protobuf, but not how this version encodes
  const status = signStatus(b, { reportId: randomUUID(), author: b.peerIdBytes, seq: 1, status: pb.ReportStatus.ASSESSED, atMs: 5 })
  assert.equal(openStatus(status).seq, 1)
  const zeroNote = new Uint8Array([...status.body!, 0x2a, 0x00]) // note = "" written out
  assert.throws(() => openStatus({ body: zeroNote, signature: b.sign(zeroNote) }), reason('malformed'))
  // the bytes name a, b sends them: refused without a verification (a bogus signature is never looked at)
  assert.throws(() => openReport({ body: report.body, signature: new Uint8Array(64) }, sentBy(b.peerIdBytes)), reason('relayed'))
})

test('inbound quota: a burst per member and kind, then refusals with a retry time; ignoring it is an offence every QUOTA_GRACE refusals', () => {
  const q = new InboundQuota({ burst: 3, perMinute: 0.001 })
  for (let i = 0; i < 3; i++) assert.deepEqual(q.take('A', 'report'), { granted: true })
  assert.deepEqual(q.take('A', 'status'), { granted: true }, 'another kind has its own bucket')
  assert.deepEqual(q.take('B', 'report'), { granted: true }, 'another member has its own bucket')
  const refusals = Array.from({ length: 2 * QUOTA_GRACE }, () => q.take('A', 'report'))
  assert.ok(refusals.every(r => !r.granted && r.retryAfterMs > 0))
  assert.deepEqual(refusals.map((r, i) => !r.granted && r.ignored ? i + 1 : 0).filter(n => n > 0), [QUOTA_GRACE, 2 * QUOTA_GRACE])
})

test('log throttle: a few lines per key and window, then the count of what was dropped', () => {
  let now = 0
  const t = new LogThrottle(2, 1000, () => now)
  assert.deepEqual([t.take('k'), t.take('k'), t.take('k'), t.take('k'), t.take('other')], [{ suppressed: 0 }, { suppressed: 0 }, null, null, { suppressed: 0 }])
  now = 1000
  assert.deepEqual(t.take('k'), { suppressed: 2 })
})
