import { test } from 'node:test'
import assert from 'node:assert/strict'
import { tempDir } from '../helpers/temp-dir.js'
import { runCli } from '../helpers/cli.js'
import { createFederation, createMembers } from '../helpers/federation.js'
import type { ReportView } from '../../src/reports/report-view.js'
import type { ReportStats } from '../../src/reports/report-stats.js'
import type { HostTrace } from '../../src/reports/host-trace.js'

async function json<T> (args: string[]): Promise<T> {
  const res = await runCli([...args, '--json'])
  assert.equal(res.code, 0, `hashfed ${args.join(' ')}: ${res.stderr}`)
  return JSON.parse(res.stdout) as T
}

test('trace: an IP to its country, AS and responsible member offline; a host name through the local resolver', async () => {
  const root = await tempDir()
  const [nl] = await createFederation(root, [{ name: 'EOKM', countries: ['NL'] }])
  const text = await runCli(['trace', '193.0.6.139', '--dir', nl.dir])
  assert.equal(text.code, 0, text.stderr)
  assert.match(text.stdout, /AS3333/)
  assert.match(text.stdout, /RIPE NCC/)
  assert.match(text.stdout, /country\s+NL/)
  assert.match(text.stdout, /responsible EOKM/)

  const t = await json<HostTrace>(['trace', 'https://[2001:67c:2e8:22::c100:68b]/x', '--dir', nl.dir])
  assert.deepEqual([t.host, t.country, t.asn, t.responsible?.name], ['2001:67c:2e8:22::c100:68b', 'NL', 3333, 'EOKM'])
  assert.match(t.asName ?? '', /RIPE NCC/)

  // localhost resolves through /etc/hosts: no internet needed; a loopback address has no AS
  const local = await json<HostTrace>(['trace', 'http://localhost:8080/a', '--dir', nl.dir])
  assert.equal(local.host, 'localhost')
  assert.ok(local.addresses.length > 0 && local.addresses.every(a => a.range === 'loopback' && a.asn === null))
  assert.equal(local.country, null)
  assert.match(local.notes.join('\n'), /loopback/)

  const bad = await runCli(['trace', 'http://', '--dir', nl.dir])
  assert.equal(bad.code, 2, bad.stderr)
})

test('reports carry the ASN of their IP and group by it; statuses follow the state machine, corrections are reopens; ids by prefix', async () => {
  const root = await tempDir()
  const [nl] = await createFederation(root, [{ name: 'EOKM', countries: ['NL'] }])
  const view = await json<ReportView>(['reports', 'submit', '--dir', nl.dir, '--url', 'https://cdn.example.nl/a.jpg', '--ip', '193.0.6.139'])
  assert.equal(view.asn, 3333)
  assert.equal(view.status, 'received')
  const other = await json<ReportView>(['reports', 'submit', '--dir', nl.dir, '--url', 'https://x.example.nl/', '--country', 'NL', '--asn', '1136'])
  assert.equal(other.asn, 1136, 'the analyst\'s ASN is kept')
  const byAsn = await json<ReportStats>(['reports', 'stats', '--dir', nl.dir, '--by', 'asn'])
  assert.deepEqual(byAsn.groups.map(g => [g.key, g.total]).sort(), [['AS1136', 1], ['AS3333', 1]])

  // any unique prefix of 8+ characters names the report
  const prefix = view.id.slice(0, 8)
  assert.equal((await json<ReportView>(['reports', 'show', prefix, '--dir', nl.dir])).id, view.id)
  const short = await runCli(['reports', 'show', view.id.slice(0, 7), '--dir', nl.dir])
  assert.equal(short.code, 2)
  assert.match(short.stderr, /at least 8/)

  // received → assessed → notice-sent → removed; backward steps are refused
  await json<ReportView>(['reports', 'update', prefix, '--dir', nl.dir, '--status', 'assessed'])
  await json<ReportView>(['reports', 'update', prefix, '--dir', nl.dir, '--status', 'notice-sent'])
  const skip = await runCli(['reports', 'update', prefix, '--dir', nl.dir, '--status', 'assessed'])
  assert.equal(skip.code, 2, skip.stderr)
  assert.match(skip.stderr, /a notice-sent report goes on to notice-sent, removed, unreachable, not assessed/)
  assert.equal((await json<ReportView>(['reports', 'update', prefix, '--dir', nl.dir, '--status', 'removed'])).status, 'removed')
  const back = await runCli(['reports', 'update', prefix, '--dir', nl.dir, '--status', 'assessed'])
  assert.equal(back.code, 2, back.stderr)
  assert.match(back.stderr, /final; correct it with `reports reopen`/)
  let stats = await json<ReportStats>(['reports', 'stats', '--dir', nl.dir])
  assert.deepEqual([stats.byStatus.removed, stats.removal.count], [1, 1])

  // the correction: explicit, with a reason; the statistics agree with the status
  const noReason = await runCli(['reports', 'reopen', prefix, '--dir', nl.dir])
  assert.equal(noReason.code, 2)
  const reopened = await json<ReportView>(['reports', 'reopen', prefix, '--dir', nl.dir, '--reason', 'the file is back online'])
  assert.equal(reopened.status, 'assessed')
  assert.equal(reopened.removedAt, null)
  assert.equal(reopened.timeline.at(-1)?.note, 'the file is back online')
  stats = await json<ReportStats>(['reports', 'stats', '--dir', nl.dir])
  assert.deepEqual([stats.byStatus.removed, stats.byStatus.assessed, stats.removal.count, stats.removal.medianMs], [0, 1, 0, null])
  // and removed again: counted once, from the new removal
  await json<ReportView>(['reports', 'update', prefix, '--dir', nl.dir, '--status', 'removed'])
  stats = await json<ReportStats>(['reports', 'stats', '--dir', nl.dir])
  assert.deepEqual([stats.byStatus.removed, stats.removal.count], [1, 1])
})

test('federation remove takes a member out of the file and says so; an unknown member is an error', async () => {
  const root = await tempDir()
  const [nl, de] = await createMembers(root, [{ name: 'EOKM', countries: ['NL'] }, { name: 'DE', countries: ['DE'] }])
  const add = await runCli(['federation', 'add', '--dir', nl.dir, '--name', 'DE', '--peer-id', de.peerId, '--country', 'DE'])
  assert.equal(add.code, 0, add.stderr)
  const removed = await runCli(['federation', 'remove', 'DE', '--dir', nl.dir])
  assert.equal(removed.code, 0, removed.stderr)
  assert.match(removed.stdout, /member DE .* removed; 1 members; the node reads the file when it starts/)
  const list = await json<Array<{ name: string }>>(['federation', 'list', '--dir', nl.dir])
  assert.deepEqual(list.map(m => m.name), ['EOKM'])
  const again = await runCli(['federation', 'remove', 'DE', '--dir', nl.dir])
  assert.equal(again.code, 2)
  assert.match(again.stderr, /HF_NOT_FOUND]: no member "DE"/)
  const self = await runCli(['federation', 'remove', 'EOKM', '--dir', nl.dir])
  assert.equal(self.code, 2)
  assert.match(self.stderr, /is this node/)
})
