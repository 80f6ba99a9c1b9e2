import { test } from 'node:test'
import assert from 'node:assert/strict'
import { tempDir } from '../helpers/temp-dir.js'
import { runCli } from '../helpers/cli.js'
import { startNode } from '../helpers/crash.js'
import { createFederation, waitFor } from '../helpers/federation.js'
import type { ReportView } from '../../src/reports/report-view.js'
import type { ReportStats } from '../../src/reports/report-stats.js'
import type { OutboxEntry } from '../../src/courier/outbox.js'

async function json<T> (args: string[]): Promise<T> {
  const res = await runCli([...args, '--json'])
  assert.equal(res.code, 0, `hashfed ${args.join(' ')}: ${res.stderr}`)
  return JSON.parse(res.stdout) as T
}

test('reports through the CLI: offline submit is queued and delivered when the nodes start; update and stats', async () => {
  const root = await tempDir()
  const [nl, de] = await createFederation(root, [{ name: 'EOKM', countries: ['NL'] }, { name: 'DE', countries: ['DE'] }])

  // DE's node is not running: the CLI opens its store, signs, and queues
  const view = await json<ReportView>(['reports', 'submit', '--dir', de.dir, '--url', 'https://cdn.example.nl/a.jpg', '--ip', '193.0.6.139', '--hoster', 'Example BV', '--media', 'image', '--hash', 'md5:' + '0f'.repeat(16)])
  assert.equal(view.target, 'EOKM')
  assert.equal(view.countrySource, 'geoip')
  assert.equal(view.status, 'queued')
  const queued = await json<OutboxEntry[]>(['reports', 'outbox', '--dir', de.dir])
  assert.deepEqual(queued.map(i => [i.kind, i.subject, i.target]), [['report', view.id, 'EOKM']])

  const bad = await runCli(['reports', 'submit', '--dir', de.dir, '--url', 'not a url'])
  assert.equal(bad.code, 2)
  assert.match(bad.stderr, /HF_INVALID_REPORT/)
  const badStatus = await runCli(['reports', 'list', '--dir', de.dir, '--inbound', '--outbound'])
  assert.equal(badStatus.code, 2)

  // each comes up on ports the system assigns; the other then learns its address
  const [a, b] = await Promise.all([startNode(nl.dir), startNode(de.dir)])
  try {
    let inbound: ReportView[] = []
    assert.ok(await waitFor(async () => {
      const res = await runCli(['reports', 'list', '--dir', nl.dir, '--inbound', '--json'])
      inbound = res.code === 0 ? JSON.parse(res.stdout) as ReportView[] : []
      return inbound.length > 0
    }, 30_000, 200), `EOKM receives the report; logs:\n${b.output()}`)
    assert.deepEqual(inbound.map(r => [r.id, r.origin, r.url, r.hashes[0]]), [[view.id, 'DE', 'https://cdn.example.nl/a.jpg', 'md5:' + '0f'.repeat(16)]])

    const updated = await json<ReportView>(['reports', 'update', view.id, '--dir', nl.dir, '--status', 'removed', '--note', 'taken down'])
    assert.equal(updated.status, 'removed')
    assert.ok(await waitFor(async () => {
      const res = await runCli(['reports', 'show', view.id, '--dir', de.dir, '--json'])
      return res.code === 0 && (JSON.parse(res.stdout) as ReportView).status === 'removed'
    }, 30_000, 200), 'the status reaches DE')
    const stats = await json<ReportStats>(['reports', 'stats', '--dir', de.dir, '--by', 'hoster'])
    assert.equal(stats.byStatus.removed, 1)
    assert.equal(stats.groups[0].key, 'Example BV')
    assert.ok(stats.removal.medianMs !== null)

    const text = await runCli(['reports', 'show', view.id, '--dir', de.dir])
    assert.equal(text.code, 0, text.stderr)
    assert.match(text.stdout, /removed/)
    assert.match(text.stdout, /taken down/)
    const unknown = await runCli(['reports', 'show', '00000000-0000-4000-8000-000000000000', '--dir', de.dir])
    assert.equal(unknown.code, 2)
    assert.match(unknown.stderr, /HF_NOT_FOUND/)
    // the URL stays out of the node's info logs
    assert.doesNotMatch(a.output() + b.output(), /cdn\.example\.nl/)
  } finally {
    assert.equal(await a.stop(), 0)
    assert.equal(await b.stop(), 0)
  }
})
