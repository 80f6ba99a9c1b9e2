import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { request } from 'node:http'
import { readdir, readFile, writeFile } from 'node:fs/promises'
import { hostname, networkInterfaces } from 'node:os'
import { join } from 'node:path'
import { tempDir } from '../helpers/temp-dir.js'
import { runCli } from '../helpers/cli.js'
import { startNode, type NodeProcess } from '../helpers/crash.js'
import { initNode } from '../../src/node/init-node.js'
import { nodeDir } from '../../src/config/node-dir.js'
import type { AuditRecord } from '../../src/audit/audit-log.js'
import { createHttpServer, listen } from '../../src/http/http-server.js'
import { ownHostNames, parseHost, webGuard } from '../../src/api/web-guard.js'

const running: NodeProcess[] = []
after(async () => { await Promise.all(running.map(async p => await p.stop())) })

interface Answer { status: number, body: string, json: any }

/**
 * One HTTP request over a real socket to 127.0.0.1, with every header as given (fetch would
 * not let a test choose `Host`). What a browser sends after DNS rebinding looks exactly so:
 * the connection goes to this machine, the `Host` names the attacker's site.
 */
async function send (port: number, method: string, path: string, headers: Record<string, string>, body?: string | Buffer): Promise<Answer> {
  return await new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers: { ...headers, ...(body !== undefined ? { 'content-length': String(Buffer.byteLength(body)) } : {}) }, setHost: false }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8')
        let json: unknown
        try { json = JSON.parse(text) } catch {}
        resolve({ status: res.statusCode ?? 0, body: text, json })
      })
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end(body)
  })
}

/** SHA-256 of every file under `path` (or of the file), by relative name. */
async function fingerprint (path: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {}
  const walk = async (p: string, rel: string): Promise<void> => {
    let entries
    try {
      entries = await readdir(p, { withFileTypes: true })
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOTDIR') throw err
      out[rel] = createHash('sha256').update(await readFile(p)).digest('hex')
      return
    }
    for (const e of entries) await walk(join(p, e.name), rel === '' ? e.name : `${rel}/${e.name}`)
  }
  await walk(path, '')
  return out
}

/** The node's whole state on disk: store (hash lists, reports, check tokens, audit log), config (admin token), federation file. */
async function nodeState (dir: string): Promise<Record<string, Record<string, string>>> {
  const d = nodeDir(dir)
  return { store: await fingerprint(d.store), config: await fingerprint(d.config), federation: await fingerprint(d.federation), key: await fingerprint(d.key) }
}

const SHA1 = (c: string): string => c.repeat(40)

test('a web page cannot use the admin API: foreign Host (DNS rebinding), foreign Origin and simple cross-site changes to every route are refused and change nothing', async () => {
  const root = await tempDir()
  const eokm = await initNode({ dir: join(root, 'EOKM'), name: 'EOKM', countries: ['NL'], listen: ['/ip4/127.0.0.1/tcp/0'], apiPort: 0, checkPort: 0 })
  const other = await initNode({ dir: join(root, 'EVIL'), name: 'EVIL', countries: ['DE'], listen: ['/ip4/127.0.0.1/tcp/0'], apiPort: 0, checkPort: 0 })
  const node = await startNode(eokm.dir)
  running.push(node)
  const port = Number(new URL(node.adminUrl).port)
  assert.ok(port > 0)
  const own = { host: `127.0.0.1:${port}` }

  // something to steal and to break: a hash list, a report, a check token
  const list = join(root, 'list.txt')
  await writeFile(list, `${SHA1('a')}\n${SHA1('b')}\n`)
  const imported = await runCli(['hashes', 'import', list, '--dir', eokm.dir, '--format', 'lines', '--json'])
  assert.equal(imported.code, 0, imported.stderr)
  assert.equal(JSON.parse(imported.stdout).added, 2)
  const report = await send(port, 'POST', '/v1/reports', { ...own, 'content-type': 'application/json' }, JSON.stringify({ url: 'https://example.nl/secret-path', country: 'NL' }))
  assert.equal(report.status, 201, report.body)
  const reportId = report.json.id as string
  assert.equal((await send(port, 'POST', '/v1/tokens', { ...own, 'content-type': 'application/json' }, JSON.stringify({ name: 'hoster-1' }))).status, 200)

  // every route the API has: the documented ones, and the few kept out of the document
  const doc = (await send(port, 'GET', '/openapi.json', own)).json as { paths: Record<string, Record<string, unknown>> }
  const routes: Array<{ method: string, path: string }> = [{ method: 'GET', path: '/openapi.json' }, { method: 'GET', path: '/' }, { method: 'GET', path: '/dashboard/dashboard.js' }, { method: 'GET', path: '/dashboard/dashboard.css' }]
  for (const [path, ops] of Object.entries(doc.paths)) {
    for (const method of Object.keys(ops)) routes.push({ method: method.toUpperCase(), path: path.replace('{id}', reportId) })
  }
  assert.ok(routes.length >= 30, `routes: ${routes.length}`)
  const changing = routes.filter(r => r.method !== 'GET' && r.method !== 'HEAD')
  assert.ok(changing.length >= 15, `state-changing routes: ${changing.length}`)

  // bodies that would do harm if they got through; any new route gets at least `{}`
  const harmful: Record<string, { type: string, body: string }> = {
    '/v1/federation/members': json({ name: 'DE', peerId: other.peerId, countries: ['DE'] }),
    '/v1/admin/token': json({ action: 'generate' }),
    '/v1/match/disable': json({ origin: 'EOKM' }),
    '/v1/match/enable': json({ origin: 'EOKM' }),
    '/v1/tokens': json({ name: 'attacker' }),
    '/v1/tokens/revoke': json({ name: 'hoster-1' }),
    '/v1/reports': json({ url: 'https://example.nl/planted', country: 'NL' }),
    [`/v1/reports/${reportId}/status`]: json({ status: 'not-illegal' }),
    '/v1/hashes/retract': json({ ref: `sha1:${SHA1('a')}`, reason: 'attack' }),
    '/v1/hashes/add': json({ records: [{ algorithm: 'sha1', value: SHA1('e') }] }),
    '/v1/feedback': json({ ref: `sha1:${SHA1('a')}`, verdict: 'disputed' }),
    '/v1/hashes/import': { type: 'application/octet-stream', body: `${SHA1('f')}\n` }
  }
  const pathOf = (p: string): string => p === '/v1/hashes/import' ? '/v1/hashes/import?format=lines' : p
  const before = await nodeState(eokm.dir)
  const auditBefore = (await send(port, 'GET', '/v1/audit', own)).json.records as AuditRecord[]

  const refusals: string[] = []
  const expect = (what: string, res: Answer, status: number, code: string): void => {
    assert.equal(res.status, status, `${what}: ${res.status} ${res.body.slice(0, 300)}`)
    assert.equal(res.json?.error?.code, code, what)
    refusals.push(what)
  }
  for (const r of routes) {
    const b = harmful[r.path] ?? (r.method === 'GET' ? undefined : json({}))
    const withBody: Record<string, string> = b !== undefined ? { 'content-type': b.type } : {}
    // DNS rebinding: to the browser the page and the API are one origin, so it may send any header
    // (a request with no Host at all Node's HTTP server refuses with 400 itself)
    for (const host of [`some.other.name:${port}`, 'some.other.name', `localhost.attacker.example:${port}`, `127.0.0.1:${port + 1}`, `127.0.0.1.attacker.example:${port}`]) {
      const headers = { ...withBody, 'x-hashfed-request': '1', host }
      expect(`${r.method} ${r.path} Host ${host}`, await send(port, r.method, pathOf(r.path), headers, b?.body), 421, 'HF_WRONG_HOST')
    }
    expect(`${r.method} ${r.path} rebinding with its Origin`, await send(port, r.method, pathOf(r.path), { ...withBody, host: `some.other.name:${port}`, origin: `http://some.other.name:${port}` }, b?.body), 421, 'HF_WRONG_HOST')
    // another site's page sending to the API's real address
    for (const origin of ['http://evil.example', `http://localhost:${port + 1}`, 'null', `https://some.other.name:${port}`]) {
      expect(`${r.method} ${r.path} Origin ${origin}`, await send(port, r.method, pathOf(r.path), { ...own, ...withBody, 'x-hashfed-request': '1', origin }, b?.body), 403, 'HF_CROSS_SITE')
    }
    if (!r.path.startsWith('/dashboard') && r.path !== '/') {
      expect(`${r.method} ${r.path} Sec-Fetch-Site cross-site`, await send(port, r.method, pathOf(r.path), { ...own, ...withBody, 'sec-fetch-site': 'cross-site' }, b?.body), 403, 'HF_CROSS_SITE')
    }
  }
  // a form or a text/plain fetch with no Origin (what some browsers send with `no-cors`) is a simple request: no change
  for (const r of changing) {
    const body = harmful[r.path]?.body ?? '{}'
    for (const type of ['text/plain', 'text/plain;charset=UTF-8', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'TEXT/PLAIN; a=application/json']) {
      expect(`${r.method} ${r.path} as ${type}`, await send(port, r.method, pathOf(r.path), { ...own, 'content-type': type }, body), 403, 'HF_CROSS_SITE')
    }
    expect(`${r.method} ${r.path} without a content type`, await send(port, r.method, pathOf(r.path), own, body), 403, 'HF_CROSS_SITE')
    expect(`${r.method} ${r.path} without a body or header`, await send(port, r.method, pathOf(r.path), own), 403, 'HF_CROSS_SITE')
  }
  assert.ok(refusals.length > routes.length * 10, `refusals: ${refusals.length}`)

  // nothing changed: store (lists, reports, tokens, audit log), config, federation file, key
  assert.deepEqual(await nodeState(eokm.dir), before)
  assert.deepEqual((await send(port, 'GET', '/v1/audit', own)).json.records, auditBefore)
  const federation = (await send(port, 'GET', '/v1/federation', own)).json
  assert.deepEqual(federation.members.map((m: { name: string }) => m.name), ['EOKM'])

  // the API's own names still work, and the CLI's requests pass
  for (const host of [`localhost:${port}`, `[::1]:${port}`, `127.0.0.1:${port}`, `LOCALHOST:${port}`]) {
    assert.equal((await send(port, 'GET', '/v1/status', { host })).status, 200, host)
  }
  assert.equal((await send(port, 'GET', '/v1/status', { ...own, origin: `http://127.0.0.1:${port}`, 'sec-fetch-site': 'same-origin' })).status, 200)
  assert.equal((await send(port, 'POST', '/v1/federation/reload', { ...own, 'x-hashfed-request': '1' })).status, 200, 'a bodiless POST with the header')
  assert.equal((await send(port, 'POST', '/v1/reports/retention', { ...own, 'content-type': 'application/json' }, '{}')).status, 200, 'a JSON POST')
  const status = await runCli(['status', '--dir', eokm.dir, '--json'])
  assert.equal(status.code, 0, status.stderr)
})

function json (value: unknown): { type: string, body: string } {
  return { type: 'application/json', body: JSON.stringify(value) }
}

test('imports upload the file: the admin API opens no path a request names; the audit log names client address and auth method', async () => {
  const root = await tempDir()
  const eokm = await initNode({ dir: join(root, 'EOKM'), name: 'EOKM', countries: ['NL'], listen: ['/ip4/127.0.0.1/tcp/0'], apiPort: 0, checkPort: 0 })
  const node = await startNode(eokm.dir)
  running.push(node)
  const port = Number(new URL(node.adminUrl).port)
  const own = { host: `127.0.0.1:${port}` }
  const secret = join(root, 'secret.txt')
  await writeFile(secret, `${SHA1('c')}\nrootsecret:x:0:0\n`)

  // the old request: a path on the node's machine, in every shape a client could try
  const before = await nodeState(eokm.dir)
  const attempts: Array<[string, Record<string, string>, string?]> = [
    ['/v1/hashes/import', { 'content-type': 'application/json' }, JSON.stringify({ path: secret, format: 'lines' })],
    ['/v1/hashes/import?format=lines', { 'content-type': 'application/json' }, JSON.stringify({ path: secret })],
    [`/v1/hashes/import?format=lines&path=${encodeURIComponent(secret)}`, { 'content-type': 'application/json' }, '{}'],
    [`/v1/hashes/import?format=lines&path=${encodeURIComponent(secret)}`, { 'x-hashfed-request': '1' }],
    ['/v1/hashes/import?format=lines', { 'content-type': 'application/octet-stream', 'x-hashfed-request': '1' }, secret]
  ]
  for (const [path, headers, body] of attempts) {
    const res = await send(port, 'POST', path, { ...own, ...headers }, body)
    // the last one uploads the path's own text as a list: not a list, nothing read from the disk
    if (res.status === 200) assert.match(res.body, /"error":\{"code":"HF_INVALID_FORMAT"/, path)
    else assert.equal(res.status, 400, `${path}: ${res.body}`)
    assert.doesNotMatch(res.body, /rootsecret/, 'nothing of the file comes back')
  }
  assert.deepEqual((await nodeState(eokm.dir)).config, before.config)
  const origins = (await send(port, 'GET', '/v1/hashes/origins', own)).json.origins as Array<{ entries: number }>
  assert.equal(origins[0]?.entries ?? 0, 0, 'nothing imported from a path')
  const doc = JSON.stringify((await send(port, 'GET', '/openapi.json', own)).json.paths['/v1/hashes/import'])
  assert.doesNotMatch(doc, /"path"/, 'the import route documents no path')

  // the CLI reads the file and uploads it: the same summary as before
  const imported = await runCli(['hashes', 'import', secret, '--dir', eokm.dir, '--format', 'lines', '--source', 'case-9', '--json'])
  assert.equal(imported.code, 0, imported.stderr)
  const summary = JSON.parse(imported.stdout)
  assert.equal(summary.added, 1)
  assert.equal(summary.rejectedCount, 1)
  const bad = join(root, 'bad.json')
  await writeFile(bad, '{"not": "vics"')
  const refused = await runCli(['hashes', 'import', bad, '--dir', eokm.dir, '--format', 'vics-json'])
  assert.equal(refused.code, 2, refused.stderr)
  assert.match(refused.stderr, /HF_INVALID_FORMAT/)
  const missing = await runCli(['hashes', 'import', join(root, 'nope.txt'), '--dir', eokm.dir, '--format', 'lines'])
  assert.match(missing.stderr, /HF_INVALID_ARGUMENT.*cannot read/)
  assert.deepEqual(await readdir(nodeDir(eokm.dir).uploads), [], 'no upload is left on disk')

  // every change says from where and how it was let in
  await runCli(['hashes', 'retract', `sha1:${SHA1('c')}`, '--dir', eokm.dir, '--reason', 'false positive'])
  const records = (await send(port, 'GET', '/v1/audit', own)).json.records as AuditRecord[]
  const viaApi = records.filter(r => r.action !== 'node.init')
  assert.deepEqual(viaApi.map(r => [r.action, r.via, r.auth, r.address]), [
    ['hashes.import', 'api', 'loopback-no-token', '127.0.0.1'],
    ['hashes.retract', 'api', 'loopback-no-token', '127.0.0.1']
  ])
  assert.equal(viaApi[0].details.file, 'secret.txt')
  assert.equal(viaApi[0].details.bytes, (await readFile(secret)).length)
  assert.equal(viaApi[0].details.source, 'case-9')
  assert.equal(records[0].auth, 'node-folder')

  // with a token, the record says so
  const token = await runCli(['config', 'set-api-token', '--dir', eokm.dir])
  assert.equal(token.code, 0, token.stderr)
  const added = await runCli(['tokens', 'create', '--name', 'hoster-2', '--dir', eokm.dir])
  assert.equal(added.code, 0, added.stderr)
  const last = (await runCli(['audit', '--dir', eokm.dir, '--json', '--limit', '2']))
  assert.deepEqual((JSON.parse(last.stdout) as AuditRecord[]).map(r => [r.action, r.via, r.auth, r.address]), [
    ['api.token.set', 'api', 'loopback-no-token', '127.0.0.1'],
    ['tokens.create', 'token:admin', 'token', '127.0.0.1']
  ])
})

test('api.allowedHosts admits a proxy\'s name, live; a wildcard listener knows the machine\'s addresses; the guard answers before the token check', async () => {
  const allowed: string[] = []
  const app = createHttpServer({ host: '127.0.0.1', port: 0, token: 'a-token-of-sixteen-chars', guard: webGuard({ host: '127.0.0.1', allowedHosts: () => allowed }) })
  app.post('/v1/change', async () => ({ ok: true }))
  const url = await listen(app, '127.0.0.1', 0)
  try {
    const port = Number(new URL(url).port)
    const auth = { authorization: 'Bearer a-token-of-sixteen-chars', 'content-type': 'application/json' }
    const change = async (headers: Record<string, string>): Promise<Answer> => await send(port, 'POST', '/v1/change', { ...auth, ...headers }, '{}')
    // a page learns nothing, not even that a token is wanted
    assert.equal((await send(port, 'POST', '/v1/change', { host: 'admin.example.test', 'content-type': 'application/json' }, '{}')).status, 421)
    assert.equal((await change({ host: 'admin.example.test' })).status, 421)
    allowed.push('admin.example.test', 'other.example.test:8443')
    assert.equal((await change({ host: 'admin.example.test' })).status, 200)
    assert.equal((await change({ host: 'admin.example.test:443', origin: 'https://admin.example.test' })).status, 200)
    assert.equal((await change({ host: 'admin.example.test', origin: 'https://evil.example' })).status, 403)
    assert.equal((await change({ host: 'other.example.test:8443' })).status, 200)
    assert.equal((await change({ host: 'other.example.test:8444' })).status, 421)
    assert.equal((await change({ host: 'sub.admin.example.test' })).status, 421)
    allowed.length = 0
    assert.equal((await change({ host: 'admin.example.test' })).status, 421, 'a name taken out of the list is refused at once')
    assert.equal((await send(port, 'POST', '/v1/change', { host: `127.0.0.1:${port}`, 'content-type': 'application/json' }, '{}')).status, 401, 'its own name, then the token check')
  } finally {
    await app.close()
  }

  const loopback = ownHostNames('127.0.0.1', '127.0.0.1')
  assert.deepEqual([...loopback].sort(), ['127.0.0.1', '[::1]', 'localhost'])
  assert.ok(!loopback.has(hostname().toLowerCase()), 'a loopback listener does not answer to the machine\'s name')
  const wildcard = ownHostNames('0.0.0.0', '0.0.0.0')
  for (const list of Object.values(networkInterfaces())) {
    for (const i of list ?? []) if (i.family === 'IPv4') assert.ok(wildcard.has(i.address), i.address)
  }
  assert.ok(wildcard.has(hostname().toLowerCase()) && wildcard.has('localhost') && wildcard.has('0.0.0.0'))
  assert.deepEqual(parseHost('[::1]:8480'), { name: '[::1]', port: 8480 })
  assert.deepEqual(parseHost('LocalHost'), { name: 'localhost', port: null })
  for (const bad of ['', 'a b', 'host:99999', 'host:', '[::1', 'user@host', 'host/path']) assert.equal(parseHost(bad), null, bad)
})
