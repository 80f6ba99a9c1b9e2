import { test } from 'node:test'
import assert from 'node:assert/strict'
import { tempDir } from '../helpers/temp-dir.js'
import { createFederation, nodePool, waitFor } from '../helpers/federation.js'
import { setReportsConfig } from '../helpers/reports.js'
import type { HashfedNode } from '../../src/daemon/hashfed-node.js'
import { DAY_MS } from '../../src/reports/constants.js'

const { start, stop } = nodePool()

async function inboundIds (node: HashfedNode): Promise<string[]> {
  return (await node.reports.list({ direction: 'inbound', limit: 100_000 })).map(r => r.id)
}

test('EOKM offline while DE submits: delivered exactly once after EOKM starts, status flows back', async () => {
  const root = await tempDir()
  const [nlM, deM] = await createFederation(root, [{ name: 'EOKM', countries: ['NL'] }, { name: 'DE', countries: ['DE'] }])
  const de = await start(deM)
  const ids: string[] = []
  for (let i = 0; i < 5; i++) ids.push((await de.reports.submit({ url: `https://example.nl/offline/${i}`, country: 'NL' })).id)
  assert.equal(de.reports.outboxDepth(), 5)
  // DE keeps trying and backing off; nothing is lost meanwhile
  assert.ok(await waitFor(async () => (await de.reports.outbox.list()).some(i => i.attempts >= 1 && i.lastError !== null), 15_000), 'failed attempts are recorded')
  const outbox = await de.reports.outbox.list()
  assert.equal(outbox.length, 5)
  assert.ok(outbox.every(i => (i.kind === 'report') && i.target === 'EOKM'))

  const nl = await start(nlM)
  assert.ok(await waitFor(() => de.reports.outboxDepth() === 0, 15_000), 'delivered once EOKM is up')
  assert.deepEqual((await inboundIds(nl)).sort(), [...ids].sort())
  assert.equal(await nl.ctx.store.count('reports'), 5)
  assert.equal(await nl.ctx.store.count('seen'), 5, 'one receipt per report')
  for (const id of ids) assert.equal((await de.reports.show(id)).status, 'received')

  // and back: DE goes down, EOKM records removal, DE gets it when it returns
  await stop(de)
  await nl.reports.update(ids[0], 'removed', 'gone within the day')
  assert.equal(nl.reports.outboxDepth(), 1)
  const de2 = await start(deM)
  assert.ok(await waitFor(async () => (await de2.reports.show(ids[0])).status === 'removed', 15_000))
  assert.ok(await waitFor(() => nl.reports.outboxDepth() === 0))
  const stats = await de2.reports.stats()
  assert.equal(stats.byStatus.removed, 1)
  assert.equal(stats.byStatus.received, 4)
  assert.ok(stats.removal.medianMs !== null && stats.removal.medianMs > 0)
  await stop(nl)
  await stop(de2)
})

test('1000 reports with restarts of both sides in between: each delivered exactly once', async () => {
  const root = await tempDir()
  const [nlM, deM] = await createFederation(root, [{ name: 'EOKM', countries: ['NL'] }, { name: 'DE', countries: ['DE'] }])
  const t0 = Date.now()
  let de = await start(deM)
  let nl = await start(nlM)
  const ids: string[] = []
  const submit = async (n: number): Promise<void> => {
    const base = ids.length
    const views = await Promise.all(Array.from({ length: n }, async (_, i) => await de.reports.submit({ url: `https://bulk.example.nl/${base + i}`, country: 'NL', hoster: `host-${i % 7}` })))
    ids.push(...views.map(v => v.id))
  }
  await submit(300)
  // EOKM stops in the middle of the deliveries
  assert.ok(await waitFor(() => de.reports.outboxDepth() <= 200, 15_000, 1))
  await stop(nl)
  await submit(300)
  // DE restarts while EOKM is down; its outbox comes back from LevelDB
  const waiting = de.reports.outboxDepth()
  assert.ok(waiting >= 300)
  await stop(de)
  de = await start(deM)
  assert.equal(de.reports.outboxDepth(), waiting, 'the outbox is reloaded whole')
  await submit(200)
  // as if DE had crashed before recording 100 receipts: the same signed reports go out again
  const delivered = (await de.reports.list({ direction: 'outbound', status: 'received', limit: 100 }))
  assert.equal(delivered.length, 100)
  for (const v of delivered) {
    const stored = await de.reports.reports.get(v.id)
    await de.reports.outbox.send(nlM.peerId, { report: stored!.report! }, { subject: v.id })
  }
  nl = await start(nlM)
  await submit(200)
  assert.equal(ids.length, 1000)
  // a loaded machine delivers slowly: fail only when the outbox stops shrinking for 30 s
  for (let left = de.reports.outboxDepth(); left > 0; left = de.reports.outboxDepth()) {
    assert.ok(await waitFor(() => de.reports.outboxDepth() < left, 30_000), `outbox drains (stuck at ${left})`)
  }
  const elapsed = Date.now() - t0

  const received = await inboundIds(nl)
  assert.equal(received.length, 1000)
  assert.deepEqual([...received].sort(), [...ids].sort())
  assert.equal(await nl.ctx.store.count('reports'), 1000, 'no report stored twice')
  assert.equal(await nl.ctx.store.count('seen'), 1000, 'one receipt each')
  assert.ok(nl.reports.inbox.duplicates >= 100, 'the re-sent reports were answered from seen')
  assert.equal(await de.ctx.store.count('outbox'), 0)
  const counts = await de.reports.reportCounts()
  assert.equal(counts.outbound, 1000)
  assert.equal(counts.byStatus.received, 1000, 'every report receipted at DE')
  process.stdout.write(`# 1000 reports (+100 re-sent), 3 restarts: all delivered in ${elapsed} ms; redeliveries answered from seen: ${nl.reports.inbox.duplicates}\n`)
})

test('retention deletes closed reports after retentionDays and keeps their counts in the statistics', async () => {
  const root = await tempDir()
  const [nlM, deM] = await createFederation(root, [{ name: 'EOKM', countries: ['NL'] }, { name: 'DE', countries: ['DE'] }])
  await setReportsConfig(nlM, { retentionDays: 30, openAlertDays: 2 })
  const nl = await start(nlM)
  const de = await start(deM)
  const a = await de.reports.submit({ url: 'https://example.nl/r1', country: 'NL', hoster: 'Fast BV' })
  const b = await de.reports.submit({ url: 'https://example.nl/r2', country: 'NL', hoster: 'Slow BV' })
  assert.ok(await waitFor(async () => (await inboundIds(nl)).length === 2))
  await nl.reports.update(a.id, 'removed')
  const before = await nl.reports.stats({ by: 'hoster' })
  assert.equal(before.removal.count, 1)

  assert.equal(await nl.reports.runRetention(Date.now() + 29 * DAY_MS), 0, 'not yet')
  // b is still open: its hoster is listed once it has been open for openAlertDays (2)
  assert.deepEqual((await nl.reports.stats()).openAlert.hosters, [])
  const later = await nl.reports.stats({}, Date.now() + 3 * DAY_MS)
  assert.deepEqual(later.openAlert.hosters.map(h => [h.hoster, h.open, h.countries]), [['Slow BV', 1, ['NL']]])
  assert.equal(await nl.reports.runRetention(Date.now() + 31 * DAY_MS), 1, 'only the closed report goes')
  await assert.rejects(nl.reports.show(a.id), (e: unknown) => (e as { code?: string }).code === 'HF_NOT_FOUND')
  assert.equal((await nl.reports.show(b.id)).status, 'received')
  assert.equal(await nl.ctx.store.count('seen'), 1, 'the receipt row of the deleted report went too')

  const after = await nl.reports.stats({ by: 'hoster' })
  assert.equal(after.total, 2)
  assert.equal(after.archived, 1)
  assert.equal(after.byStatus.removed, 1)
  assert.deepEqual(after.removal, before.removal, 'removal times survive')
  assert.deepEqual(after.groups.find(g => g.key === 'Fast BV')?.byStatus.removed, 1)
  // the retained counts hold no URL or id
  for await (const [key, value] of nl.ctx.store.sub.stats.iterator()) {
    const text = key + Buffer.from(value).toString()
    assert.ok(!text.includes(a.id) && !text.includes('example.nl'), text)
  }
})
