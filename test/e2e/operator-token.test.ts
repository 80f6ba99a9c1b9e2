import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { tempDir } from '../helpers/temp-dir.js'
import { runCli } from '../helpers/cli.js'
import { createMembers, startMember, type CapturedLog } from '../helpers/federation.js'
import { HashfedNode } from '../../src/daemon/hashfed-node.js'
import { isHashfedError } from '../../src/errors.js'
import { Store } from '../../src/store/store.js'
import type { AuditRecord } from '../../src/audit/audit-log.js'
import type { NodeStatus } from '../../src/node/node-status.js'

const running = new Set<HashfedNode>()
after(async () => { await Promise.all([...running].map(async n => await n.stop())) })

interface ConfigFile { api: { host: string, port: number, token?: string } }
const readConfig = async (dir: string): Promise<ConfigFile> => JSON.parse(await readFile(join(dir, 'config.json'), 'utf8')) as ConfigFile
const mode = async (dir: string): Promise<number> => (await stat(join(dir, 'config.json'))).mode & 0o777
const TOKEN_LINE = /admin API token \(shown once; kept in config\.json, mode 0600\): (\S+)/

test('off loopback the admin API needs a token: init makes one, and a node without one refuses to start', async () => {
  const root = await tempDir()
  const dir = join(root, 'exposed')
  const init = await runCli(['init', '--dir', dir, '--name', 'EOKM', '--country', 'NL', '--listen', '/ip4/127.0.0.1/tcp/0', '--api-host', '0.0.0.0', '--api-port', '0', '--check-port', '0'])
  assert.equal(init.code, 0, init.stderr)
  const shown = TOKEN_LINE.exec(init.stdout)?.[1]
  assert.ok(shown !== undefined && shown.length >= 40, `a token is printed: ${init.stdout}`)
  assert.match(init.stdout, /admin API: http:\/\/0\.0\.0\.0:\d+/)
  const config = await readConfig(dir)
  assert.equal(config.api.host, '0.0.0.0')
  assert.equal(config.api.token, shown)
  assert.equal(await mode(dir), 0o600, 'a config holding a token is private')
  assert.equal((init.stdout + init.stderr).split(shown).length - 1, 1, 'printed once')

  // the token cannot be removed while the API listens off loopback
  const clear = await runCli(['config', 'set-api-token', '--dir', dir, '--clear'])
  assert.equal(clear.code, 2)
  assert.match(clear.stderr, /HF_INVALID_CONFIG/)
  assert.equal((await readConfig(dir)).api.token, shown, 'config untouched')

  // a hand-edited config without the token: the node refuses to start, through the CLI and in-process
  await writeFile(join(dir, 'config.json'), JSON.stringify({ ...config, api: { host: '0.0.0.0', port: config.api.port } }))
  const start = await runCli(['start', '--dir', dir])
  assert.equal(start.code, 2)
  assert.match(start.stderr, /HF_INVALID_CONFIG.*only with api\.token/)
  await assert.rejects(HashfedNode.start({ dir }), (err) => isHashfedError(err, 'HF_INVALID_CONFIG'))
  const store = await Store.open(join(dir, 'store'))
  await store.close() // released: the failed start left no lock behind

  // set-api-host on a node without a token makes one; back to loopback keeps it
  const moved = await runCli(['config', 'set-api-host', '10.11.12.13', '--dir', dir, '--json'])
  assert.equal(moved.code, 0, moved.stderr)
  const res = JSON.parse(moved.stdout) as { host: string, token: string | null }
  assert.equal(res.host, '10.11.12.13')
  assert.equal((await readConfig(dir)).api.token, res.token)
  assert.equal(await mode(dir), 0o600)
})

test('with a token, requests without it get 401; the CLI sends it; it rotates without a restart', async () => {
  const root = await tempDir()
  const [m] = await createMembers(root, [{ name: 'EOKM', countries: ['NL'] }])
  const set = await runCli(['config', 'set-api-token', '--dir', m.dir])
  assert.equal(set.code, 0, set.stderr)
  const first = TOKEN_LINE.exec(set.stdout)?.[1] as string
  assert.equal((await readConfig(m.dir)).api.token, first)
  assert.equal((await readConfig(m.dir)).api.host, '127.0.0.1')

  const { node, log } = await startMember(m)
  running.add(node)
  const get = async (path: string, token?: string): Promise<{ status: number, code?: string }> => {
    const r = await fetch(node.adminUrl + path, { headers: token !== undefined ? { authorization: `Bearer ${token}` } : {} })
    const body = await r.text()
    return { status: r.status, code: r.headers.get('content-type')?.includes('json') === true ? (JSON.parse(body) as { error?: { code: string } }).error?.code : undefined }
  }
  for (const path of ['/v1/status', '/v1/peers', '/metrics', '/openapi.json', '/v1/audit']) {
    assert.deepEqual(await get(path), { status: 401, code: 'HF_UNAUTHORIZED' }, `${path} without a token`)
    assert.deepEqual(await get(path, first + 'x'), { status: 401, code: 'HF_UNAUTHORIZED' }, `${path} with a wrong token`)
    assert.equal((await get(path, first)).status, 200, `${path} with the token`)
  }
  const status = await runCli(['status', '--dir', m.dir, '--json'])
  assert.equal(status.code, 0, status.stderr)
  assert.equal((JSON.parse(status.stdout) as NodeStatus).running, true, 'the CLI reads the token from the config')

  // rotation through the running node: the old token stops working at once
  const rotated = await runCli(['config', 'set-api-token', '--dir', m.dir, '--json'])
  assert.equal(rotated.code, 0, rotated.stderr)
  const second = (JSON.parse(rotated.stdout) as { token: string }).token
  assert.notEqual(second, first)
  assert.equal((await readConfig(m.dir)).api.token, second)
  assert.equal((await get('/v1/status', first)).status, 401)
  assert.equal((await get('/v1/status', second)).status, 200)
  const peers = await runCli(['peers', '--dir', m.dir, '--json'])
  assert.equal(peers.code, 0, peers.stderr)

  // on loopback it can be removed again
  const cleared = await runCli(['config', 'set-api-token', '--dir', m.dir, '--clear'])
  assert.equal(cleared.code, 0, cleared.stderr)
  assert.equal((await get('/v1/status')).status, 200)
  assert.equal((await readConfig(m.dir)).api.token, undefined)
  assert.equal(await mode(m.dir), 0o600, 'without a token too: every file of the node folder is owner-only')

  const audit = ((await (await fetch(node.adminUrl + '/v1/audit')).json()) as { records: AuditRecord[] }).records
  assert.deepEqual(audit.map(r => [r.action, r.via]), [['node.init', 'cli'], ['api.token.set', 'cli'], ['api.token.set', 'token:admin'], ['api.token.clear', 'token:admin']])
  const everywhere = JSON.stringify(audit) + log.lines.map(l => JSON.stringify(l)).join('\n') + status.stdout + peers.stdout
  for (const t of [first, second]) assert.ok(!everywhere.includes(t), 'a token is never in the audit log, the node\'s logs or other output')
  assert.ok((log as CapturedLog).find(l => l.msg === 'admin API token changed') !== undefined, 'the change itself is logged')
})
