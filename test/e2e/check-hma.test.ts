// Contract test of the check port's HMA API. Requests and expected answers follow Meta's
// Hasher-Matcher-Actioner 2.0 (facebook/ThreatExchange, hasher-matcher-actioner/src/OpenMediaMatch):
//   blueprints/matching.py   /m/raw_lookup, /m/lookup (GET, POST), /m/compare, /m/index/status
//   blueprints/hashing.py    POST /h/hash (one file, field name = content type)
//   blueprints/curation.py   /c/banks, /c/bank/<name>, /c/bank/<name>/content/<id>
//   app.py                   /status -> "I-AM-ALIVE"
//   schemas/matching.py      MatchWithDistance {bank_content_id: int, distance: str}
//   schemas/shared.py        ErrorResponse {message}
//   tests/test_match_api.py  test_raw_lookups, test_lookups, *_with_bank_filter
//   tests/test_api.py        test_status_response, test_lookup_success
//   tests/test_api_banks.py  test_bank_get_content(_404), banks list shape
// Example signals are HMA's own: PdqSignal.get_examples()[0] and VideoMD5Signal.get_examples().
import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { readFile, writeFile } from 'node:fs/promises'
import { Validator } from '@seriousme/openapi-schema-validator'
import { tempDir } from '../helpers/temp-dir.js'
import { createFederation, startMember, waitFor, type TestMember } from '../helpers/federation.js'
import { CheckApiSchemas } from '../helpers/check-api-schema.js'
import { nodeDir } from '../../src/config/node-dir.js'
import { hashImage } from '../../src/hashing/hash-image.js'
import type { HashfedNode } from '../../src/daemon/hashfed-node.js'
import { contentIdKey } from '../../src/check-api/hma/content-id.js'

const HMA_PDQ = 'f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22'
const HMA_VIDEO_MD5 = 'cab08b36195edb1a1231d2d09fa450e0'
const FIXTURE = 'test/fixtures/pdq/bridge-1-original.jpg'
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')
/** one bit away from HMA's example */
const NEAR_PDQ = HMA_PDQ.slice(0, -1) + '3'

interface Reply { status: number, type: string, body: any }

describe('HMA 2.0 API on the check port: an HMA hoster switches by base URL and header', () => {
  let members: TestMember[]
  let eokm: HashfedNode, de: HashfedNode
  let token = ''
  let deToken = ''
  let sha256National = ''
  let photo: Uint8Array
  let photoPdq = ''
  const eokmSchemas = CheckApiSchemas.for({ tokenHeader: 'x-api-key' })
  const deSchemas = CheckApiSchemas.for({ prefix: '/hma' })

  /** One request, its answer held to the OpenAPI document. */
  async function call (node: HashfedNode, method: string, path: string, init: { token?: string, header?: Record<string, string>, body?: BodyInit, type?: string } = {}): Promise<Reply> {
    const headers: Record<string, string> = { ...init.header }
    if (init.token !== undefined) headers.authorization = `Bearer ${init.token}`
    if (init.type !== undefined) headers['content-type'] = init.type
    const res = await fetch(node.checkUrl + path, { method, headers, body: init.body })
    const type = res.headers.get('content-type') ?? ''
    const text = await res.text()
    const body = type.startsWith('application/json') ? JSON.parse(text) : text
    ;(node === de ? deSchemas : eokmSchemas).check(method, path, res.status, body)
    return { status: res.status, type, body }
  }
  const get = async (path: string, t = token): Promise<Reply> => await call(eokm, 'GET', path, { token: t })
  const form = (field: string, bytes: Uint8Array, extra?: [string, Uint8Array]): FormData => {
    const f = new FormData()
    f.append(field, new Blob([Buffer.from(bytes)], { type: 'image/jpeg' }), 'upload.jpg')
    if (extra !== undefined) f.append(extra[0], new Blob([Buffer.from(extra[1])]), 'second.jpg')
    return f
  }

  before(async () => {
    const root = await tempDir()
    members = await createFederation(root, [{ name: 'EOKM', countries: ['NL'] }, { name: 'DE', countries: ['DE'] }])
    // EOKM: HMA's own paths, the token also in x-api-key (as an HMA proxy sends it); DE: under /hma
    // DE also has a low rate limit, so the 429 test needs few requests
    for (const [m, hma, rateLimit] of [[members[0], { tokenHeader: 'X-Api-Key' }, 200], [members[1], { prefix: '/hma' }, 20]] as const) {
      const path = nodeDir(m.dir).config
      const config = JSON.parse(await readFile(path, 'utf8')) as { check: Record<string, unknown> }
      config.check.hma = hma
      config.check.rateLimit = rateLimit
      await writeFile(path, JSON.stringify(config))
    }
    ;[eokm, de] = await Promise.all(members.map(async m => (await startMember(m)).node))
    token = (await eokm.check.tokens.create('acme')).token
    deToken = (await de.check.tokens.create('acme-de')).token

    // EOKM imports an HMA bank export (baseline), then a list without --classification, then an image's hashes
    const csv = `signal_type,signal_value,bank_name,content_id\npdq,${HMA_PDQ},SAMPLE,1001\nvideo_md5,${HMA_VIDEO_MD5},SAMPLE,1002\n`
    const imported = await eokm.hashLists.import({ format: 'hma-csv', classification: 'baseline' }, async function * () { yield csv })
    assert.equal(imported.added, 2)
    sha256National = createHash('sha256').update('an unclassified list').digest('hex')
    await eokm.hashLists.import({ format: 'lines', algorithm: 'sha256' }, async function * () { yield sha256National + '\n' })
    photo = new Uint8Array(await readFile(FIXTURE))
    const hashes = await hashImage(photo)
    photoPdq = hex(hashes.records.find(r => r.algorithm === 'pdq')?.value ?? new Uint8Array())
    await eokm.hashLists.addHashes({ records: hashes.records.map(r => ({ algorithm: r.algorithm, value: hex(r.value) })), classification: 'not-illegal' })
    const origin = members[0].peerId
    const seq = eokm.hashLog.head(origin)?.seq ?? 0
    assert.ok(await waitFor(() => de.hashLog.head(origin)?.seq === seq, 20_000), 'DE holds EOKM\'s list')
  })

  after(async () => { await Promise.all([eokm, de].map(async n => await n?.stop())) })

  it('/status answers I-AM-ALIVE as text, without a token (app.py status, test_status_response)', async () => {
    const r = await call(eokm, 'GET', '/status')
    assert.equal(r.status, 200)
    assert.equal(r.body, 'I-AM-ALIVE')
    assert.match(r.type, /^text\/plain/)
    assert.equal((await call(de, 'GET', '/hma/status')).body, 'I-AM-ALIVE')
    assert.equal((await call(eokm, 'GET', '/status/live')).body, 'I-AM-ALIVE')
  })

  it('/m/raw_lookup lists bank_content_ids, and {bank_content_id, distance} with include_distance (test_raw_lookups)', async () => {
    for (const [signalType, signal, distance] of [['pdq', HMA_PDQ, '0'], ['video_md5', HMA_VIDEO_MD5, '-']]) {
      const plain = await get(`/m/raw_lookup?signal_type=${signalType}&signal=${signal}`)
      assert.equal(plain.status, 200)
      assert.deepEqual(Object.keys(plain.body), ['matches'])
      assert.ok(plain.body.matches.length >= 1)
      for (const id of plain.body.matches) assert.ok(Number.isSafeInteger(id) && id > 0, `id ${id} is a positive safe integer`)
      const withDistance = await get(`/m/raw_lookup?signal_type=${signalType}&signal=${signal}&include_distance=true`)
      assert.equal(withDistance.body.matches.length, plain.body.matches.length)
      const exact = withDistance.body.matches.find((m: any) => m.distance === distance)
      assert.ok(exact !== undefined, `a ${signalType} match at distance "${distance}"`)
      assert.deepEqual(Object.keys(exact).sort(), ['bank_content_id', 'classification', 'distance'])
      assert.equal(typeof exact.bank_content_id, 'number')
      assert.equal(typeof exact.distance, 'string', 'HMA sends distances as strings (SignalSimilarityInfo.pretty_str)')
      assert.equal(exact.classification, 'baseline')
      assert.ok(plain.body.matches.includes(exact.bank_content_id))
    }
    // near, not exact: PDQ within the threshold, with its distance
    const near = await get(`/m/raw_lookup?signal_type=pdq&signal=${NEAR_PDQ}&include_distance=true`)
    assert.ok(near.body.matches.some((m: any) => m.distance === '1'))
    // a miss is an empty list
    assert.deepEqual((await get(`/m/raw_lookup?signal_type=video_md5&signal=${'0'.repeat(32)}`)).body, { matches: [] })
    assert.deepEqual((await get(`/m/raw_lookup?signal_type=video_md5&signal=${'0'.repeat(32)}&include_distance=true`)).body, { matches: [] })
  })

  it('/m/raw_lookup answers alike however the query is written (the node:http fast path, HMA validation, the Fastify route)', async () => {
    const expected = (await get(`/m/raw_lookup?signal_type=pdq&signal=${HMA_PDQ}&include_distance=true`)).body
    assert.ok(expected.matches.length >= 1)
    for (const q of [
      `signal=${HMA_PDQ}&signal_type=pdq&include_distance=true`, // any order
      `signal_type=pdq&&signal=${HMA_PDQ}&include_distance=true&`, // empty pieces
      `signal_type=pdq&signal=${HMA_PDQ.toUpperCase()}&include_distance=true`, // upper case: HMA's validation
      `signal_type=pdq&signal=+${HMA_PDQ}+&include_distance=true`, // '+' is a space: the Fastify route
      `signal_type=pd%71&signal=${HMA_PDQ}&include_distance=%74rue`, // percent-encoded: the Fastify route
      `signal_type=pdq&banks=EOKM&signal=${HMA_PDQ}&include_distance=true`
    ]) {
      const r = await get(`/m/raw_lookup?${q}`)
      assert.equal(r.status, 200, q)
      assert.deepEqual(r.body, expected, q)
    }
    const ids = (await get(`/m/raw_lookup?signal_type=pdq&signal=${HMA_PDQ}`)).body
    assert.deepEqual(ids, { matches: expected.matches.map((m: any) => m.bank_content_id) })
    assert.deepEqual((await get(`/m/raw_lookup?signal_type=pdq&signal=${HMA_PDQ}&include_distance=false`)).body, ids)
  })

  it('/m/lookup groups matches by bank; banks= narrows, also to a classification (test_lookups, test_lookup_with_bank_filter)', async () => {
    const all = await get(`/m/lookup?signal_type=pdq&signal=${HMA_PDQ}`)
    assert.equal(all.status, 200)
    assert.deepEqual(Object.keys(all.body), ['EOKM'])
    for (const m of all.body.EOKM) {
      assert.equal(typeof m.bank_content_id, 'number')
      assert.equal(typeof m.distance, 'string')
    }
    // the HMA import (baseline) and the photo's PDQ (not-illegal) are both near HMA's example
    assert.deepEqual(all.body.EOKM.map((m: any) => m.classification).sort(), ['baseline', 'not-illegal'])
    const narrowed = await get(`/m/lookup?signal_type=pdq&signal=${HMA_PDQ}&banks=EOKM:baseline,EOKM:national`)
    assert.deepEqual(Object.keys(narrowed.body), ['EOKM:baseline'])
    assert.equal(narrowed.body['EOKM:baseline'].length, 1)
    assert.deepEqual((await get(`/m/lookup?signal_type=pdq&signal=${HMA_PDQ}&banks=NON_EXISTENT_BANK`)).body, {})
    assert.deepEqual((await get(`/m/raw_lookup?signal_type=pdq&signal=${HMA_PDQ}&banks=NON_EXISTENT_BANK`)).body, { matches: [] })
    // every match carries a classification: the list imported without one has the documented default
    const national = await get(`/m/lookup?signal_type=sha256&signal=${sha256National}`)
    assert.equal(national.body.EOKM[0].classification, 'national')
    const v1 = await call(eokm, 'POST', '/v1/check', { token, type: 'application/json', body: JSON.stringify({ hashes: [{ algorithm: 'sha256', value: sha256National }] }) })
    assert.equal(v1.body.results[0].matches[0].classification, 'national')
    assert.equal(v1.body.results[0].matches[0].origins[0].classification, 'national')
  })

  it('POST /h/hash hashes one uploaded file in memory: photo -> pdq (+ ours), video -> video_md5 (hashing.py hash_media_post)', async () => {
    const r = await call(eokm, 'POST', '/h/hash', { token, body: form('photo', photo) })
    assert.equal(r.status, 200)
    assert.equal(r.body.pdq, photoPdq)
    assert.match(r.body.pdq, /^[0-9a-f]{64}$/)
    assert.deepEqual(Object.keys(r.body).sort(), ['blockhash', 'md5', 'pdq', 'sha1', 'sha256'])
    const only = await call(eokm, 'POST', '/h/hash?types=pdq', { token, body: form('photo', photo) })
    assert.deepEqual(Object.keys(only.body), ['pdq'])
    const video = await call(eokm, 'POST', '/h/hash', { token, body: form('video', photo) })
    assert.deepEqual(video.body, { video_md5: createHash('md5').update(photo).digest('hex') })
    const vpdq = await call(eokm, 'POST', '/h/hash?types=vpdq', { token, body: form('video', photo) })
    assert.equal(vpdq.status, 400)
    assert.match(vpdq.body.message, /vpdq is not served yet/)
  })

  it('POST /m/lookup hashes the upload and answers per signal type, per bank (test_lookup_success)', async () => {
    const r = await call(eokm, 'POST', '/m/lookup', { token, body: form('photo', photo) })
    assert.equal(r.status, 200)
    assert.deepEqual(Object.keys(r.body).sort(), ['blockhash', 'md5', 'pdq', 'sha1', 'sha256'])
    assert.ok(r.body.pdq.EOKM.some((m: any) => m.distance === '0' && m.classification === 'not-illegal'))
    assert.equal(r.body.md5.EOKM[0].distance, '-')
    const narrowed = await call(eokm, 'POST', '/m/lookup?types=pdq&banks=EOKM:baseline', { token, body: form('photo', photo) })
    assert.deepEqual(Object.keys(narrowed.body), ['pdq'])
    assert.deepEqual(narrowed.body.pdq['EOKM:baseline'].map((m: any) => m.classification), ['baseline'])
  })

  it('POST /m/compare gives [match, {distance}] per signal type (matching.py compare)', async () => {
    const r = await call(eokm, 'POST', '/m/compare', { token, type: 'application/json', body: JSON.stringify({ pdq: [HMA_PDQ, NEAR_PDQ], video_md5: [HMA_VIDEO_MD5, HMA_VIDEO_MD5] }) })
    assert.equal(r.status, 200)
    assert.deepEqual(r.body, { pdq: [true, { distance: 1 }], video_md5: [true, {}] })
    const far = await call(eokm, 'POST', '/m/compare', { token, type: 'application/json', body: JSON.stringify({ pdq: [HMA_PDQ, 'f'.repeat(64)] }) })
    assert.equal(far.body.pdq[0], false)
    const three = await call(eokm, 'POST', '/m/compare', { token, type: 'application/json', body: JSON.stringify({ pdq: [HMA_PDQ, HMA_PDQ, HMA_PDQ] }) })
    assert.equal(three.status, 400)
    const bad = await call(eokm, 'POST', '/m/compare', { token, type: 'application/json', body: JSON.stringify({ pdq: [HMA_PDQ, 'nothex'] }) })
    assert.equal(bad.status, 400)
    assert.match(bad.body.message, /Invalid pdq hash/)
  })

  it('/m/index/status has {present, built_to, size} per signal type', async () => {
    const r = await get('/m/index/status')
    assert.equal(r.status, 200)
    assert.deepEqual(r.body.pdq.present, true)
    assert.equal(r.body.pdq.size, 2)
    assert.ok(Number.isInteger(r.body.pdq.built_to) && r.body.pdq.built_to > 1_600_000_000)
    assert.deepEqual(Object.keys((await get('/m/index/status?signal_type=video_md5')).body), ['video_md5'])
    assert.equal((await get('/m/index/status?signal_type=nope')).status, 400)
  })

  it('/c/banks lists origins (and by classification); the kill switch is matching_enabled_ratio 0/1', async () => {
    const banks = await get('/c/banks')
    assert.deepEqual(banks.body.find((b: any) => b.name === 'EOKM'), { name: 'EOKM', matching_enabled_ratio: 1 })
    assert.ok(banks.body.some((b: any) => b.name === 'EOKM:baseline'))
    assert.deepEqual((await get('/c/bank/EOKM:baseline')).body, { name: 'EOKM:baseline', matching_enabled_ratio: 1 })
    assert.equal((await get('/c/bank/NOPE')).status, 404)
    await eokm.match.setEnabled('EOKM', false)
    try {
      assert.equal((await get('/c/bank/EOKM')).body.matching_enabled_ratio, 0)
      assert.deepEqual((await get(`/m/lookup?signal_type=pdq&signal=${HMA_PDQ}`)).body, {})
      assert.deepEqual((await get(`/m/raw_lookup?signal_type=pdq&signal=${HMA_PDQ}`)).body, { matches: [] }, 'a switched-off list is not served by raw_lookup either')
    } finally {
      await eokm.match.setEnabled('EOKM', true)
    }
    assert.equal((await get('/c/bank/EOKM')).body.matching_enabled_ratio, 1)
  })

  it('bank_content_id is the same on every node and after a restart, and names the entry with its provenance (curation.py bank_get_content)', async () => {
    const onEokm = (await get(`/m/raw_lookup?signal_type=pdq&signal=${HMA_PDQ}&banks=EOKM:baseline`)).body.matches
    const onDe = (await call(de, 'GET', `/hma/m/raw_lookup?signal_type=pdq&signal=${HMA_PDQ}&banks=EOKM:baseline`, { token: deToken })).body.matches
    assert.equal(onEokm.length, 1)
    assert.deepEqual(onDe, onEokm)
    const id = onEokm[0] as number
    const content = await get(`/c/bank/EOKM/content/${id}?include_signals=true`)
    assert.equal(content.status, 200)
    assert.equal(content.body.id, id)
    assert.equal(content.body.disable_until_ts, 0)
    assert.deepEqual(content.body.bank, { name: 'EOKM', matching_enabled_ratio: 1 })
    assert.deepEqual(content.body.signals, { pdq: HMA_PDQ })
    const p = content.body.metadata.json
    assert.equal(content.body.metadata.content_id, 'hma:1001', 'the HMA export\'s content_id, kept as source')
    assert.equal(p.origin, 'EOKM')
    assert.equal(p.peerId, members[0].peerId)
    assert.equal(p.classification, 'baseline')
    assert.deepEqual(p.tags, ['SAMPLE'])
    const shown = (await eokm.hashLog.show('pdq', Buffer.from(HMA_PDQ, 'hex'))).find(x => x.origin === members[0].peerId)
    assert.ok(shown !== undefined)
    assert.deepEqual(p.batch, { origin: members[0].peerId, seq: shown.seq, index: shown.index, hash: hex(shown.batchHash) })
    // a bank that does not hold it, and ids it does not know: 404 (test_bank_get_content_404)
    assert.equal((await get(`/c/bank/EOKM:national/content/${id}`)).status, 404)
    assert.equal((await get('/c/bank/EOKM/content/1')).status, 404)
    assert.equal((await get(`/c/bank/NOPE/content/${id}`)).status, 404)
    // a collision, made by hand: a second live entry of EOKM under the same id is not guessed between
    const collision = contentIdKey(id, { origin: members[0].peerId, algorithm: 'sha256', valueHex: sha256National })
    await eokm.components.ctx.store.sub.contentIds.put(collision, new Uint8Array(0))
    const ambiguous = await get(`/c/bank/EOKM/content/${id}`)
    assert.equal(ambiguous.status, 409)
    assert.equal(ambiguous.body.code, 'HF_AMBIGUOUS')
    assert.match(ambiguous.body.message, /look them up by signal/)
    assert.equal((await get(`/c/bank/EOKM:baseline/content/${id}`)).status, 200, 'the narrower bank holds one of them')
    await eokm.components.ctx.store.sub.contentIds.del(collision)
    // DE never answered this id before its restart: after it, the stored rows find it
    const deMember = members[1]
    await de.stop()
    de = (await startMember(deMember)).node
    const deToken2 = deToken
    assert.ok(await waitFor(async () => (await fetch(`${de.checkUrl}/hma/c/bank/EOKM/content/${id}`, { headers: { authorization: `Bearer ${deToken2}` } })).status === 200, 20_000), 'DE finds the id from its store after a restart')
    const again = await call(de, 'GET', `/hma/c/bank/EOKM/content/${id}`, { token: deToken })
    assert.deepEqual(again.body.metadata.json.batch, p.batch)
  })

  it('tokens: Authorization: Bearer, or the configured header; HMA error bodies {message}', async () => {
    const path = `/m/raw_lookup?signal_type=pdq&signal=${HMA_PDQ}`
    const none = await call(eokm, 'GET', path)
    assert.equal(none.status, 401)
    assert.match(none.body.message, /x-api-key/)
    assert.equal(none.body.code, 'HF_UNAUTHORIZED')
    assert.equal((await call(eokm, 'GET', path, { header: { 'x-api-key': token } })).status, 200)
    assert.equal((await call(eokm, 'GET', path, { header: { 'X-Api-Key': `Bearer ${token}` } })).status, 200)
    assert.equal((await call(eokm, 'GET', path, { header: { 'x-api-key': 'hfc_wrong' } })).status, 401)
    assert.equal((await call(eokm, 'GET', path, { token: 'hfc_wrong' })).status, 401)
    // DE configured no header: the header is not a token there
    assert.equal((await call(de, 'GET', `/hma${path}`, { header: { 'x-api-key': deToken } })).status, 401)
    // the token header works for our /v1 routes too
    assert.equal((await call(eokm, 'POST', '/v1/check', { header: { 'x-api-key': token }, type: 'application/json', body: '{"hashes":[]}' })).status, 200)
    // the prefix: DE answers HMA under /hma only
    assert.equal((await fetch(`${de.checkUrl}/m/raw_lookup?signal_type=pdq&signal=${HMA_PDQ}`, { headers: { authorization: `Bearer ${deToken}` } })).status, 404)
  })

  it('a token over its rate limit gets 429 with Retry-After in HMA\'s error shape, on the fast path and through Fastify', async () => {
    const { token: greedy } = await de.check.tokens.create('greedy')
    for (const extra of ['', '&banks=EOKM']) {
      // the first is answered before Fastify (fast-raw-lookup.ts); banks= makes no difference there, a header does
      const replies = await Promise.all(Array.from({ length: 60 }, async () => await fetch(`${de.checkUrl}/hma/m/raw_lookup?signal_type=pdq&signal=${HMA_PDQ}${extra}`, { headers: { authorization: `Bearer ${greedy}` } })))
      const limited = replies.filter(r => r.status === 429)
      assert.ok(limited.length > 0, 'some requests are over the limit')
      assert.ok(Number(limited[0].headers.get('retry-after')) >= 1)
      const body = await limited[0].json()
      deSchemas.check('GET', '/hma/m/raw_lookup', 429, body)
      assert.equal(body.code, 'HF_RATE_LIMITED')
      await new Promise(resolve => setTimeout(resolve, 1100))
    }
    const lookups = await Promise.all(Array.from({ length: 60 }, async () => await fetch(`${de.checkUrl}/hma/m/lookup?signal_type=pdq&signal=${HMA_PDQ}`, { headers: { authorization: `Bearer ${greedy}` } })))
    const limited = lookups.find(r => r.status === 429)
    assert.ok(limited !== undefined)
    const body = await limited.json()
    deSchemas.check('GET', '/hma/m/lookup', 429, body)
    assert.match(body.message, /requests per second/)
    // other tokens are not limited
    assert.equal((await call(de, 'GET', `/hma/m/raw_lookup?signal_type=pdq&signal=${HMA_PDQ}`, { token: deToken })).status, 200)
  })

  it('bad input is refused with a message naming the problem', async () => {
    const cases: Array<[string, RegExp]> = [
      [`/m/raw_lookup?signal_type=pdq&signal=${HMA_PDQ}&bogus=1`, /unknown field "bogus"/],
      ['/m/raw_lookup?signal_type=pdq', /signal/],
      ['/m/raw_lookup?signal_type=pdq&signal=abc', /invalid signal/],
      [`/m/raw_lookup?signal_type=tmk&signal=${HMA_PDQ}`, /No such SignalType 'tmk'/],
      [`/m/raw_lookup?signal_type=vpdq&signal=${HMA_PDQ}`, /vpdq is not served yet/],
      [`/m/raw_lookup?signal_type=pdq&signal=${HMA_PDQ}&include_distance=maybe`, /include_distance/],
      ['/m/lookup?url=https://example.com/a.jpg', /never fetches URLs/],
      ['/m/lookup', /signal and signal_type are required/],
      [`/m/lookup?signal_type=pdq&signal=${HMA_PDQ}&bypass_coinflip=true`, /bypass_coinflip/],
      ['/h/hash?url=https://example.com/a.jpg', /never fetches URLs/],
      ['/c/bank/EOKM/content/abc', /content_id/],
      ['/c/banks?verbose=1', /unknown field "verbose"/]
    ]
    for (const [path, message] of cases) {
      const r = await get(path)
      assert.equal(r.status, 400, path)
      assert.match(r.body.message, message, path)
    }
    const unknown = await call(eokm, 'POST', '/v1/check', { token, type: 'application/json', body: JSON.stringify({ hashes: [{ algorithm: 'md5', value: HMA_VIDEO_MD5, qualty: 3 }] }) })
    assert.equal(unknown.status, 400)
    assert.match(unknown.body.error.message, /unknown field "qualty"/)
    const top = await call(eokm, 'POST', '/v1/check', { token, type: 'application/json', body: JSON.stringify({ hashes: [], hash: [] }) })
    assert.match(top.body.error.message, /unknown field "hash"/)
    const feedback = await call(eokm, 'POST', '/v1/feedback', { token, type: 'application/json', body: JSON.stringify({ algorithm: 'md5', value: HMA_VIDEO_MD5, verdict: 'disputed', note: 'x' }) })
    assert.equal(feedback.status, 400)
    assert.match(feedback.body.error.message, /unknown field "note"/)
  })

  it('uploads: a 415 names the accepted types; one file only; the size limit is 413 before the file is read whole', async () => {
    const json = await call(eokm, 'POST', '/h/hash', { token, type: 'application/json', body: '{}' })
    assert.equal(json.status, 415)
    assert.match(json.body.message, /multipart\/form-data/)
    const xml = await call(eokm, 'POST', '/m/lookup', { token, type: 'application/xml', body: '<a/>' })
    assert.equal(xml.status, 415)
    assert.match(xml.body.message, /multipart\/form-data/)
    const raw = await call(eokm, 'POST', '/v1/check/image', { token, type: 'text/csv', body: Buffer.from(photo) })
    assert.equal(raw.status, 415)
    assert.match(raw.body.error.message, /application\/octet-stream or image\/\*/)
    const upload = await call(eokm, 'POST', '/v1/check', { token, type: 'application/octet-stream', body: Buffer.from(photo) })
    assert.equal(upload.status, 415)
    assert.match(upload.body.error.message, /application\/json/)
    const compareForm = await call(eokm, 'POST', '/m/compare', { token, body: form('photo', photo) })
    assert.equal(compareForm.status, 415)
    assert.match(compareForm.body.message, /application\/json/)
    const two = await call(eokm, 'POST', '/h/hash', { token, body: form('photo', photo, ['video', photo]) })
    assert.equal(two.status, 400)
    assert.match(two.body.message, /Only one file allowed per request/)
    const field = await call(eokm, 'POST', '/h/hash', { token, body: form('file', photo) })
    assert.equal(field.status, 400)
    assert.match(field.body.message, /no such content_type: 'file'/)
    const empty = new FormData()
    empty.append('note', 'hello')
    const noFile = await call(eokm, 'POST', '/h/hash', { token, body: empty })
    assert.equal(noFile.status, 400)
    const notImage = await call(eokm, 'POST', '/h/hash', { token, body: form('photo', new Uint8Array(100).fill(7)) })
    assert.equal(notImage.status, 400)
    const huge = new Uint8Array(20 * 1024 * 1024 + 1)
    const tooLarge = await call(eokm, 'POST', '/h/hash', { token, body: form('video', huge) })
    assert.equal(tooLarge.status, 413)
    assert.match(tooLarge.body.message, /larger than 20971520 bytes/)
    assert.equal((await get('/status')).status, 200, 'the node still serves')
  })

  it('/openapi.json is a valid OpenAPI 3 document of every route, and requests are validated by it', async () => {
    const res = await fetch(`${eokm.checkUrl}/openapi.json`)
    assert.equal(res.status, 200)
    const doc = await res.json() as { openapi: string, paths: Record<string, Record<string, { responses: Record<string, unknown> }>> }
    const result = await new Validator().validate(doc as unknown as Parameters<Validator["validate"]>[0])
    assert.equal(result.valid, true, JSON.stringify(result.errors))
    assert.match(doc.openapi, /^3\./)
    for (const path of ['/v1/check', '/v1/check/image', '/v1/feedback', '/h/hash', '/m/raw_lookup', '/m/lookup', '/m/compare', '/m/index/status', '/status', '/c/banks', '/c/bank/{bank_name}', '/c/bank/{bank_name}/content/{content_id}']) {
      assert.ok(doc.paths[path] !== undefined, path)
    }
    const statuses = new Set(Object.values(doc.paths).flatMap(p => Object.values(p).flatMap(op => Object.keys(op.responses))))
    for (const s of ['400', '401', '413', '415', '429', '503']) assert.ok(statuses.has(s), `status ${s} documented`)
    // DE's document names its prefix
    const deDoc = await (await fetch(`${de.checkUrl}/openapi.json`)).json() as { paths: Record<string, unknown> }
    assert.ok(deDoc.paths['/hma/m/lookup'] !== undefined)
  })
})
