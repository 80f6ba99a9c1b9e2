import { test } from 'node:test'
import assert from 'node:assert/strict'
import { removalTimes, selectSorted } from '../../src/reports/removal-times.js'
import { archiveKey, factsFromArchive, mergeBucket, percentile, summarise, type ArchiveBucket, type ReportFact } from '../../src/reports/report-stats.js'
import { parseSince } from '../../src/reports/report-service.js'
import { DAY_MS } from '../../src/reports/constants.js'
import { isHashfedError } from '../../src/errors.js'

const NOW = Date.parse('2025-06-30T12:00:00Z')

function fact (over: Partial<ReportFact>): ReportFact {
  return { createdMs: NOW - DAY_MS, status: 'received', direction: 'inbound', country: 'NL', hoster: null, asn: null, removalMs: null, count: 1, ...over }
}

test('percentile interpolates between closest ranks', () => {
  assert.equal(percentile([], 0.5), null)
  assert.equal(percentile([7], 0.9), 7)
  assert.equal(percentile([1, 2, 3, 4], 0.5), 3) // 2.5 rounded
  assert.equal(percentile([10, 20, 30], 0.5), 20)
  assert.equal(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.9), 9) // 9.1
  assert.equal(percentile([0, 1000], 0.9), 900)
})

test('summarise counts by status, groups, filters by since and lists hosters open too long', () => {
  const facts = [
    fact({ status: 'removed', hoster: 'A', asn: 1, removalMs: 3_600_000 }),
    fact({ status: 'removed', hoster: 'A', asn: 1, removalMs: 7_200_000 }),
    fact({ status: 'removed', hoster: 'B', asn: 2, removalMs: 36_000_000, country: 'DE', direction: 'outbound' }),
    fact({ status: 'notice-sent', hoster: 'B', asn: 2, createdMs: NOW - 10 * DAY_MS, country: 'DE' }),
    fact({ status: 'received', hoster: 'B', createdMs: NOW - 9 * DAY_MS, country: 'NL' }),
    fact({ status: 'received', hoster: 'C', createdMs: NOW - 2 * DAY_MS }),
    fact({ status: 'queued', hoster: 'D', createdMs: NOW - 30 * DAY_MS }),
    fact({ status: 'unroutable', createdMs: NOW - 40 * DAY_MS, country: 'FR' })
  ]
  const all = summarise(facts, { by: 'hoster', openAlertDays: 7, now: NOW })
  assert.equal(all.total, 8)
  assert.equal(all.byStatus.removed, 3)
  assert.equal(all.byStatus.unroutable, 1)
  assert.deepEqual(all.removal, { count: 3, medianMs: 7_200_000, p90Ms: 30_240_000 })
  const a = all.groups.find(g => g.key === 'A')
  assert.deepEqual(a?.removal, { count: 2, medianMs: 5_400_000, p90Ms: 6_840_000 })
  assert.equal(all.groups[0].key, 'B', 'largest group first')
  assert.ok(all.groups.some(g => g.key === '(unknown)'))
  // open = received/assessed/notice-sent and older than 7 days; queued is not the hoster's doing
  assert.deepEqual(all.openAlert.hosters, [{ hoster: 'B', countries: ['DE', 'NL'], open: 2, oldestAt: new Date(NOW - 10 * DAY_MS).toISOString() }])

  const recent = summarise(facts, { by: 'country', sinceMs: NOW - 5 * DAY_MS, openAlertDays: 7, now: NOW })
  assert.equal(recent.total, 4)
  assert.deepEqual(recent.groups.map(g => [g.key, g.total]), [['NL', 3], ['DE', 1]])
  assert.equal(recent.since, new Date(NOW - 5 * DAY_MS).toISOString())
  assert.deepEqual(summarise(facts, { by: 'asn', openAlertDays: 7, now: NOW }).groups.map(g => g.key).sort(), ['(unknown)', 'AS1', 'AS2'])
})

test('archived buckets keep counts and every removal time, and hold no URL or id', () => {
  const hoster = 'Odd!Name BV / ü'
  const facts = [
    fact({ status: 'removed', hoster, asn: 64500, removalMs: 1000 }),
    fact({ status: 'removed', hoster, asn: 64500, removalMs: 5000 }),
    fact({ status: 'not-illegal', hoster, asn: 64500 }),
    fact({ status: 'not-illegal', hoster, asn: 64500 })
  ]
  const buckets = new Map<string, ArchiveBucket>()
  for (const f of facts) buckets.set(archiveKey(f), mergeBucket(buckets.get(archiveKey(f)), f))
  assert.equal(buckets.size, 2, 'one bucket per day and status')
  for (const key of buckets.keys()) assert.ok(!key.includes(hoster), 'the hoster is hex-encoded in the key')
  const restored = [...buckets].flatMap(([k, b]) => factsFromArchive(k, b))
  assert.ok(restored.every(f => f.archived === true && f.hoster === hoster && f.asn === 64500 && f.country === 'NL' && f.direction === 'inbound'))
  const s = summarise(restored, { openAlertDays: 7, now: NOW })
  assert.equal(s.total, 4)
  assert.equal(s.archived, 4)
  assert.equal(s.byStatus['not-illegal'], 2)
  assert.deepEqual(s.removal, summarise(facts, { openAlertDays: 7, now: NOW }).removal)
})

test('--since takes a date or a duration back from now', () => {
  assert.equal(parseSince('30d', NOW), NOW - 30 * DAY_MS)
  assert.equal(parseSince('12h', NOW), NOW - DAY_MS / 2)
  assert.equal(parseSince('2w', NOW), NOW - 14 * DAY_MS)
  assert.equal(parseSince('2025-01-31', NOW), Date.parse('2025-01-31T00:00:00Z'))
  assert.throws(() => parseSince('last tuesday', NOW), (e: unknown) => isHashfedError(e, 'HF_INVALID_ARGUMENT'))
})

test('times to removal selected in sorted lists equal those of the lists merged and sorted', () => {
  let seed = 12345
  const rnd = (): number => { seed = (seed * 1103515245 + 12345) % 2 ** 31; return seed / 2 ** 31 }
  for (let round = 0; round < 60; round++) {
    const lists = Array.from({ length: 1 + Math.floor(rnd() * 40) }, () => {
      const n = Math.floor(rnd() * (round < 30 ? 200 : 800))
      // few distinct values in some rounds: duplicates across and within lists
      const span = round % 3 === 0 ? 20 : 5e9
      return Float64Array.from({ length: n }, () => Math.floor(rnd() * span)).sort()
    })
    const merged = Float64Array.from(lists.flatMap(l => [...l])).sort()
    for (const k of [0, merged.length >> 1, merged.length - 1, Math.floor(rnd() * merged.length)]) {
      if (merged.length > 0) assert.equal(selectSorted(lists, k), merged[k], `round ${round} rank ${k}`)
    }
    assert.deepEqual(removalTimes(lists), { count: merged.length, medianMs: percentile(merged, 0.5), p90Ms: percentile(merged, 0.9) }, `round ${round}`)
  }
})
