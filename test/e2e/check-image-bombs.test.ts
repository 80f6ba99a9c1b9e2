import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { request } from 'node:http'
import { readFileSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createDeflate } from 'node:zlib'
import sharp from 'sharp'
import { initNode } from '../../src/node/init-node.js'
import { nodeDir } from '../../src/config/node-dir.js'
import { runCli, startCliNode } from '../helpers/cli.js'
import { pngBytes } from '../helpers/png-bytes.js'
import { tempDir } from '../helpers/temp-dir.js'
import { waitFor } from '../helpers/federation.js'

const FIXTURES = fileURLToPath(new URL('../../../test/fixtures/', import.meta.url))
const MiB = 2 ** 20

/** A real progressive JPEG, its frame header patched to 10000×10000, cut to 4 KiB (no EOI). */
async function truncatedProgressiveJpeg (): Promise<Buffer> {
  const noise = Buffer.alloc(256 * 256 * 3)
  for (let i = 0; i < noise.length; i++) noise[i] = (i * 2654435761) >>> 24
  const full = await sharp(noise, { raw: { width: 256, height: 256, channels: 3 } }).jpeg({ quality: 90, progressive: true }).toBuffer()
  const sof = full.indexOf(Buffer.from([0xff, 0xc2]))
  assert.ok(sof > 0, 'the encoder wrote a progressive frame header')
  full.writeUInt16BE(10_000, sof + 5) // height
  full.writeUInt16BE(10_000, sof + 7) // width
  return full.subarray(0, 4096)
}

/**
 * A valid 10000×10000 RGBA PNG of one colour: 400 MB of pixels deflated to ~390 KB. The rows
 * are streamed through zlib, so building it costs this test one row of memory.
 */
async function hundredMegapixelPng (): Promise<Buffer> {
  const side = 10_000
  const deflate = createDeflate({ level: 9 })
  const parts: Buffer[] = []
  deflate.on('data', (d: Buffer) => parts.push(d))
  const done = new Promise<void>((resolve, reject) => { deflate.once('end', resolve); deflate.once('error', reject) })
  const row = Buffer.alloc(1 + side * 4) // filter byte 0, then transparent black
  for (let y = 0; y < side; y++) {
    if (!deflate.write(row)) await new Promise(resolve => deflate.once('drain', resolve))
  }
  deflate.end()
  await done
  return pngBytes(side, side, 6, Buffer.concat(parts))
}

interface Answer { status: number, body: { error?: { code: string, message: string, details?: Record<string, unknown> }, image?: { width: number, height: number }, results?: unknown[] } }

/**
 * POSTs an image on its own connection. `sent` resolves when the whole body is on the socket;
 * `answer` when the response is in (rejected after `deadlineMs`: a generous bound, not a measurement).
 */
function upload (url: string, token: string, type: string, body: Buffer, deadlineMs: number): { sent: Promise<void>, answer: Promise<Answer> } {
  let sent!: () => void
  const sentP = new Promise<void>(resolve => { sent = resolve })
  const answer = new Promise<Answer>((resolve, reject) => {
    const req = request(`${url}/v1/check/image`, { method: 'POST', agent: false, headers: { authorization: `Bearer ${token}`, 'content-type': type, 'content-length': body.length } }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (d: Buffer) => chunks.push(d))
      res.on('end', () => { clearTimeout(timer); resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Answer['body'] }) })
    })
    const timer = setTimeout(() => { req.destroy(); reject(new Error(`no answer within ${deadlineMs} ms`)) }, deadlineMs)
    req.on('error', (err) => { clearTimeout(timer); reject(err) })
    req.end(body, () => sent())
  })
  answer.catch(() => {}) // observed by the test where it matters
  return { sent: sentP, answer }
}

/** Peak resident memory of a process so far (Linux /proc). */
async function peakRss (pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8')
  const kb = /VmHWM:\s+(\d+) kB/.exec(status)
  assert.ok(kb !== null, 'VmHWM in /proc/<pid>/status')
  return Number(kb[1]) * 1024
}

test('image bombs from one hoster are refused from their headers, with bounded memory, while another hoster is served', async (t) => {
  const [jpegBomb, pngBomb] = [await truncatedProgressiveJpeg(), await hundredMegapixelPng()]
  assert.equal(jpegBomb.length, 4096)
  assert.ok(pngBomb.length < 500 * 1024, `the 100 MP PNG is ${pngBomb.length} bytes`)
  const honest = readFileSync(join(FIXTURES, 'pdq/bridge-1-original.jpg'))

  // a real node in its own process (so its memory is its own), every port chosen by the OS
  const root = await tempDir()
  const dir = join(root, 'nl')
  await initNode({ dir, name: 'nl', countries: ['NL'], listen: ['/ip4/127.0.0.1/tcp/0'], apiPort: 0, checkPort: 0 })
  const tokenOf = async (name: string): Promise<string> => {
    const res = await runCli(['tokens', 'create', '--dir', dir, '--name', name, '--json'])
    assert.equal(res.code, 0, res.stderr)
    return (JSON.parse(res.stdout) as { token: string }).token
  }
  const attacker = await tokenOf('hoster-a')
  const hoster = await tokenOf('hoster-b')
  const node = startCliNode(dir)
  after(async () => { await node.stop() })
  let checkUrl = ''
  assert.ok(await waitFor(async () => {
    try {
      checkUrl = (JSON.parse(await readFile(nodeDir(dir).runtime, 'utf8')) as { checkUrl?: string }).checkUrl ?? ''
    } catch { /* not written yet */ }
    return checkUrl !== ''
  }, 60_000), `the node started: ${node.output()}`)
  const pid = node.child.pid as number

  // warm up: the hashing worker and its decoders are loaded before the baseline is taken
  const first = await upload(checkUrl, hoster, 'image/jpeg', honest, 60_000).answer
  assert.equal(first.status, 200, JSON.stringify(first.body))
  const baseline = await peakRss(pid)

  // the attack: 20 bombs in parallel from token A, each on its own connection
  const bombs = Array.from({ length: 20 }, (_, i) => i % 2 === 0
    ? upload(checkUrl, attacker, 'image/jpeg', jpegBomb, 180_000)
    : upload(checkUrl, attacker, 'image/png', pngBomb, 180_000))
  await Promise.all(bombs.map(async b => await b.sent))

  // meanwhile token B's ordinary photo is answered, not refused as busy
  const b = await upload(checkUrl, hoster, 'image/jpeg', honest, 60_000).answer
  assert.equal(b.status, 200, `hoster B during the attack: ${JSON.stringify(b.body)}`)
  assert.deepEqual([b.body.image?.width, b.body.image?.height], [first.body.image?.width, first.body.image?.height])
  assert.equal(b.body.results?.length, 5)

  // every bomb is refused with a clear code: from its header, or as beyond token A's share
  const answers = await Promise.all(bombs.map(async x => await x.answer))
  const codes = new Map<string, number>()
  for (const a of answers) {
    assert.ok([400, 413, 429].includes(a.status), `bomb answered ${a.status}: ${JSON.stringify(a.body)}`)
    const code = a.body.error?.code ?? 'none'
    assert.ok(['HF_INVALID_IMAGE', 'HF_TOO_LARGE', 'HF_RATE_LIMITED'].includes(code), `bomb answered ${code}`)
    codes.set(code, (codes.get(code) ?? 0) + 1)
  }
  const byHeader = answers.filter(a => a.body.error?.details?.reason === 'pixels-per-byte')
  assert.ok(byHeader.length >= 2, `bombs refused from their headers: ${JSON.stringify([...codes])}`)
  assert.ok(byHeader.some(a => a.body.error?.details?.format === 'jpeg') && byHeader.some(a => a.body.error?.details?.format === 'png'), 'both kinds are recognised')

  // the node's peak memory hardly moved (before: +1.4 GiB per JPEG bomb, +2.7 GiB per PNG bomb)
  const growth = (await peakRss(pid)) - baseline
  t.diagnostic(`bombs answered ${JSON.stringify([...codes])}; peak RSS +${(growth / MiB).toFixed(1)} MiB`)
  assert.ok(growth < 300 * MiB, `peak RSS grew by ${(growth / MiB).toFixed(0)} MiB under the attack`)

  // and the node still answers normally afterwards
  const later = await upload(checkUrl, attacker, 'image/jpeg', honest, 60_000).answer
  assert.equal(later.status, 200, JSON.stringify(later.body))
})
