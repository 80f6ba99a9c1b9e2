import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { Ajv } from 'ajv'
import addFormats from 'ajv-formats'
import type { RouteOptions } from 'fastify'
import { tempDir } from '../helpers/temp-dir.js'
import { createFederation, startMember } from '../helpers/federation.js'
import type { HashfedNode } from '../../src/daemon/hashfed-node.js'
import { createHttpServer } from '../../src/http/http-server.js'
import { registerAdminRoutes } from '../../src/api/admin-routes.js'
import { sharedSchemas } from '../../src/ops/response-schemas.js'

const running = new Set<HashfedNode>()
after(async () => { await Promise.all([...running].map(async n => await n.stop())) })

interface OpenApiDoc {
  openapi: string
  info: { title: string }
  paths: Record<string, Record<string, { responses: Record<string, unknown>, requestBody?: unknown, parameters?: unknown[] }>>
  components: { schemas: Record<string, unknown>, securitySchemes: Record<string, unknown> }
}

/** The shared response schemas, compiled the way a client of the API would read them. */
function validators (): (id: string, data: unknown) => void {
  const ajv = new Ajv({ allErrors: true, strict: false })
  addFormats.default(ajv)
  for (const s of sharedSchemas) ajv.addSchema(s)
  return (id, data) => {
    const validate = ajv.getSchema(id)
    assert.ok(validate !== undefined, `schema ${id}`)
    assert.ok(validate(data), `${id}: ${ajv.errorsText(validate.errors)}\n${JSON.stringify(data).slice(0, 2000)}`)
  }
}

test('/openapi.json documents every admin route; requests are validated and errors carry codes', async () => {
  const root = await tempDir()
  const [nlM, deM] = await createFederation(root, [{ name: 'EOKM', countries: ['NL'] }, { name: 'DE', countries: ['DE'] }])
  const { node } = await startMember(nlM)
  running.add(node)
  const api = async (method: string, path: string, body?: unknown): Promise<{ status: number, json: any }> => {
    const res = await fetch(node.adminUrl + path, { method, ...(body !== undefined ? { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) } : { headers: { 'x-hashfed-request': '1' } }) })
    const text = await res.text()
    return { status: res.status, json: text === '' ? undefined : JSON.parse(text) }
  }

  const doc = (await api('GET', '/openapi.json')).json as OpenApiDoc
  assert.equal(doc.openapi, '3.0.3')
  assert.equal(doc.info.title, 'hashfed admin API')
  assert.ok('bearer' in doc.components.securitySchemes)
  for (const id of ['HashfedError', 'MemberStatus', 'NodeStatus', 'ReportView', 'AuditRecord']) assert.ok(id in doc.components.schemas, `component ${id}`)

  // the same registration on a fresh instance, watched route by route
  const app = createHttpServer({ host: '127.0.0.1', port: 0 })
  const routes: Array<{ method: string, url: string, hidden: boolean }> = []
  app.addHook('onRoute', (r: RouteOptions) => {
    for (const method of [r.method].flat()) routes.push({ method, url: r.url, hidden: (r.schema as { hide?: boolean } | undefined)?.hide === true })
  })
  await registerAdminRoutes(app, node)
  await app.ready()
  const documented = routes.filter(r => r.method !== 'HEAD' && !r.hidden)
  assert.ok(documented.length >= 25, `routes seen: ${documented.length}`)
  for (const r of documented) {
    const path = r.url.replace(/:([A-Za-z_]+)/g, '{$1}')
    const op = doc.paths[path]?.[r.method.toLowerCase()]
    assert.ok(op !== undefined, `${r.method} ${r.url} is in /openapi.json`)
    assert.ok('4XX' in op.responses, `${r.method} ${r.url} documents its error response`)
  }
  // the routes of this API's core document their answers too
  for (const [path, method] of [['/v1/status', 'get'], ['/v1/peers', 'get'], ['/metrics', 'get'], ['/v1/audit', 'get'], ['/v1/reports', 'post'], ['/v1/reports/{id}', 'get'], ['/v1/hashes/retract', 'post'], ['/v1/federation/members', 'post']]) {
    assert.ok(Object.keys(doc.paths[path][method].responses).some(code => code.startsWith('2')), `${method} ${path} documents its success response`)
  }
  for (const must of ['GET /v1/status', 'GET /v1/peers', 'GET /metrics', 'GET /v1/audit', 'POST /v1/admin/token', 'POST /v1/reports', 'GET /v1/reports/:id']) {
    assert.ok(documented.some(r => `${r.method} ${r.url}` === must), must)
  }
  // only the dashboard's files and the document itself are left out
  assert.deepEqual(routes.filter(r => r.method !== 'HEAD' && r.hidden).map(r => r.url).filter(u => !u.startsWith('/dashboard') && u !== '/').sort(), ['/openapi.json'])
  assert.deepEqual(doc.paths['/v1/reports/{id}'].get.parameters, [{ schema: { type: 'string', maxLength: 64 }, in: 'path', name: 'id', required: true }])
  await app.close()

  // requests are schema-validated: unknown fields and bad values are refused with a stable code
  const validate = validators()
  const bad: Array<[string, string, unknown?]> = [
    ['POST', '/v1/reports', { url: 'https://example.nl/x', reporter: 'jan@example.nl' }],
    ['POST', '/v1/federation/members', { name: 'BE', peerId: deM.peerId, colour: 'red' }],
    ['POST', '/v1/federation/members', { peerId: deM.peerId }],
    ['GET', '/v1/peers?verbose=1'],
    ['GET', '/v1/status?x=1'],
    ['GET', '/v1/audit?limit=0'],
    ['GET', '/v1/audit?since=yesterday'],
    ['POST', '/v1/admin/token', { action: 'steal' }],
    ['POST', '/v1/federation/reload', { force: true }],
    ['POST', '/v1/hashes/retract', { ref: 'sha256:zz', reason: 'test' }],
    ['GET', '/v1/reports?limit=many']
  ]
  for (const [method, path, body] of bad) {
    const res = await api(method, path, body)
    assert.equal(res.status, 400, `${method} ${path}: ${JSON.stringify(res.json)}`)
    assert.ok(['HF_INVALID_ARGUMENT', 'HF_INVALID_HASH'].includes(res.json.error.code), `${method} ${path}: ${res.json.error.code}`)
    validate('HashfedError', res.json)
  }
  assert.equal((await api('POST', '/v1/reports', { url: 'https://example.nl/x', reporter: 'x' })).json.error.code, 'HF_INVALID_ARGUMENT')
  const missing = await api('GET', '/v1/nothing-here')
  assert.equal(missing.status, 404)
  assert.equal(missing.json.error.code, 'HF_NOT_FOUND')
  const unknownReport = await api('GET', '/v1/reports/00000000-0000-4000-8000-000000000000')
  assert.equal(unknownReport.status, 404)
  validate('HashfedError', unknownReport.json)
  // a POST that takes no fields accepts `{}` and no body at all
  assert.equal((await api('POST', '/v1/federation/reload', {})).status, 200)
  assert.equal((await api('POST', '/v1/federation/reload')).status, 200)

  // and the answers match their documented schemas
  const submitted = await api('POST', '/v1/reports', { url: 'https://example.nl/openapi-case', country: 'NL', hoster: 'Example BV' })
  assert.equal(submitted.status, 201)
  validate('ReportView', submitted.json)
  validate('ReportView', (await api('GET', `/v1/reports/${submitted.json.id as string}`)).json)
  validate('NodeStatus', (await api('GET', '/v1/status')).json)
  const peers = (await api('GET', '/v1/peers')).json
  assert.equal(peers.peers.length, 1)
  for (const p of peers.peers) validate('MemberStatus', p)
  const audit = (await api('GET', '/v1/audit')).json
  assert.ok(audit.records.length >= 2)
  for (const r of audit.records) validate('AuditRecord', r)
  validate('ReportCounts', (await api('GET', '/v1/reports/counts')).json)
})
