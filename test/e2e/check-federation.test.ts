import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { readFile, writeFile } from 'node:fs/promises'
import sharp from 'sharp'
import { tempDir } from '../helpers/temp-dir.js'
import { runCli } from '../helpers/cli.js'
import { CapturedLog, createFederation, startMember, waitFor, type TestMember } from '../helpers/federation.js'
import { loadFederation, saveFederation, withMember } from '../../src/config/federation.js'
import { nodeDir } from '../../src/config/node-dir.js'
import { digests } from '../../src/hashing/digests.js'
import { HashfedNode } from '../../src/daemon/hashfed-node.js'
import type { CheckResult, ImageCheckResult } from '../../src/check/check-service.js'
import { isHashfedError } from '../../src/errors.js'
import { CheckApiSchemas } from '../helpers/check-api-schema.js'

const FIXTURE = 'test/fixtures/blockhash/clipper_ship.jpg'
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')

interface Reply<T> { status: number, body: T & { error?: { code: string } } }

async function call<T> (node: HashfedNode, token: string, path: string, body: unknown, contentType = 'application/json'): Promise<Reply<T>> {
  const res = await fetch(node.checkUrl + path, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': contentType },
    body: contentType === 'application/json' ? JSON.stringify(body) : Buffer.from(body as Uint8Array)
  })
  const json = await res.json() as T & { error?: { code: string } }
  schemas.check('POST', path, res.status, json)
  return { status: res.status, body: json }
}

/** every answer is held to the check port's OpenAPI document */
const schemas = CheckApiSchemas.for()
const checked = async (res: Response, path: string): Promise<Response> => {
  schemas.check('POST', path, res.status, await res.clone().json())
  return res
}

async function checkSha (node: HashfedNode, token: string, value: string): Promise<CheckResult> {
  const res = await call<{ results: CheckResult[] }>(node, token, '/v1/check', { hashes: [{ algorithm: 'sha256', value }] })
  assert.equal(res.status, 200, JSON.stringify(res.body))
  return res.body.results[0]
}

describe('hash check across a federation: EOKM publishes, DE and GB check, a mirror of EOKM serves', () => {
  const running: HashfedNode[] = []
  let members: TestMember[]
  let eokm: HashfedNode, de: HashfedNode, gb: HashfedNode, mirror: HashfedNode
  let mirrorDir: string
  const tokens: Record<string, string> = {}
  let image: Uint8Array
  let sha256: string

  before(async () => {
    const root = await tempDir()
    members = await createFederation(root, [{ name: 'EOKM', countries: ['NL'] }, { name: 'DE', countries: ['DE'] }, { name: 'GB', countries: ['GB'] }])
    // DE: a low rate limit, so the 429 test needs few requests
    const deConfig = nodeDir(members[1].dir).config
    const config = JSON.parse(await readFile(deConfig, 'utf8')) as { check: { rateLimit?: number } }
    config.check.rateLimit = 20
    await writeFile(deConfig, JSON.stringify(config))

    // the mirror is made with the CLI from EOKM's federation file, then every member lists it
    mirrorDir = join(root, 'EOKM-mirror')
    const init = await runCli(['init', '--dir', mirrorDir, '--name', 'EOKM-mirror', '--mirror-of', 'EOKM', '--federation', nodeDir(members[0].dir).federation,
      '--listen', '/ip4/127.0.0.1/tcp/0', '--api-port', '0', '--check-port', '0', '--json'])
    assert.equal(init.code, 0, init.stderr)
    const m = JSON.parse(init.stdout) as { peerId: string, announce: string[], mirrorOf: string }
    assert.equal(m.mirrorOf, 'EOKM')
    const mirrorFed = await loadFederation(nodeDir(mirrorDir).federation)
    assert.deepEqual(mirrorFed.members.map(x => x.name).sort(), ['DE', 'EOKM', 'EOKM-mirror', 'GB'])
    for (const member of members) {
      const path = nodeDir(member.dir).federation
      await saveFederation(path, withMember(await loadFederation(path), { name: 'EOKM-mirror', peerId: m.peerId, countries: [], addresses: m.announce, mirrorOf: 'EOKM' }))
    }
    ;[eokm, de, gb] = await Promise.all(members.map(async x => (await startMember(x)).node))
    running.push(eokm, de, gb)
    mirror = await HashfedNode.start({ dir: mirrorDir, logger: new CapturedLog({ node: 'EOKM-mirror' }).logger })
    running.push(mirror)
    // every server bound port 0: now that all run, each learns the others' real addresses
    const mirrorEntry = (await loadFederation(nodeDir(mirrorDir).federation)).members
    const plain = (addrs: string[]): string[] => addrs.map(a => a.replace(/\/p2p\/.*$/, ''))
    for (const node of [eokm, de, gb]) await node.addMember({ name: 'EOKM-mirror', peerId: m.peerId, countries: [], addresses: plain(mirror.listenAddresses()), mirrorOf: 'EOKM' })
    for (const x of members) {
      const entry = mirrorEntry.find(e => e.peerId === x.peerId)
      assert.ok(entry !== undefined)
      await mirror.addMember({ ...entry, addresses: x.announce })
    }
    assert.ok(await waitFor(() => running.every(n => n.members.connectedPeers().length === 3), 15_000), 'all four connected')
    for (const [name, node] of [['acme', de], ['gb-host', gb], ['eokm-host', eokm]] as const) tokens[name] = (await node.check.tokens.create(name)).token
    // the mirror shares EOKM's token, as mirrors behind one load balancer do
    await mirror.check.tokens.create('eokm-host', { token: tokens['eokm-host'] })
    image = new Uint8Array(await readFile(FIXTURE))
    sha256 = hex(digests(image).sha256)
  })

  after(async () => { await Promise.all(running.map(async n => await n.stop())) })

  it('an image added at EOKM with add-images is found at DE, exactly and after re-compression and resizing', async () => {
    const add = await runCli(['hashes', 'add-images', '--dir', members[0].dir, '--classification', 'baseline', '--json', FIXTURE])
    assert.equal(add.code, 0, add.stderr)
    const summary = JSON.parse(add.stdout) as { added: number, hashed: number }
    assert.equal(summary.hashed, 1)
    assert.equal(summary.added, 5, 'sha256, sha1, md5, pdq, blockhash')
    const origin = members[0].peerId
    assert.ok(await waitFor(() => [de, gb, mirror].every(n => n.hashLog.head(origin)?.seq === 1), 10_000), 'replicated')

    const exact = await checkSha(de, tokens.acme, sha256)
    assert.equal(exact.matches.length, 1)
    const m = exact.matches[0]
    assert.equal(m.distance, 0)
    assert.equal(m.classification, 'baseline')
    assert.equal(m.origins[0].name, 'EOKM')
    assert.equal(m.origins[0].batch.origin, origin)
    assert.equal(m.origins[0].batch.seq, 1)
    assert.equal(m.origins[0].batch.hash, hex(eokm.hashLog.head(origin)?.hash ?? new Uint8Array()), 'the batch EOKM signed')

    // what a re-upload looks like: smaller and re-compressed; bytes differ, pixels are close
    const variant = await sharp(image).resize({ width: 320 }).jpeg({ quality: 45 }).toBuffer()
    const res = await call<ImageCheckResult>(de, tokens.acme, '/v1/check/image', variant, 'application/octet-stream')
    assert.equal(res.status, 200, JSON.stringify(res.body))
    assert.equal(res.body.image.width, 320)
    const by = Object.fromEntries(res.body.results.map(r => [r.algorithm, r]))
    assert.deepEqual(by.sha256.matches, [], 'the bytes changed')
    const pdq = by.pdq.matches[0]
    assert.ok(pdq !== undefined, 'PDQ near match')
    assert.ok(pdq.distance > 0 && pdq.distance <= 31, `PDQ distance ${pdq.distance}`)
    assert.equal(pdq.origins[0].name, 'EOKM')
    assert.equal(by.pdq.lowQuality, undefined)

    // an analyst at GB checks the file with the CLI (through GB's admin API)
    const cli = await runCli(['check', '--dir', members[2].dir, '--json', FIXTURE])
    assert.equal(cli.code, 0, cli.stderr)
    const rows = JSON.parse(cli.stdout) as Array<CheckResult & { item: string }>
    assert.deepEqual(rows.map(r => [r.algorithm, r.matches[0]?.distance]), [['sha256', 0], ['sha1', 0], ['md5', 0], ['pdq', 0], ['blockhash', 0]])
  })

  it('an unknown or revoked token gets 401; a new token works at once', async () => {
    assert.equal((await call(de, 'hfc_not-a-token', '/v1/check', { hashes: [] })).body.error?.code, 'HF_UNAUTHORIZED')
    const none = await checked(await fetch(de.checkUrl + '/v1/check', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"hashes":[]}' }), '/v1/check')
    assert.equal(none.status, 401)
    const { token } = await de.check.tokens.create('short-lived')
    assert.equal((await call(de, token, '/v1/check', { hashes: [] })).status, 200)
    const revoke = await runCli(['tokens', 'revoke', 'short-lived', '--dir', members[1].dir])
    assert.equal(revoke.code, 0, revoke.stderr)
    const after = await call(de, token, '/v1/check', { hashes: [] })
    assert.equal(after.status, 401)
    assert.equal(after.body.error?.code, 'HF_UNAUTHORIZED')
  })

  it('an oversized request gets 413 and the node keeps serving', async () => {
    const huge = '{"hashes":[' + Array.from({ length: 12_000 }, () => `{"algorithm":"sha256","value":"${sha256}","padding":"${'x'.repeat(300)}"}`).join(',') + ']}'
    const res = await checked(await fetch(de.checkUrl + '/v1/check', { method: 'POST', headers: { authorization: `Bearer ${tokens.acme}`, 'content-type': 'application/json' }, body: huge }), '/v1/check')
    assert.equal(res.status, 413)
    assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'HF_TOO_LARGE')
    const many = await call(de, tokens.acme, '/v1/check', { hashes: Array.from({ length: 10_001 }, () => ({ algorithm: 'md5', value: '0'.repeat(32) })) })
    assert.equal(many.status, 413, 'more than maxHashes')
    assert.equal(many.body.error?.code, 'HF_TOO_LARGE')
    const bad = await call(de, tokens.acme, '/v1/check/image', new Uint8Array(64).fill(7), 'application/octet-stream')
    assert.equal(bad.status, 400)
    assert.equal(bad.body.error?.code, 'HF_INVALID_IMAGE')
    assert.equal((await checkSha(de, tokens.acme, sha256)).matches.length, 1, 'next request served')
  })

  it('a token over its rate gets 429 with Retry-After', async () => {
    const { token } = await de.check.tokens.create('greedy')
    const t0 = performance.now()
    const replies = await Promise.all(Array.from({ length: 60 }, async () => await checked(await fetch(de.checkUrl + '/v1/check', { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: '{"hashes":[]}' }), '/v1/check')))
    const seconds = (performance.now() - t0) / 1000
    const limited = replies.filter(r => r.status === 429)
    const served = replies.filter(r => r.status === 200).length
    assert.equal(served + limited.length, 60)
    assert.ok(limited.length > 0, 'some were limited')
    assert.ok(served <= 20 + Math.ceil(20 * seconds) + 1, `${served} served in ${seconds.toFixed(2)} s: at most the burst of 20 plus 20/s`)
    assert.ok(Number(limited[0].headers.get('retry-after')) >= 1)
    assert.equal(((await limited[0].json()) as { error: { code: string } }).error.code, 'HF_RATE_LIMITED')
    assert.equal((await checkSha(de, tokens.acme, sha256)).matches.length, 1, 'other tokens are not limited')
  })

  it('the kill switch hides and restores an origin\'s matches without restart, and is kept in the config', async () => {
    const off = await runCli(['match', 'disable', 'EOKM', '--dir', members[1].dir])
    assert.equal(off.code, 0, off.stderr)
    assert.deepEqual((await checkSha(de, tokens.acme, sha256)).matches, [])
    const config = JSON.parse(await readFile(nodeDir(members[1].dir).config, 'utf8')) as { match: { disabledOrigins: string[] } }
    assert.deepEqual(config.match.disabledOrigins, ['EOKM'])
    assert.equal(de.match.status().origins.find(o => o.name === 'EOKM')?.enabled, false)
    assert.equal((await checkSha(gb, tokens['gb-host'], sha256)).matches.length, 1, 'only DE switched EOKM off')
    const on = await runCli(['match', 'enable', 'EOKM', '--dir', members[1].dir])
    assert.equal(on.code, 0, on.stderr)
    assert.equal((await checkSha(de, tokens.acme, sha256)).matches.length, 1)
  })

  it('feedback from a hoster at DE reaches only EOKM, which lists it as a dispute', async () => {
    const res = await call<{ feedback: Array<{ id: string, origin: string }> }>(de, tokens.acme, '/v1/feedback', { algorithm: 'sha256', value: sha256, verdict: 'disputed', reason: 'default theme image' })
    assert.equal(res.status, 202, JSON.stringify(res.body))
    assert.deepEqual(res.body.feedback.map(f => f.origin), ['EOKM'])
    assert.ok(await waitFor(async () => await eokm.ctx.store.count('feedback') === 1, 10_000), 'EOKM stored it')
    assert.ok(await waitFor(() => de.reports.outboxDepth() === 0), 'receipted')
    const list = await runCli(['disputes', 'list', '--dir', members[0].dir, '--json'])
    assert.equal(list.code, 0, list.stderr)
    const disputes = JSON.parse(list.stdout) as Array<Record<string, unknown>>
    assert.equal(disputes.length, 1)
    const { id, at, ...rest } = disputes[0]
    assert.equal(id, res.body.feedback[0].id)
    assert.ok(Math.abs(Date.parse(at as string) - Date.now()) < 60_000)
    assert.deepEqual(rest, { verdict: 'disputed', algorithm: 'sha256', value: sha256, ref: `sha256:${sha256}`, reason: 'default theme image', hoster: 'acme', from: 'DE', fromPeerId: members[1].peerId, current: true, decision: null })
    for (const other of [gb, mirror, de]) assert.equal(await other.ctx.store.count('feedback'), 0, 'nobody else holds it')
    assert.equal(gb.reports.inbox.acceptedByKind.get('feedback') ?? 0, 0)
    const bad = await call(de, tokens.acme, '/v1/feedback', { algorithm: 'md5', value: '0'.repeat(32), verdict: 'disputed', reason: 'x' })
    assert.equal(bad.status, 404, 'nobody vouches for it')
  })

  it('the mirror serves checks and refuses to publish', async () => {
    assert.equal((await checkSha(mirror, tokens['eokm-host'], sha256)).matches[0]?.origins[0].name, 'EOKM')
    await assert.rejects(mirror.hashLists.addHashes({ records: [{ algorithm: 'sha256', value: '1'.repeat(64) }] }), (err: unknown) => isHashfedError(err, 'HF_FORBIDDEN'))
    const add = await runCli(['hashes', 'add-images', '--dir', mirrorDir, FIXTURE])
    assert.equal(add.code, 2)
    assert.match(add.stderr, /HF_FORBIDDEN/)
    await assert.rejects(mirror.hashLists.retract(`sha256:${sha256}`, 'false positive'), (err: unknown) => isHashfedError(err, 'HF_FORBIDDEN'))
    assert.equal(mirror.hashLog.head(mirror.ctx.identity.peerId.toString()), undefined, 'the mirror has no log of its own')
  })

  it('a retraction at EOKM stops the match at every node', async () => {
    const retract = await runCli(['hashes', 'retract', `sha256:${sha256}`, '--dir', members[0].dir, '--reason', 'false positive: default theme image'])
    assert.equal(retract.code, 0, retract.stderr)
    const gone = async (): Promise<boolean> => {
      for (const [node, token] of [[eokm, tokens['eokm-host']], [de, tokens.acme], [gb, tokens['gb-host']], [mirror, tokens['eokm-host']]] as const) {
        if ((await checkSha(node, token, sha256)).matches.length > 0) return false
      }
      return true
    }
    assert.ok(await waitFor(gone, 10_000, 100), 'no node matches the retracted hash')
    // the PDQ of the same image is still listed: only the retracted value went
    const res = await call<{ results: CheckResult[] }>(de, tokens.acme, '/v1/check', { hashes: [{ algorithm: 'md5', value: hex(digests(image).md5) }] })
    assert.equal(res.body.results[0].matches.length, 1)
    const disputes = await eokm.check.feedback.list()
    assert.equal(disputes[0].current, false, 'the dispute shows the hash is no longer listed')
  })
})
