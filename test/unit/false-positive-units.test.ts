import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { MatchCounter } from '../../src/match/match-counter.js'
import { BenignIndex } from '../../src/match/benign-index.js'
import { entryFromProto, entryToProto } from '../../src/log/entry-codec.js'
import { pb } from '../../src/proto/index.js'

const HOUR = 3_600_000

describe('MatchCounter: distinct hosters over a sliding window, matches per hour', () => {
  const limits = { maxHosters: 5, maxMatchesPerHour: 10, hosterWindowMs: HOUR }

  it('goes over on the sixth distinct hoster, not on repeats of one', () => {
    const c = new MatchCounter({ ...limits, maxMatchesPerHour: 1000 })
    for (let i = 0; i < 50; i++) assert.equal(c.record('sha256:aa', 'h1', 1000 + i), null, 'one hoster many times')
    for (let i = 2; i <= 5; i++) assert.equal(c.record('sha256:aa', `h${i}`, 2000), null)
    assert.equal(c.record('sha256:aa', 'h6', 2001), 'hosters')
  })

  it('forgets hosters outside the window', () => {
    const c = new MatchCounter({ ...limits, maxMatchesPerHour: 1000 })
    for (let i = 1; i <= 5; i++) c.record('pdq:bb', `h${i}`, 0)
    assert.equal(c.record('pdq:bb', 'h6', HOUR + 1), null, 'the first five are outside the window')
    assert.equal(c.counts('pdq:bb', HOUR + 1).hosters, 1)
  })

  it('goes over on matches per hour, and the old hour fades out', () => {
    const c = new MatchCounter(limits)
    for (let i = 0; i < 10; i++) assert.equal(c.record('md5:cc', 'h1', i), null)
    assert.equal(c.record('md5:cc', 'h1', 11), 'matches')
    const later = new MatchCounter(limits)
    for (let i = 0; i < 10; i++) later.record('md5:cc', 'h1', i)
    // three hours on: nothing of the first hour counts
    assert.equal(later.record('md5:cc', 'h1', 3 * HOUR), null)
  })

  it('a confirmed hash gets its thresholds multiplied', () => {
    const c = new MatchCounter({ ...limits, maxMatchesPerHour: 1000 })
    c.reset('sha1:dd', 10)
    for (let i = 1; i <= 50; i++) assert.equal(c.record('sha1:dd', `h${i}`, 5), null)
    assert.equal(c.record('sha1:dd', 'h51', 5), 'hosters')
  })
})

describe('BenignIndex', () => {
  const v = new Uint8Array(32).fill(7)
  const hex = Buffer.from(v).toString('hex')
  it('finds exact values of trusted members only, PDQ within the threshold, and forgets withdrawn ones', () => {
    const idx = new BenignIndex()
    idx.set('A', 'sha256', v, 'cms default')
    assert.equal(idx.find('sha256', v, hex, () => false, 31), null, 'untrusted')
    assert.equal(idx.find('sha256', v, hex, o => o === 'A', 31)?.reason, 'cms default')
    const near = Uint8Array.from(v)
    near[0] ^= 0x0f
    idx.set('A', 'pdq', near, 'stock icon')
    assert.equal(idx.find('pdq', v, hex, () => true, 31)?.distance, 4)
    assert.equal(idx.find('pdq', v, hex, () => true, 3), null, 'outside the benign threshold')
    idx.remove('A', 'pdq', near)
    assert.equal(idx.find('pdq', v, hex, () => true, 31), null)
  })
})

describe('benign log entries', () => {
  it('round-trip through the entry codec; a benign entry without a reason is refused', () => {
    const value = new Uint8Array(32).fill(1)
    const pbEntry = entryToProto({ op: 'benign', algorithm: 'sha256', value, reason: 'default image', withdraw: true })
    assert.equal(pbEntry.op, pb.HashEntry.Op.BENIGN_RETRACT)
    const back = entryFromProto(pb.HashEntry.decode(pb.HashEntry.encode(pbEntry).finish()))
    assert.ok(back.op === 'benign')
    assert.deepEqual({ ...back, value: Uint8Array.from(back.value) }, { op: 'benign', algorithm: 'sha256', value, reason: 'default image', withdraw: true })
    assert.throws(() => entryFromProto({ op: pb.HashEntry.Op.BENIGN, algorithm: pb.Algorithm.SHA256, value, reason: '' }), /benign entry needs a reason/)
  })
})
