import { test } from 'node:test'
import assert from 'node:assert/strict'
import { pino } from 'pino'
import { tempDir } from '../helpers/temp-dir.js'
import { createFederation } from '../helpers/federation.js'
import { generateYear } from '../helpers/report-year.js'
import { setReportsConfig } from '../helpers/reports.js'
import { openNodeContext, type NodeContext } from '../../src/context/node-context.js'
import { loadKeyFile } from '../../src/identity/key-file.js'
import { nodeDir } from '../../src/config/node-dir.js'
import { createReportService, type ListFilter, type ReportService } from '../../src/reports/report-service.js'
import { indexRow, type IndexRow } from '../../src/reports/report-index.js'
import { summarise, type ReportFact } from '../../src/reports/report-stats.js'
import { verifyReportIndexes } from '../../src/reports/report-index-rebuild.js'
import { DAY_MS } from '../../src/reports/constants.js'
import { reportIndexKeys } from '../../src/store/layout.js'

const END = Date.parse('2026-06-30T13:17:00Z')
const OPEN_ALERT_DAYS = 7

async function scanRows (svc: ReportService): Promise<IndexRow[]> {
  const rows: IndexRow[] = []
  for await (const [id, stored] of svc.reports.entries()) rows.push(indexRow(id, stored))
  return rows.sort((a, b) => b.createdMs - a.createdMs || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
}

/** Everything the index serves, beside the same figures from a full scan of the reports. */
async function assertIndexEqualsScan (svc: ReportService, what: string): Promise<void> {
  const rows = await scanRows(svc)
  const hosters = [...new Set(rows.map(r => r.hoster))].filter((h): h is string => h !== null).slice(0, 3)
  const filters: Array<Omit<ListFilter, 'limit'>> = [
    {}, { direction: 'inbound' as const }, { direction: 'outbound' as const }, { direction: 'unroutable' as const },
    { status: 'removed' }, { status: 'notice-sent' }, { status: 'received' }, { direction: 'inbound' as const, status: 'assessed' },
    ...hosters.flatMap(hoster => [{ hoster }, { hoster, status: 'removed' }]),
    { asn: rows[0].asn ?? 0 }, { country: 'CW' }
  ]
  for (const f of filters) {
    for (const limit of [20, 100_000]) {
      const got = (await svc.list({ ...f, limit })).map(v => v.id)
      const want = rows.filter(r => (f.direction === undefined || r.direction === f.direction) && (f.status === undefined || r.status === f.status) &&
        (f.hoster === undefined || r.hoster === f.hoster) && (f.asn === undefined || r.asn === f.asn) && (f.country === undefined || r.country === f.country)).slice(0, limit).map(r => r.id)
      assert.deepEqual(got, want, `${what}: list ${JSON.stringify(f)} limit ${limit}`)
    }
  }
  const counts = await svc.reportCounts()
  assert.equal(counts.total, rows.length, `${what}: counts`)
  for (const d of ['inbound', 'outbound', 'unroutable'] as const) {
    for (const s of Object.keys(counts.byDirection[d])) {
      assert.equal(counts.byDirection[d][s as keyof typeof counts.byStatus], rows.filter(r => r.direction === d && r.status === s).length, `${what}: count ${d} ${s}`)
    }
  }
  const facts: ReportFact[] = await svc.scanFacts()
  // whole days, a since inside a day, and the published hoster report (groups + open past N days)
  const sinces = [undefined, '30d', '365d', '7d', '2026-01-01', new Date(END - 100 * DAY_MS - 5).toISOString()]
  for (const by of [undefined, 'hoster', 'asn', 'country'] as const) {
    for (const since of sinces) {
      const got = await svc.stats({ by, since }, END)
      const sinceMs = got.since === null ? undefined : Date.parse(got.since)
      const want = summarise(facts, { by, sinceMs, openAlertDays: OPEN_ALERT_DAYS, now: END })
      assert.deepEqual(got, want, `${what}: stats by ${by ?? '-'} since ${since ?? '-'}`)
    }
  }
}

test('listings, counts, stats and the published hoster figures from the report index equal a full scan, through corrections, retention, restart and repair', { timeout: 300_000 }, async () => {
  const root = await tempDir()
  const [nl, de, gb, be] = await createFederation(root, [
    { name: 'EOKM', countries: ['NL', 'BQ', 'CW', 'AW'] }, { name: 'DE', countries: ['DE'] }, { name: 'GB', countries: ['GB'] }, { name: 'BE', countries: ['BE'] }
  ])
  await setReportsConfig(nl, { retentionDays: 60, openAlertDays: OPEN_ALERT_DAYS })
  const origins = await Promise.all([de, gb, be].map(async m => (await loadKeyFile(nodeDir(m.dir).key)).peerIdBytes))
  let ctx: NodeContext = await openNodeContext(nl.dir)
  let svc = createReportService({ ctx, logger: pino({ level: 'silent' }) })
  try {
    await generateYear({ reports: svc.reports, self: ctx.identity.peerIdBytes, origins, count: 3000, hosters: 60, endMs: END, seed: 7, outbound: 0.08, unroutable: 0.02, chunk: 97 })
    let rows = await scanRows(svc)
    assert.ok(rows.some(r => r.status === 'assessed' && r.removalMs !== null), 'the data holds corrections (removed, then back to assessed)')
    await assertIndexEqualsScan(svc, 'generated')

    // writes after statistics were read: the running totals, open lists and the cached times to
    // removal by group follow each write (new reports in old and new months, status changes)
    await generateYear({ reports: svc.reports, self: ctx.identity.peerIdBytes, origins, count: 300, hosters: 60, endMs: END, seed: 8, outbound: 0.08, unroutable: 0.02, chunk: 1 })
    await assertIndexEqualsScan(svc, 'written after reads')
    rows = await scanRows(svc)

    const deleted = await svc.runRetention(END)
    assert.ok(deleted > 500, `retention deleted ${deleted}`)
    assert.equal((await svc.stats({}, END)).archived, deleted)
    await assertIndexEqualsScan(svc, 'after retention')

    // a restart loads the day buckets, it does not rebuild them
    await ctx.store.close()
    ctx = await openNodeContext(nl.dir)
    svc = createReportService({ ctx, logger: pino({ level: 'silent' }) })
    await assertIndexEqualsScan(svc, 'after restart')
    assert.deepEqual(await verifyReportIndexes(ctx.store), { ok: true, reports: rows.length - deleted, buckets: svc.reports.aggregates.size, problems: [], repaired: false })

    // damage: a bucket lost, a row gone stale; verify finds both and rebuilds
    const bucketKey = (await ctx.store.sub.rindex.keys({ gte: 'g!', lt: 'g!~', limit: 1 }).all())[0]
    await ctx.store.sub.rindex.del(bucketKey)
    const victim = (await scanRows(svc))[5]
    await ctx.store.sub.rindex.del(reportIndexKeys.byTime(victim.createdMs, victim.id))
    await ctx.store.close()
    ctx = await openNodeContext(nl.dir)
    const check = await verifyReportIndexes(ctx.store, { repair: true })
    assert.equal(check.ok, false)
    assert.equal(check.repaired, true)
    assert.ok(check.problems.some(p => p.includes(bucketKey)) && check.problems.some(p => p.includes(victim.id)), check.problems.join('\n'))
    assert.equal((await verifyReportIndexes(ctx.store)).ok, true)
    svc = createReportService({ ctx, logger: pino({ level: 'silent' }) })
    await assertIndexEqualsScan(svc, 'after repair')

    // a store written before the index existed: built on first use
    await ctx.store.sub.meta.del('reportIndex')
    await ctx.store.sub.rindex.clear()
    svc = createReportService({ ctx, logger: pino({ level: 'silent' }) })
    await assertIndexEqualsScan(svc, 'built from an older store')
  } finally {
    await ctx.store.close()
  }
})
