import { test } from 'node:test'
import assert from 'node:assert/strict'
import { buildHosterReport, hosterReportCsv, type HosterFact } from '../../src/reports/hoster-report.js'
import { hosterReportHtml } from '../../src/reports/hoster-report-html.js'

const DAY = 86_400_000
const NOW = Date.parse('2026-03-01T00:00:00Z')

function fact (hoster: string | null, daysAgo: number, status: HosterFact['status'], removalMin: number | null = null, asn: number | null = null): HosterFact {
  return { createdMs: NOW - daysAgo * DAY, status, hoster, asn, removalMs: removalMin !== null ? removalMin * 60_000 : null }
}

const FACTS: HosterFact[] = [
  fact('Slow BV', 20, 'removed', 600, 64500), fact('Slow BV', 15, 'notice-sent', null, 64500), fact('Slow BV', 10, 'assessed'), fact('Slow BV', 1, 'received'),
  fact('Fast Ltd', 5, 'removed', 10, 64501), fact('Fast Ltd', 4, 'removed', 20, 64501), fact('Fast Ltd', 3, 'removed', 30, 64501), fact('Fast Ltd', 2, 'not-illegal'),
  fact(null, 40, 'received'), fact('Old Host', 200, 'removed', 5)
]

test('hoster report: per hoster received, removed, median and p90, open past N days; the period bounds apply', () => {
  const r = buildHosterReport(FACTS, { by: 'hoster', sinceMs: NOW - 90 * DAY, untilMs: NOW, openDays: 7, now: NOW })
  assert.deepEqual(r.rows.map(x => x.key), ['Slow BV', '(unknown)', 'Fast Ltd'], 'most open past the limit first; Old Host is outside the period')
  const slow = r.rows[0]
  assert.deepEqual({ received: slow.received, removed: slow.removed, open: slow.open, openPastDays: slow.openPastDays, median: slow.medianRemovalMs, also: slow.also }, { received: 4, removed: 1, open: 3, openPastDays: 2, median: 600 * 60_000, also: ['AS64500'] })
  const fast = r.rows[2]
  assert.equal(fast.medianRemovalMs, 20 * 60_000)
  assert.equal(fast.p90RemovalMs, 28 * 60_000, 'p90 interpolates between 20 and 30 min')
  assert.equal(fast.notIllegal, 1)
  assert.equal(r.totals.received, 9)
  const until = buildHosterReport(FACTS, { by: 'asn', untilMs: NOW - 4.5 * DAY, openDays: 7, now: NOW })
  assert.deepEqual(until.rows.find(x => x.key === 'AS64501')?.received, 1, '--until excludes later reports')
})

test('hoster report: a hostile hoster name cannot run in the published page or in a spreadsheet', () => {
  const facts = [fact('<img src=x onerror=alert(1)>', 1, 'removed', 5), fact('=HYPERLINK("http://evil.test","x")', 1, 'received')]
  const r = buildHosterReport(facts, { by: 'hoster', untilMs: NOW, openDays: 0, now: NOW })
  const html = hosterReportHtml(r)
  assert.equal(html.includes('<img'), false)
  assert.match(html, /&lt;img src=x onerror=alert\(1\)&gt;/)
  assert.doesNotMatch(html, /<(script|a|link|img|iframe|object)\b|<[^>]*\s(src|href|on\w+)=/i, 'no script, handler or link to anywhere')
  assert.match(html, /Content-Security-Policy" content="default-src 'none'/)
  const csv = hosterReportCsv(r)
  assert.match(csv, /\n"?'=HYPERLINK/, 'the formula is neutralised')
})
