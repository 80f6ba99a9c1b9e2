import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { tempDir } from '../helpers/temp-dir.js'
import { runCli } from '../helpers/cli.js'
import { createFederation, createMembers, startMember, waitFor, type CapturedLog } from '../helpers/federation.js'
import type { HashfedNode } from '../../src/daemon/hashfed-node.js'
import type { AuditRecord } from '../../src/audit/audit-log.js'
import { AuditLog, osUserName } from '../../src/audit/audit-log.js'
import type { ReportView } from '../../src/reports/report-view.js'
import { Store } from '../../src/store/store.js'

const running = new Set<HashfedNode>()
after(async () => { await Promise.all([...running].map(async n => await n.stop())) })

async function cliJson<T> (args: string[]): Promise<T> {
  const res = await runCli([...args, '--json'])
  assert.equal(res.code, 0, `hashfed ${args.join(' ')}: ${res.stderr}`)
  return JSON.parse(res.stdout) as T
}

const URL_NL = 'https://cdn.example.nl/audit-case-nl.jpg'
const URL_DE = 'https://files.example.de/audit-case-de.jpg'

test('every operator action is in the audit log, in order, with who did it; the API cannot change it', async () => {
  const root = await tempDir()
  const [nlM, deM] = await createFederation(root, [{ name: 'EOKM', countries: ['NL'] }, { name: 'DE', countries: ['DE'] }])
  const [beM] = await createMembers(join(root), [{ name: 'BE-hotline', countries: ['BE'] }])
  const me = osUserName()
  const list = join(root, 'list.txt')
  await writeFile(list, ['a'.repeat(64), 'b'.repeat(64), 'c'.repeat(40)].join('\n') + '\n')

  // offline: the CLI opens the store itself and records the OS user
  await cliJson(['hashes', 'import', list, '--dir', nlM.dir, '--format', 'lines', '--source', 'case-17'])
  await cliJson(['reports', 'submit', '--dir', nlM.dir, '--url', URL_NL, '--country', 'NL'])

  // running: the CLI goes through the admin API and names the user in a header
  const logs: CapturedLog[] = []
  const startNode = async (m: typeof nlM): Promise<HashfedNode> => {
    const { node, log } = await startMember(m)
    running.add(node)
    logs.push(log)
    return node
  }
  const nl = await startNode(nlM)
  const de = await startNode(deM)
  await cliJson(['hashes', 'retract', 'sha1:' + 'c'.repeat(40), '--dir', nlM.dir, '--reason', 'false positive'])
  const outbound = await cliJson<ReportView>(['reports', 'submit', '--dir', nlM.dir, '--url', URL_DE, '--country', 'DE', '--note', 'see ' + URL_DE])
  const added = await runCli(['federation', 'add', '--dir', nlM.dir, '--name', 'BE-hotline', '--peer-id', beM.peerId, '--country', 'BE'])
  assert.equal(added.code, 0, added.stderr)
  assert.ok(await waitFor(async () => (await de.reports.list({ direction: 'inbound' })).some(r => r.id === outbound.id), 10_000))
  await cliJson(['reports', 'update', outbound.id, '--dir', deM.dir, '--status', 'removed', '--note', 'gone'])
  // a client that names nobody, and one that sends something that is not a name
  const anon = await fetch(`${nl.adminUrl}/v1/federation/reload`, { method: 'POST', headers: { 'x-hashfed-request': '1' } })
  assert.equal(anon.status, 200)
  const odd = await fetch(`${nl.adminUrl}/v1/federation/reload`, { method: 'POST', headers: { 'x-hashfed-request': '1', 'x-hashfed-actor': 'x"; DROP TABLE' } })
  assert.equal(odd.status, 200)

  const records = await cliJson<AuditRecord[]>(['audit', '--dir', nlM.dir])
  assert.deepEqual(records.map(r => [r.action, r.actor, r.via]), [
    ['node.init', me, 'cli'],
    ['hashes.import', me, 'cli'],
    ['reports.submit', me, 'cli'],
    ['hashes.retract', me, 'api'],
    ['reports.submit', me, 'api'],
    ['federation.add', me, 'api'],
    ['federation.reload', 'unknown', 'api'],
    ['federation.reload', 'invalid', 'api']
  ])
  for (let i = 1; i < records.length; i++) assert.ok(records[i - 1].at <= records[i].at, 'in time order')
  assert.deepEqual(records[1].details, { file: list, format: 'lines', source: 'case-17', added: 3, updated: 0, retracted: 0, rejected: 0, batches: 1 })
  assert.deepEqual(records[3].details, { ref: 'sha1:' + 'c'.repeat(40), reason: 'false positive', seq: 2, retracted: 1 })
  assert.deepEqual(records[4].details, { reportId: outbound.id, country: 'DE', countrySource: 'explicit', target: 'DE', status: 'queued' })
  assert.deepEqual(records[5].details, { name: 'BE-hotline', peerId: beM.peerId, countries: ['BE'], addresses: [] })
  const deRecords = await cliJson<AuditRecord[]>(['audit', '--dir', deM.dir])
  assert.deepEqual(deRecords.map(r => [r.action, r.actor, r.via]), [['node.init', me, 'cli'], ['reports.update', me, 'api']])
  assert.deepEqual(deRecords[1].details, { reportId: outbound.id, status: 'removed', origin: 'EOKM', withNote: true })
  const everything = JSON.stringify(records) + JSON.stringify(deRecords)
  assert.doesNotMatch(everything, /example\.(nl|de)/, 'no reported URL, not even inside a note')

  // --since and --limit
  assert.deepEqual(await cliJson<AuditRecord[]>(['audit', '--dir', nlM.dir, '--since', '2999-01-01']), [])
  const viaApi = async (query: string): Promise<AuditRecord[]> => ((await (await fetch(`${nl.adminUrl}/v1/audit${query}`)).json()) as { records: AuditRecord[] }).records
  assert.deepEqual(await viaApi('?since=1h'), records)
  assert.deepEqual((await viaApi('?limit=2')).map(r => r.action), ['federation.reload', 'federation.reload'], 'the newest two')
  const badSince = await runCli(['audit', '--dir', nlM.dir, '--since', 'last tuesday'])
  assert.equal(badSince.code, 2)
  assert.match(badSince.stderr, /HF_INVALID_ARGUMENT/)

  // no way to change it through the API: every other method, and any sub-path, is unknown
  for (const method of ['POST', 'PUT', 'PATCH', 'DELETE']) {
    const res = await fetch(`${nl.adminUrl}/v1/audit`, { method, headers: { 'content-type': 'application/json' }, body: '{}' })
    assert.equal(res.status, 404, `${method} /v1/audit`)
    assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'HF_NOT_FOUND')
  }
  for (const method of ['GET', 'PUT', 'DELETE']) assert.equal((await fetch(`${nl.adminUrl}/v1/audit/${encodeURIComponent('0000000000000000!00000000')}`, { method })).status, 404)
  const doc = await (await fetch(`${nl.adminUrl}/openapi.json`)).json() as { paths: Record<string, Record<string, unknown>> }
  assert.deepEqual(Object.entries(doc.paths).filter(([p]) => p.includes('audit')).map(([p, ops]) => [p, Object.keys(ops)]), [['/v1/audit', ['get']]])
  assert.deepEqual(await viaApi(''), records, 'unchanged')

  // nothing an operator handles in confidence reaches the logs at info level
  const logged = logs.flatMap(l => l.lines).map(l => JSON.stringify(l)).join('\n')
  assert.ok(logged.includes('report submitted'), 'the logs were captured')
  assert.doesNotMatch(logged, /example\.(nl|de)|audit-case/, 'no reported URL in the logs')

  // after a restart the log reads the same, and new records still sort after the old ones
  await nl.stop()
  running.delete(nl)
  assert.deepEqual(await cliJson<AuditRecord[]>(['audit', '--dir', nlM.dir]), records, 'kept in the store')
})

test('audit keys stay unique and ordered when the clock stands still or steps back', async () => {
  const root = await tempDir()
  const store = await Store.open(join(root, 'store'), { create: true })
  try {
    let now = 1_700_000_000_000
    const log = new AuditLog(store, () => now)
    const actor = { name: 'analyst', via: 'cli' }
    await Promise.all([0, 1, 2].map(async i => await log.record('hashes.import', { i }, actor)))
    now -= 5000 // clock stepped back
    await log.record('hashes.retract', { i: 3, token: 'secret-value', reportUrl: 'https://x.example/a', note: 'see https://x.example/b' }, actor)
    const keys: string[] = []
    for await (const k of store.sub.audit.keys()) keys.push(k)
    assert.deepEqual(keys, ['0000018bcfe56800!00000000', '0000018bcfe56800!00000001', '0000018bcfe56800!00000002', '0000018bcfe56800!00000003'])
    const again = new AuditLog(store, () => now) // a restart within the same millisecond
    await again.record('federation.add', { i: 4 }, { name: 'bad name with spaces', via: 'api' })
    const all = await again.list()
    assert.deepEqual(all.map(r => r.details.i), [0, 1, 2, 3, 4])
    assert.deepEqual(all[3].details, { i: 3, note: 'see [url]' }, 'tokens and URLs never stored')
    assert.equal(all[4].actor, 'invalid')
    assert.deepEqual((await again.list({ limit: 2 })).map(r => r.details.i), [3, 4])
  } finally {
    await store.close()
  }
})
