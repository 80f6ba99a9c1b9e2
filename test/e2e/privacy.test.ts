import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { readdir, readFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import { createHash, randomBytes } from 'node:crypto'
import { tempDir } from '../helpers/temp-dir.js'
import { CapturedLog, createFederation, startMember, waitFor } from '../helpers/federation.js'
import { runCli } from '../helpers/cli.js'
import { storeHolds } from '../helpers/reports.js'
import { ImageWindows, LEAK_WINDOW } from '../helpers/image-leaks.js'
import { nodeDir } from '../../src/config/node-dir.js'
import { Store } from '../../src/store/store.js'
import type { HashfedNode } from '../../src/daemon/hashfed-node.js'
import { CheckApiSchemas } from '../helpers/check-api-schema.js'

// Videos too: a video is added with `hashes add-files` (the CLI run with its own empty TMPDIR,
// which must stay empty: no temporary file) and checked through `POST /v1/check/video`; no
// 64-byte window of it may appear anywhere either.
// No imagery is ever stored or sent. Real test images are hashed (CLI `hashes add-images` and
// the check API's image upload) and a URL report naming one is forwarded; afterwards no 64-byte
// window of any image is in any file of any node folder (LevelDB .log/.ldb files read byte by
// byte), in any value LevelDB decodes (its .ldb blocks may be snappy-compressed), or in any log
// line or CLI output; and the third node holds nothing of the report.

const running = new Set<HashfedNode>()
after(async () => { for (const n of running) await n.stop() })

async function imageFiles (): Promise<string[]> {
  const out: string[] = []
  for (const dir of ['test/fixtures/pdq', 'test/fixtures/blockhash']) {
    for (const name of await readdir(dir)) if (/\.(jpe?g|png)$/i.test(name)) out.push(resolve(dir, name))
  }
  return out
}

const VIDEO = resolve('test/fixtures/vpdq/chair-19-sd-bar.mp4')

test('after hashing real images and forwarding a report, no image bytes are in any store, value or log, and the third node holds nothing of the report', { timeout: 180_000 }, async () => {
  const files = await imageFiles()
  assert.ok(files.length >= 15)
  const windows = new ImageWindows()
  const imageBytes = new Map<string, Uint8Array>()
  for (const f of files) {
    const b = new Uint8Array(await readFile(f))
    imageBytes.set(f, b)
    windows.add(f, b)
  }
  const video = new Uint8Array(await readFile(VIDEO))
  windows.add(VIDEO, video)
  // the scanner finds what it must: a 64-byte window hidden in noise, not a 63-byte one
  const [firstName, first] = [...imageBytes][0]
  const planted = Buffer.concat([randomBytes(1000), first.subarray(5000, 5000 + LEAK_WINDOW), randomBytes(1000)])
  assert.equal(windows.scan(planted, 'control').length, 1, 'a planted window is found')
  assert.equal(windows.scan(planted, 'control')[0].image, firstName)
  assert.equal(windows.scan(Buffer.concat([randomBytes(1000), first.subarray(5000, 5000 + LEAK_WINDOW - 1), randomBytes(1000)]), 'control').length, 0)

  const root = await tempDir()
  const [nlM, deM, gbM] = await createFederation(root, [{ name: 'EOKM', countries: ['NL'] }, { name: 'DE', countries: ['DE'] }, { name: 'GB', countries: ['GB'] }])
  const logs = new Map<string, CapturedLog>()
  const nodes: HashfedNode[] = []
  for (const m of [nlM, deM, gbM]) {
    const { node, log } = await startMember(m)
    running.add(node)
    logs.set(m.name, log)
    nodes.push(node)
  }
  const [nl, de, gb] = nodes
  assert.ok(await waitFor(() => nodes.every(n => n.members.connectedPeers().length === 2), 20_000))

  // 1. EOKM hashes the images with the CLI (through its running node) and publishes the hashes
  const added = await runCli(['hashes', 'add-images', 'test/fixtures/pdq', 'test/fixtures/blockhash', '--dir', nlM.dir, '--classification', 'baseline', '--keep-low-quality', '--json'])
  assert.equal(added.code, 0, added.stderr)
  const summary = JSON.parse(added.stdout) as { images: number, hashed: number, added: number }
  assert.equal(summary.hashed, files.length)
  assert.ok(summary.added >= files.length * 4, 'SHA-256, SHA-1, MD5, PDQ and blockhash of each')
  const eokm = nlM.peerId
  assert.ok(await waitFor(() => [de, gb].every(n => n.hashLog.head(eokm)?.seq === nl.hashLog.head(eokm)?.seq), 20_000), 'hashes replicated')

  // 1b. a video, hashed by the CLI in memory (FFmpeg over pipes); its TMPDIR stays empty
  const cliTmp = await tempDir()
  const addedVideo = await runCli(['hashes', 'add-files', VIDEO, '--dir', nlM.dir, '--json'], { TMPDIR: cliTmp, TMP: cliTmp, TEMP: cliTmp })
  assert.equal(addedVideo.code, 0, addedVideo.stderr)
  assert.equal((JSON.parse(addedVideo.stdout) as { videos: number }).videos, 1)
  const vpdqText = await runCli(['hash', '--vpdq', VIDEO], { TMPDIR: cliTmp, TMP: cliTmp, TEMP: cliTmp })
  assert.equal(vpdqText.code, 0, vpdqText.stderr)
  assert.deepEqual(await readdir(cliTmp), [], 'the CLI wrote no temporary file')
  assert.ok(await waitFor(() => [de, gb].every(n => n.hashLog.head(eokm)?.seq === nl.hashLog.head(eokm)?.seq), 20_000), 'video entries replicated')

  // 2. a hoster checks images through EOKM's check API: hashed in memory, answered, dropped
  const { token } = await nl.check.tokens.create('hoster-test')
  let matched = 0
  for (const f of files.slice(0, 4)) {
    const res = await fetch(`${nl.checkUrl}/v1/check/image`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': f.endsWith('.png') ? 'image/png' : 'image/jpeg' }, body: new Uint8Array(imageBytes.get(f) as Uint8Array) as Uint8Array<ArrayBuffer> })
    assert.equal(res.status, 200, await res.clone().text())
    const answer: unknown = await res.json()
    CheckApiSchemas.for().check('POST', '/v1/check/image', res.status, answer)
    if (JSON.stringify(answer).includes('"sha256"')) matched++
  }
  assert.ok(matched >= 1, 'the uploaded images match the published hashes')
  const videoCheck = await fetch(`${nl.checkUrl}/v1/check/video`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'video/mp4' }, body: video as Uint8Array<ArrayBuffer> })
  assert.equal(videoCheck.status, 200, await videoCheck.clone().text())
  assert.equal((await videoCheck.json() as { videos: unknown[] }).videos.length, 1, 'the uploaded video matches the published one')

  // 3. DE forwards a URL report naming an image hash to EOKM (hosting in NL)
  const sha = createHash('sha256').update(imageBytes.get(files[0]) as Uint8Array).digest('hex')
  const url = `https://images.example.nl/${randomBytes(6).toString('hex')}/photo.jpg`
  const report = await de.reports.submit({ url, country: 'NL', hoster: 'Example Hosting BV', hashes: [`sha256:${sha}`], note: 'privacy scenario' })
  assert.ok(await waitFor(async () => (await nl.reports.list({ direction: 'inbound' })).some(r => r.id === report.id), 20_000), 'EOKM received the report')

  // 4. stop everything (LevelDB flushes), then read every byte
  for (const n of nodes) { await n.stop(); running.delete(n) }
  let bytes = 0
  let values = 0
  let filesRead = 0
  const leaks = []
  for (const m of [nlM, deM, gbM]) {
    const tree = await windows.scanTree(m.dir)
    bytes += tree.bytes
    filesRead += tree.files
    leaks.push(...tree.leaks)
    assert.ok((await readdir(nodeDir(m.dir).store)).some(n => n.endsWith('.log') || n.endsWith('.ldb')), 'the store has LevelDB files')
    const store = await Store.open(nodeDir(m.dir).store)
    try {
      for await (const [key, value] of store.db.iterator({ keyEncoding: 'buffer', valueEncoding: 'buffer' }) as AsyncIterable<[Buffer, Buffer]>) {
        values++
        bytes += key.length + value.length
        leaks.push(...windows.scan(key, `key of ${m.name}`), ...windows.scan(value, `value of ${m.name}:${key.toString('latin1').slice(0, 60)}`))
      }
    } finally {
      await store.close()
    }
  }
  for (const [name, log] of logs) {
    const text = Buffer.from(log.lines.map(l => JSON.stringify(l)).join('\n'))
    bytes += text.length
    leaks.push(...windows.scan(text, `log of ${name}`))
  }
  for (const out of [added.stdout, added.stderr, addedVideo.stdout, addedVideo.stderr, vpdqText.stdout, vpdqText.stderr]) leaks.push(...windows.scan(Buffer.from(out), 'CLI output'))
  assert.deepEqual(leaks, [], 'no 64-byte window of any image anywhere')
  assert.ok(values > 200, `the stores were read (${values} values)`)

  // 5. the third hotline holds nothing of the report (it does hold the hashes: they are public to members)
  const gbStore = await Store.open(nodeDir(gbM.dir).store)
  try {
    assert.deepEqual(await storeHolds(gbStore, [url, report.id, 'privacy scenario', 'Example Hosting BV']), [])
  } finally {
    await gbStore.close()
  }
  const nlStore = await Store.open(nodeDir(nlM.dir).store)
  try {
    assert.deepEqual((await storeHolds(nlStore, [url, report.id])).sort(), [report.id, url].sort(), 'control: the target does hold it')
  } finally {
    await nlStore.close()
  }
  process.stdout.write(`# privacy: ${files.length} images and 1 video (${windows.chunks} indexed chunks), ${filesRead} files and ${values} LevelDB values, ${bytes} bytes scanned: 0 image windows; GB holds nothing of the report\n`)
})
