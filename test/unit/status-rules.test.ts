import { test } from 'node:test'
import assert from 'node:assert/strict'
import { pb } from '../../src/proto/index.js'
import { transitionError, TRANSITIONS } from '../../src/reports/status-rules.js'
import { chainError } from '../../src/reports/report-handlers.js'
import { resolveReportId } from '../../src/reports/report-id.js'
import { isHashfedError } from '../../src/errors.js'
import type { StatusUpdate } from '../../src/reports/report-codec.js'

test('status state machine: forward steps pass, backward steps need a reopen, closed is final', () => {
  assert.equal(transitionError('received', 'assessed', false), null)
  assert.equal(transitionError('assessed', 'notice-sent', false), null)
  assert.equal(transitionError('notice-sent', 'removed', false), null)
  assert.equal(transitionError('assessed', 'not-illegal', false), null)
  assert.match(transitionError('removed', 'assessed', false) ?? '', /final/)
  assert.equal(transitionError('received', 'removed', false), null, 'content found gone at once')
  assert.match(transitionError('notice-sent', 'not-illegal', false) ?? '', /goes on to/)
  assert.match(transitionError('notice-sent', 'assessed', false) ?? '', /reopen/)
  assert.equal(transitionError('removed', 'assessed', true), null)
  assert.match(transitionError('removed', 'removed', true) ?? '', /assessed or notice-sent/)
  assert.match(transitionError('received', 'assessed', true) ?? '', /nothing to reopen/)
  for (const closed of ['removed', 'not-illegal', 'unreachable'] as const) assert.deepEqual(TRANSITIONS[closed], [])
})

const upd = (seq: number, status: number, reopen = false): StatusUpdate => pb.StatusUpdate.create({ reportId: 'x', seq, status, reopen })

test('inbound status updates: the chain is checked where both neighbours are held (out-of-order arrival is fine)', () => {
  const S = pb.ReportStatus
  // removed → assessed without a reopen, as an older or a broken sender would send it
  assert.match(chainError([upd(1, S.ASSESSED), upd(2, S.REMOVED)], upd(3, S.ASSESSED)) ?? '', /final/)
  assert.equal(chainError([upd(1, S.ASSESSED), upd(2, S.REMOVED)], upd(3, S.ASSESSED, true)), null)
  // seq 1 follows `received`
  assert.equal(chainError([], upd(1, S.REMOVED)), null)
  assert.match(chainError([upd(1, S.NOTICE_SENT)], upd(2, S.ASSESSED)) ?? '', /goes on to/)
  // a gap: seq 3 arrives before seq 2, nothing to check it against yet
  assert.equal(chainError([upd(1, S.ASSESSED)], upd(3, S.REMOVED)), null)
  // seq 2 arriving late is checked against both neighbours
  assert.equal(chainError([upd(1, S.ASSESSED), upd(3, S.REMOVED)], upd(2, S.NOTICE_SENT)), null)
  assert.match(chainError([upd(1, S.ASSESSED), upd(3, S.ASSESSED)], upd(2, S.REMOVED)) ?? '', /final/)
})

test('report ids: full id, unique prefix of 8+, too short, ambiguous, unknown', () => {
  const ids = ['0a1b2c3d-0000-4000-8000-000000000001', '0a1b2c3d-0000-4000-8000-000000000002', 'ffeeddcc-0000-4000-8000-000000000003']
  assert.equal(resolveReportId('ffeeddcc', ids), ids[2])
  assert.equal(resolveReportId('FFEEDDCC-0000', ids), ids[2])
  assert.equal(resolveReportId(ids[0], ids), ids[0])
  const code = (f: () => unknown): string => { try { f(); return 'ok' } catch (err) { return isHashfedError(err) ? `${err.code} ${err.message}` : String(err) } }
  assert.match(code(() => resolveReportId('ffeeddc', ids)), /HF_INVALID_ARGUMENT .*at least 8/)
  assert.match(code(() => resolveReportId('0a1b2c3d', ids)), /HF_INVALID_ARGUMENT .*ambiguous.*0a1b2c3d-0000-4000-8000-000000000001, 0a1b2c3d-0000-4000-8000-000000000002/)
  assert.match(code(() => resolveReportId('12345678', ids)), /HF_NOT_FOUND/)
  assert.match(code(() => resolveReportId('not-an-id!', ids)), /HF_NOT_FOUND/)
})
