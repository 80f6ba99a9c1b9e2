import { createHash } from 'node:crypto'
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { readFile, writeFile, mkdir, copyFile } from 'node:fs/promises'
import { tempDir } from '../helpers/temp-dir.js'
import { runCli } from '../helpers/cli.js'
import { nodeDir } from '../../src/config/node-dir.js'
import { hashImage } from '../../src/hashing/hash-image.js'
import { Store } from '../../src/store/store.js'
import { initNode } from '../../src/node/init-node.js'

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')
const PNG = 'test/fixtures/blockhash/puffy_white.png'
const JPG = 'test/fixtures/blockhash/clipper_ship.jpg'

test('hash prints every hash of an image, and the exact hashes of any other file (issue 16)', async () => {
  const dir = await tempDir()
  const notImage = join(dir, 'notes.txt')
  await writeFile(notImage, 'not an image')
  const res = await runCli(['hash', '--json', PNG, notImage])
  assert.equal(res.code, 0, res.stderr)
  const rows = JSON.parse(res.stdout) as Array<{ file: string, kind: string, hashes?: Record<string, string>, pdqQuality?: number, error?: { code: string } }>
  const expected = await hashImage(new Uint8Array(await readFile(PNG)))
  assert.deepEqual(rows[0].hashes, Object.fromEntries(expected.records.map(r => [r.algorithm, hex(r.value)])))
  assert.equal(rows[0].pdqQuality, expected.byAlgorithm.pdq.quality)
  assert.equal(rows[1].kind, 'file')
  assert.deepEqual(rows[1].hashes, { sha256: createHash('sha256').update('not an image').digest('hex'), sha1: createHash('sha1').update('not an image').digest('hex'), md5: createHash('md5').update('not an image').digest('hex') })
  // --vpdq on a file that is not a video is a user error
  const notVideo = await runCli(['hash', '--vpdq', notImage])
  assert.equal(notVideo.code, 2)
  assert.match(notVideo.stderr, /not a video/)
  const text = await runCli(['hash', JPG])
  assert.equal(text.code, 0, text.stderr)
  assert.match(text.stdout, /^\s+pdq\s+[0-9a-f]{64}\s+quality \d+$/m)
  assert.match(text.stdout, /^\s+blockhash\s+[0-9a-f]{64}$/m)
})

test('offline: add-images, check by file and by ALG:VALUE, tokens, kill switch, feedback to ourselves', async () => {
  const root = await tempDir()
  const dir = join(root, 'node')
  await initNode({ dir, name: 'EOKM', countries: ['NL'], listen: ['/ip4/127.0.0.1/tcp/0'] })
  const images = join(root, 'images')
  await mkdir(join(images, 'sub'), { recursive: true })
  await copyFile(JPG, join(images, 'a.jpg'))
  await copyFile(PNG, join(images, 'sub', 'b.png'))
  await writeFile(join(images, 'readme.txt'), 'skipped: not an image name')

  const add = await runCli(['hashes', 'add-images', images, '--dir', dir, '--classification', 'national', '--source', 'case-1', '--json'])
  assert.equal(add.code, 0, add.stderr)
  const summary = JSON.parse(add.stdout) as { images: number, hashed: number, added: number, rejected: unknown[] }
  assert.deepEqual([summary.images, summary.hashed, summary.added, summary.rejected.length], [2, 2, 10, 0])

  const jpg = await hashImage(new Uint8Array(await readFile(JPG)))
  const check = await runCli(['check', '--dir', dir, '--json', `md5:${hex(jpg.byAlgorithm.md5.value)}`, PNG, 'sha1:' + '0'.repeat(40)])
  assert.equal(check.code, 0, check.stderr)
  const results = JSON.parse(check.stdout) as Array<{ item: string, algorithm: string, matches: Array<{ distance: number, classification: string, origins: Array<{ name: string, source: string }> }> }>
  assert.equal(results.length, 1 + 5 + 1, 'one result per hash, in argument order')
  assert.equal(results[0].matches[0].origins[0].name, 'EOKM')
  assert.equal(results[0].matches[0].classification, 'national')
  assert.equal(results[0].matches[0].origins[0].source, 'case-1')
  assert.ok(results.slice(1, 6).every(r => r.matches.length === 1 && r.matches[0].distance === 0))
  assert.deepEqual(results[6].matches, [])

  const created = await runCli(['tokens', 'create', '--name', 'acme', '--dir', dir])
  assert.equal(created.code, 0, created.stderr)
  const token = /hfc_[A-Za-z0-9_-]+/.exec(created.stdout)?.[0] ?? ''
  assert.ok(token.length > 40)
  const listed = await runCli(['tokens', 'list', '--dir', dir, '--json'])
  assert.equal(listed.stdout.includes(token), false, 'a token is shown once only')
  assert.deepEqual((JSON.parse(listed.stdout) as Array<{ name: string, revokedAt: string | null }>).map(t => [t.name, t.revokedAt]), [['acme', null]])

  const off = await runCli(['match', 'disable', 'EOKM', '--dir', dir])
  assert.equal(off.code, 0, off.stderr)
  assert.deepEqual((JSON.parse(await readFile(nodeDir(dir).config, 'utf8')) as { match: { disabledOrigins: string[] } }).match.disabledOrigins, ['EOKM'])
  const hidden = JSON.parse((await runCli(['check', '--dir', dir, '--json', `md5:${hex(jpg.byAlgorithm.md5.value)}`])).stdout) as typeof results
  assert.deepEqual(hidden[0].matches, [], 'a disabled origin is not matched, offline either')

  const fb = await runCli(['feedback', '--dir', dir, '--ref', `md5:${hex(jpg.byAlgorithm.md5.value)}`, '--verdict', 'confirmed', '--json'])
  assert.equal(fb.code, 0, fb.stderr)
  assert.equal((JSON.parse(fb.stdout) as Array<{ delivery: string }>)[0].delivery, 'stored', 'we are the origin')
  assert.equal((await runCli(['feedback', '--dir', dir, '--ref', `md5:${hex(jpg.byAlgorithm.md5.value)}`, '--verdict', 'disputed'])).code, 2, 'a dispute needs a reason')
  const disputes = JSON.parse((await runCli(['disputes', 'list', '--dir', dir, '--all', '--json'])).stdout) as Array<{ verdict: string, hoster: string }>
  assert.deepEqual(disputes.map(d => [d.verdict, d.hoster]), [['confirmed', 'analyst:EOKM']])

  const store = await Store.open(nodeDir(dir).store)
  try {
    let audit = ''
    for await (const v of store.sub.audit.values()) audit += Buffer.from(v).toString('utf8') + '\n'
    for (const action of ['hashes.add', 'tokens.create', 'match.disable', 'feedback.send']) assert.ok(audit.includes(`"action":"${action}"`), `audit has ${action}`)
    assert.equal(audit.includes(token), false, 'no token in the audit log')
  } finally {
    await store.close()
  }
})

test('init --mirror-of needs the member\'s federation file and takes no countries', async () => {
  const root = await tempDir()
  const member = join(root, 'eokm')
  assert.equal((await runCli(['init', '--dir', member, '--name', 'EOKM', '--country', 'NL', '--local'])).code, 0)
  const fed = nodeDir(member).federation
  const noFile = await runCli(['init', '--dir', join(root, 'm1'), '--name', 'm1', '--mirror-of', 'EOKM'])
  assert.equal(noFile.code, 2)
  assert.match(noFile.stderr, /HF_INVALID_ARGUMENT/)
  const withCountry = await runCli(['init', '--dir', join(root, 'm2'), '--name', 'm2', '--mirror-of', 'EOKM', '--federation', fed, '--country', 'NL'])
  assert.equal(withCountry.code, 2)
  const unknown = await runCli(['init', '--dir', join(root, 'm3'), '--name', 'm3', '--mirror-of', 'IWF', '--federation', fed])
  assert.equal(unknown.code, 2)
  assert.match(unknown.stderr, /HF_INVALID_FEDERATION/)
  const ok = await runCli(['init', '--dir', join(root, 'm4'), '--name', 'EOKM-m4', '--mirror-of', 'eokm', '--federation', fed, '--local'])
  assert.equal(ok.code, 0, ok.stderr)
  assert.match(ok.stdout, /hashfed federation add --name EOKM-m4 --peer-id 12D3KooW\S+ --mirror-of EOKM/)
  const config = JSON.parse(await readFile(nodeDir(join(root, 'm4')).config, 'utf8')) as { mirrorOf: string, countries: string[] }
  assert.deepEqual([config.mirrorOf, config.countries], ['EOKM', []])
  const add = await runCli(['hashes', 'add-images', JPG, '--dir', join(root, 'm4')])
  assert.equal(add.code, 2, 'a mirror publishes nothing, offline either')
  assert.match(add.stderr, /HF_FORBIDDEN/)
})
