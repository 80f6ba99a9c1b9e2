import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { join } from 'node:path'
import { writeFile } from 'node:fs/promises'
import { tempDir } from '../helpers/temp-dir.js'
import { runCli, runtimeOf, startCliNode } from '../helpers/cli.js'
import { Store } from '../../src/store/store.js'
import { hashKey, reportIndexKeys } from '../../src/store/layout.js'
import type { VerifyOpReport } from '../../src/ops/verify-op.js'
import { nodeDir } from '../../src/config/node-dir.js'
import type { StoreVerifyReport } from '../../src/log/hash-log.js'

const sha1 = (s: string): string => createHash('sha1').update(s).digest('hex')

async function verify (dir: string, ...args: string[]): Promise<{ code: number | null, report: StoreVerifyReport, stderr: string }> {
  const res = await runCli(['verify', '--dir', dir, '--json', ...args])
  return { code: res.code, report: res.stdout === '' ? undefined as never : JSON.parse(res.stdout) as StoreVerifyReport, stderr: res.stderr }
}

test('hashfed verify exits 0 on a healthy store and 2 on a fault, with the node stopped and running', async () => {
  const root = await tempDir()
  const dir = join(root, 'nl')
  const init = await runCli(['init', '--dir', dir, '--name', 'EOKM', '--country', 'NL', '--listen', '/ip4/127.0.0.1/tcp/0', '--api-port', '0', '--check-port', '0', '--json'])
  assert.equal(init.code, 0, init.stderr)
  const peerId = (JSON.parse(init.stdout) as { peerId: string }).peerId
  const list = join(root, 'list.txt')
  await writeFile(list, ['a', 'b', 'c'].map(sha1).join('\n') + '\n')
  const imported = await runCli(['hashes', 'import', list, '--dir', dir, '--format', 'lines', '--source', 'case-1', '--json'])
  assert.equal(imported.code, 0, imported.stderr)

  // stopped: the CLI opens the store itself
  let v = await verify(dir)
  assert.equal(v.code, 0, v.stderr)
  assert.deepEqual([v.report.ok, v.report.origins, v.report.batches, v.report.entries, v.report.indexRows, v.report.sourceRows], [true, 1, 1, 3, 3, 3])
  assert.equal((await verify(dir, '--origin', 'EOKM')).code, 0)
  assert.equal((await verify(dir, '--origin', peerId)).report.ok, true)
  const unknown = await runCli(['verify', '--dir', dir, '--origin', 'nobody'])
  assert.equal(unknown.code, 2)
  assert.match(unknown.stderr, /HF_NOT_FOUND/)
  const text = await runCli(['verify', '--dir', dir])
  assert.equal(text.code, 0)
  assert.match(text.stdout, /^ok: 1 origins, 1 batches, 3 entries, 3 index rows, 3 source rows in /)

  // a missing index row
  const key = hashKey('sha1', sha1('b'), peerId)
  let store = await Store.open(nodeDir(dir).store)
  const row = await store.sub.hashes.get(key) as Uint8Array
  await store.sub.hashes.del(key)
  await store.close()
  v = await verify(dir)
  assert.equal(v.code, 2)
  assert.deepEqual([v.report.ok, v.report.ok ? '' : v.report.fault.problem, v.report.ok ? 0 : v.report.fault.seq, v.report.ok ? '' : v.report.fault.origin], [false, 'missing-row', 1, peerId])
  const faultText = await runCli(['verify', '--dir', dir])
  assert.equal(faultText.code, 2)
  assert.match(faultText.stdout, /^FAULT \(missing-row\) in the log of 12D3KooW\w+ at batch 1\n {2}batch 1 entry \d adds sha1:[0-9a-f]{40} but its index row is missing\n/)

  // running, still damaged: the same answer through the admin API
  const node = startCliNode(dir)
  try {
    await runtimeOf(dir, node)
    v = await verify(dir)
    assert.equal(v.code, 2, v.stderr)
    assert.equal(v.report.ok ? '' : v.report.fault.problem, 'missing-row')
  } finally {
    assert.equal(await node.stop(), 0, node.output())
  }

  // repaired: 0 stopped and running
  store = await Store.open(nodeDir(dir).store)
  await store.sub.hashes.put(key, row)
  await store.close()
  assert.equal((await verify(dir)).code, 0)
  const again = startCliNode(dir)
  try {
    await runtimeOf(dir, again)
    v = await verify(dir, '--origin', 'EOKM')
    assert.equal(v.code, 0, v.stderr)
    assert.deepEqual([v.report.ok, v.report.indexRows], [true, 3])
  } finally {
    assert.equal(await again.stop(), 0, again.output())
  }
})

test('hashfed verify finds a damaged report index (a row gone, a row stale, a day bucket changed) and rebuilds it from the reports', { timeout: 120_000 }, async () => {
  const root = await tempDir()
  const dir = join(root, 'nl')
  const init = await runCli(['init', '--dir', dir, '--name', 'EOKM', '--country', 'NL', '--listen', '/ip4/127.0.0.1/tcp/0', '--api-port', '0', '--check-port', '0', '--json'])
  assert.equal(init.code, 0, init.stderr)
  const ids: string[] = []
  for (const [i, hoster] of ['host-a', 'host-b', 'host-a'].entries()) {
    const res = await runCli(['reports', 'submit', '--dir', dir, '--url', `https://cdn.example.nl/${i}.jpg`, '--country', 'NL', '--hoster', hoster, '--json'])
    assert.equal(res.code, 0, res.stderr)
    ids.push((JSON.parse(res.stdout) as { id: string }).id)
  }
  let v = await verify(dir)
  assert.equal(v.code, 0, v.stderr)
  const healthy = (v.report as VerifyOpReport).reportIndex
  assert.deepEqual(healthy, { ok: true, reports: 3, buckets: 2, problems: [], repaired: false })

  // damage: one report's time row deleted, another's hoster row made stale, a day bucket changed
  let store = await Store.open(nodeDir(dir).store)
  const timeKey = (await store.sub.rindex.keys({ gte: 't!', lt: 't!~' }).all()).find(k => k.endsWith(ids[0]))!
  await store.sub.rindex.del(timeKey)
  const hosterKey = (await store.sub.rindex.keys({ gte: 'h!', lt: 'h!~' }).all()).find(k => k.endsWith(ids[1]))!
  await store.sub.rindex.put(hosterKey, await store.sub.rindex.get(reportIndexKeys.row(ids[0])) as Uint8Array)
  const bucketKey = (await store.sub.rindex.keys({ gte: 'g!', lt: 'g!~', limit: 1 }).all())[0]
  await store.sub.rindex.put(bucketKey, Uint8Array.from([8, 7]))
  await store.close()

  v = await verify(dir)
  assert.equal(v.code, 2, v.stderr)
  assert.equal(v.report.ok, true, 'the logs themselves are fine')
  const found = (v.report as VerifyOpReport).reportIndex!
  assert.deepEqual([found.ok, found.repaired], [false, true])
  for (const [what, key] of [['missing', timeKey], ['stale', hosterKey], ['differs', bucketKey]]) {
    assert.ok(found.problems.some(p => p.includes(what) && p.includes(key)), `${what} ${key} in\n${found.problems.join('\n')}`)
  }
  const text = await runCli(['verify', '--dir', dir])
  assert.equal(text.code, 0, 'rebuilt by the verify before: ' + text.stdout)
  assert.match(text.stdout, /\nreport index ok: 3 reports, 2 day buckets/)

  // the listings read the rebuilt rows: the report whose time row was gone is listed again
  const list = await runCli(['reports', 'list', '--dir', dir, '--inbound', '--json'])
  assert.equal(list.code, 0, list.stderr)
  assert.deepEqual((JSON.parse(list.stdout) as Array<{ id: string }>).map(r => r.id).sort(), [...ids].sort())

  // running: the same check through the admin API, under the node's write order
  store = await Store.open(nodeDir(dir).store)
  await store.sub.rindex.del(reportIndexKeys.row(ids[2]))
  await store.close()
  const node = startCliNode(dir)
  try {
    await runtimeOf(dir, node)
    v = await verify(dir)
    assert.equal(v.code, 2, v.stderr)
    assert.ok((v.report as VerifyOpReport).reportIndex!.problems.some(p => p.includes(reportIndexKeys.row(ids[2]))))
    v = await verify(dir)
    assert.equal(v.code, 0, v.stderr)
  } finally {
    assert.equal(await node.stop(), 0, node.output())
  }
})
