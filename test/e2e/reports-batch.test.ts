import { test } from 'node:test'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import assert from 'node:assert/strict'
import { tempDir } from '../helpers/temp-dir.js'
import { createFederation, nodePool, waitFor } from '../helpers/federation.js'
import { setReportsConfig } from '../helpers/reports.js'
import { runCli } from '../helpers/cli.js'

const { start, stop } = nodePool()

interface BatchAnswer {
  submitted: number
  refused: number
  results: Array<{ index: number, id?: string, route?: string, error?: { code: string, message: string, details?: Record<string, unknown> } }>
}

async function postBatch (adminUrl: string, reports: unknown[]): Promise<{ status: number, body: BatchAnswer & { error?: { code: string } } }> {
  const res = await fetch(`${adminUrl}/v1/reports/batch`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ reports }), signal: AbortSignal.timeout(60_000) })
  return { status: res.status, body: await res.json() as BatchAnswer & { error?: { code: string } } }
}

test('batch submission: bad items are refused one by one with their errors, the rest are signed, stored and delivered once to the responsible hotline; one audit record without URLs', async () => {
  const root = await tempDir()
  const [nlM, deM, gbM] = await createFederation(root, [{ name: 'EOKM', countries: ['NL'] }, { name: 'DE', countries: ['DE'] }, { name: 'GB', countries: ['GB'] }])
  const de = await start(deM)
  const nl = await start(nlM)
  const gb = await start(gbM)
  try {
    const good = (i: number, country = 'NL'): Record<string, unknown> => ({ url: `https://batch.example.nl/${country}/${i}`, country, hoster: `host-${i % 3}` })
    const items: unknown[] = [
      good(0), good(1),
      { url: 'https://batch.example.nl/who', country: 'NL', reporter: 'jane@example.org' }, // no reporter identity, ever
      good(2, 'GB'),
      { url: 'https://batch.example.nl/nowhere', country: 'ZZ' }, // not a country
      { url: 'https://batch.example.nl/hash', country: 'NL', hashes: ['sha256:xyz'] }, // a bad hash
      'not a report',
      good(3, 'DE'), // our own country: our inbound queue
      good(4, 'FR') // no member covers it: kept as unroutable
    ]
    const { status, body } = await postBatch(de.adminUrl, items)
    assert.equal(status, 200, JSON.stringify(body))
    assert.equal(body.results.length, items.length)
    assert.deepEqual(body.results.map(r => r.index), items.map((_, i) => i), 'answers in the order of the items')
    const refused = body.results.filter(r => r.error !== undefined)
    assert.deepEqual(refused.map(r => r.index), [2, 4, 5, 6])
    assert.equal(refused[0].error?.code, 'HF_INVALID_ARGUMENT')
    assert.match(refused[0].error?.message ?? '', /reporter/)
    assert.ok(['HF_UNKNOWN_COUNTRY', 'HF_INVALID_REPORT', 'HF_INVALID_ARGUMENT'].includes(refused[1].error?.code ?? ''), JSON.stringify(refused[1]))
    assert.equal(refused[2].error?.code, 'HF_INVALID_HASH')
    assert.equal(refused[3].error?.code, 'HF_INVALID_ARGUMENT')
    assert.equal(body.submitted, 5)
    assert.equal(body.refused, 4)
    const routeOf = new Map(body.results.filter(r => r.id !== undefined).map(r => [r.index, r.route]))
    assert.deepEqual([...routeOf], [[0, 'outbound'], [1, 'outbound'], [3, 'outbound'], [7, 'local'], [8, 'unroutable']])

    // only the responsible hotline gets each report, each once, signed by DE
    assert.ok(await waitFor(() => de.reports.outboxDepth() === 0, 60_000), 'DE\'s outbox drained')
    const idAt = (i: number): string => body.results[i].id!
    const atNl = (await nl.reports.list({ direction: 'inbound', limit: 1000 })).map(r => r.id).sort()
    const atGb = (await gb.reports.list({ direction: 'inbound', limit: 1000 })).map(r => r.id)
    assert.deepEqual(atNl, [idAt(0), idAt(1)].sort())
    assert.deepEqual(atGb, [idAt(3)])
    assert.equal((await nl.reports.show(idAt(0))).origin, 'DE')
    assert.equal((await de.reports.show(idAt(7))).direction, 'inbound')
    assert.equal((await de.reports.show(idAt(8))).status, 'unroutable')
    assert.equal(await de.ctx.store.count('reports'), 5, 'nothing stored of the refused items')

    // one audit record for the batch: counts and ids, no reported URL
    const audit = await (await fetch(`${de.adminUrl}/v1/audit`)).json() as { records: Array<{ action: string, details: Record<string, unknown> }> }
    const batch = audit.records.filter(r => r.action === 'reports.submit-batch')
    assert.equal(batch.length, 1)
    assert.deepEqual(batch[0].details.reportIds, [0, 1, 3, 7, 8].map(idAt))
    assert.equal(batch[0].details.submitted, 5)
    assert.doesNotMatch(JSON.stringify(audit), /batch\.example\.nl|jane/)

    // the request itself is checked: no items, too many, an unknown field beside `reports`
    assert.equal((await postBatch(de.adminUrl, [])).status, 400)
    assert.equal((await postBatch(de.adminUrl, Array.from({ length: 1001 }, (_, i) => good(i)))).status, 400)
    const extra = await fetch(`${de.adminUrl}/v1/reports/batch`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ reports: [good(9)], reporter: 'x' }) })
    assert.equal(extra.status, 400)
    assert.equal(await de.ctx.store.count('reports'), 5)
  } finally {
    await Promise.all([stop(de), stop(nl), stop(gb)])
  }
})

test('batch submission counts each report against the receiver\'s quota: past it the sender pauses, and every report arrives once', async () => {
  const root = await tempDir()
  const [nlM, deM] = await createFederation(root, [{ name: 'EOKM', countries: ['NL'] }, { name: 'DE', countries: ['DE'] }])
  await setReportsConfig(nlM, { inboundQuota: { burst: 20, perMinute: 600 } })
  const nl = await start(nlM)
  const de = await start(deM)
  try {
    const { status, body } = await postBatch(de.adminUrl, Array.from({ length: 60 }, (_, i) => ({ url: `https://quota.example.nl/${i}`, country: 'NL' })))
    assert.equal(status, 200)
    assert.equal(body.submitted, 60)
    assert.ok(await waitFor(() => de.reports.outboxDepth() === 0, 120_000), `DE's outbox drained (left: ${de.reports.outboxDepth()})`)
    const ids = body.results.map(r => r.id!).sort()
    assert.deepEqual((await nl.reports.list({ direction: 'inbound', limit: 1000 })).map(r => r.id).sort(), ids)
    assert.equal(await nl.ctx.store.count('seen'), 60, 'one receipt per report')
    // a batch of 60 is 60 reports to the quota of 20: it was met
    assert.ok((nl.reports.inbox.quotaByPeer.get(deM.peerId) ?? 0) >= 1, 'the quota counted each report of the batch')
    assert.equal(nl.penalties.offences.count('report:quota-ignored'), 0)
  } finally {
    await Promise.all([stop(de), stop(nl)])
  }
})

test('reports submit-batch (CLI, node stopped): an NDJSON file with a bad line queues the good reports and names the bad one', async () => {
  const root = await tempDir()
  const [, deM] = await createFederation(root, [{ name: 'EOKM', countries: ['NL'] }, { name: 'DE', countries: ['DE'] }])
  const file = join(root, 'reports.ndjson')
  await writeFile(file, [
    JSON.stringify({ url: 'https://cli.example.nl/1', country: 'NL' }),
    '{ not json',
    '',
    JSON.stringify({ url: 'https://cli.example.nl/2', country: 'NL', email: 'who@example.org' }),
    JSON.stringify({ url: 'https://cli.example.nl/3', country: 'NL', hoster: 'h' })
  ].join('\n'))
  const res = await runCli(['reports', 'submit-batch', '--dir', deM.dir, '--file', file, '--json'])
  assert.equal(res.code, 2, res.stderr)
  const out = JSON.parse(res.stdout) as BatchAnswer
  assert.equal(out.submitted, 2)
  assert.deepEqual(out.results.filter(r => r.error !== undefined).map(r => [r.index, r.error?.code]), [[1, 'HF_INVALID_ARGUMENT'], [2, 'HF_INVALID_ARGUMENT']])
  const outbox = await runCli(['reports', 'outbox', '--dir', deM.dir, '--json'])
  assert.equal(outbox.code, 0, outbox.stderr)
  assert.equal((JSON.parse(outbox.stdout) as unknown[]).length, 2, 'the two good reports wait in the outbox')
})
