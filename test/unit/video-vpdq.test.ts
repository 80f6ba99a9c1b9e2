import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { fileURLToPath } from 'node:url'
import { hashVideoVpdq, type VpdqFeature } from '../../src/hashing/video/vpdq.js'
import { decodeVideo } from '../../src/hashing/video/decode-video.js'
import { FrameHashPool } from '../../src/hashing/video/frame-hash-pool.js'
import { pdqHashRgb } from '../../src/hashing/pdq.js'
import { formatVpdqText, parseVpdqText, fixed3 } from '../../src/hashing/video/vpdq-text.js'
import { matchVpdqBrute, DEFAULT_VPDQ_RULE, type VpdqMatchRule } from '../../src/hashing/video/vpdq-match.js'
import { needsSeeking } from '../../src/hashing/video/container.js'
import { serveLoopback } from '../../src/hashing/video/loopback.js'
import { exactRate, parseVideoInfo } from '../../src/hashing/video/probe.js'
import { hammingDistance } from '../../src/hashing/hamming.js'
import { resolveFfmpeg } from '../../src/hashing/video/ffmpeg-path.js'
import { ErrorCodes, HashfedError } from '../../src/errors.js'
import { moovLast } from '../helpers/mp4-moov-last.js'

const FIXTURES = fileURLToPath(new URL('../../../test/fixtures/vpdq/', import.meta.url))
const VIDEOS = ['chair-19-sd-bar', 'doorknob-hd-no-bar', 'pattern-sd-grey-bar'] as const
const video = (name: string): Buffer => readFileSync(`${FIXTURES}${name}.mp4`)
const referenceText = (name: string): string => readFileSync(`${FIXTURES}${name}.txt`, 'utf8')

const ours = new Map<string, VpdqFeature[]>()
async function oursOf (name: string): Promise<VpdqFeature[]> {
  let f = ours.get(name)
  if (f === undefined) {
    f = (await hashVideoVpdq(video(name), { secondsPerHash: 0 })).features
    ours.set(name, f)
  }
  return f
}

const isCode = (code: string, reason?: string) => (err: unknown): boolean => {
  assert.ok(err instanceof HashfedError, String(err))
  assert.equal(err.code, code)
  if (reason !== undefined) assert.equal(err.details?.reason, reason)
  return true
}

for (const name of VIDEOS) {
  test(`vPDQ of ${name} at every frame agrees with Meta's reference frames`, async (t) => {
    const reference = parseVpdqText(referenceText(name))
    const features = await oursOf(name)
    assert.equal(features.length, reference.length, 'every decoded frame is hashed')
    let compared = 0
    let close = 0
    let qualityClose = 0
    let worst = 0
    let total = 0
    for (const ref of reference) {
      const mine = features[ref.frameNumber]
      assert.equal(mine.frameNumber, ref.frameNumber)
      if (ref.quality < 50) continue
      compared++
      const d = hammingDistance(mine.hash, ref.hash)
      worst = Math.max(worst, d)
      total += d
      if (d <= 6) close++
      if (Math.abs(mine.quality - ref.quality) <= 5) qualityClose++
    }
    t.diagnostic(`${compared} frames of quality >= 50: ${close} within distance 6 (worst ${worst}, mean ${(total / Math.max(1, compared)).toFixed(3)}), ${qualityClose} with quality within 5`)
    assert.ok(compared > 0)
    assert.ok(close >= 0.95 * compared, `${close}/${compared} within distance 6`)
    assert.ok(qualityClose >= 0.95 * compared, `${qualityClose}/${compared} with quality within 5`)
    // the text form's frame numbers and timestamps are the reference's, character for character
    const columns = (text: string): string[] => text.trim().split('\n').map(l => { const c = l.split(','); return `${c[0]},${c[3]}` })
    assert.deepEqual(columns(formatVpdqText(features)), columns(referenceText(name)))
  })
}

test('secondsPerHash 1 hashes frames 0, 30, 60, ... of a 30 fps video, the same hashes as every-frame hashing', async () => {
  const every = await oursOf('doorknob-hd-no-bar')
  const { features, info, transport } = await hashVideoVpdq(video('doorknob-hd-no-bar'))
  assert.equal(info.fps, 30)
  assert.equal(transport, 'pipe')
  assert.deepEqual(features.map(f => f.frameNumber), [0, 30, 60, 90])
  for (const f of features) assert.deepEqual(f.hash, every[f.frameNumber].hash)
  assert.deepEqual(features.map(f => fixed3(f.timestamp)), ['0.000', '1.000', '2.000', '3.000'])
})

test('hashing on worker threads gives the same frames as hashing on the calling thread', async () => {
  const bytes = video('pattern-sd-grey-bar')
  const inline = await hashVideoVpdq(bytes, { secondsPerHash: 0.2, threads: 0 })
  const pooled = await hashVideoVpdq(bytes, { secondsPerHash: 0.2, threads: 2 })
  assert.equal(inline.features.length, 35)
  assert.deepEqual(pooled.features, inline.features)
})

test('a frame hash pool hands out shared buffers of the size asked for, reused once hashed, and hashes them as the calling thread does', async () => {
  const pool = new FrameHashPool(1)
  try {
    let previous: ArrayBufferLike | undefined
    for (const [width, height] of [[480, 720], [480, 720], [64, 96], [480, 720]]) {
      const frame = pool.buffer(width * height * 3)
      assert.equal(frame.byteLength, width * height * 3)
      assert.ok(frame.buffer instanceof SharedArrayBuffer, 'the worker reads the frame where it was decoded, no copy, no move')
      if (previous?.byteLength === frame.byteLength) assert.equal(frame.buffer, previous, 'a hashed frame\'s buffer is reused')
      for (let i = 0; i < frame.length; i++) frame[i] = (i * 31 + width) & 255
      const inline = pdqHashRgb(frame, width, height)
      const pooled = await pool.hash(frame, width, height)
      assert.deepEqual(pooled, inline)
      previous = frame.buffer
    }
    // a frame in a buffer of its own moves to the worker, and a view into a larger one is copied
    const own = new Uint8Array(64 * 96 * 3).map((_, i) => (i * 7) & 255)
    const inline = pdqHashRgb(own, 64, 96)
    const view = new Uint8Array(own.length + 6)
    view.set(own, 3)
    assert.deepEqual(await pool.hash(view.subarray(3, 3 + own.length), 64, 96), inline)
    assert.equal(view.byteLength, own.length + 6, 'a view is copied, its buffer stays')
    assert.deepEqual(await pool.hash(own, 64, 96), inline)
    assert.equal(own.byteLength, 0, 'a buffer of its own moved to the worker, not copied')
  } finally {
    await pool.close()
  }
})

test("every pair of the sample videos gets the verdict Meta's rule gives on the reference hash files", async (t) => {
  const pytxRule: VpdqMatchRule = { ...DEFAULT_VPDQ_RULE, comparePct: 0, queryPct: 80 }
  const report: string[] = []
  for (const a of VIDEOS) {
    for (const b of VIDEOS) {
      const refA = parseVpdqText(referenceText(a))
      const refB = parseVpdqText(referenceText(b))
      for (const rule of [DEFAULT_VPDQ_RULE, pytxRule]) {
        const expected = matchVpdqBrute(refA, refB, rule)
        const got = matchVpdqBrute(await oursOf(a), await oursOf(b), rule)
        assert.equal(got.match, expected.match, `${a} vs ${b}`)
        // our hashes against the reference's of the same video match too
        if (a === b) assert.ok(matchVpdqBrute(await oursOf(a), refB, rule).match)
        if (rule === DEFAULT_VPDQ_RULE) report.push(`${a}/${b}: ${got.queryPct.toFixed(1)}%/${got.comparePct.toFixed(1)}% (ref ${expected.queryPct.toFixed(1)}%/${expected.comparePct.toFixed(1)}%)`)
      }
    }
  }
  t.diagnostic(report.join('; '))
})

test('an MP4 with its index at the end is decoded through the loopback server, not a pipe', async () => {
  const bytes = video('doorknob-hd-no-bar')
  const moovAtEnd = moovLast(bytes)
  assert.equal(needsSeeking(bytes), false)
  assert.equal(needsSeeking(moovAtEnd), true)
  // a camera QuickTime file without ftyp: wide, mdat, then moov
  const box = (type: string, body = 0): Buffer => { const b = Buffer.alloc(8 + body); b.writeUInt32BE(8 + body); b.write(type, 4, 'latin1'); return b }
  assert.equal(needsSeeking(Buffer.concat([box('wide'), box('mdat', 16), box('moov', 8)])), true)
  assert.equal(needsSeeking(Buffer.concat([box('wide'), box('moov', 8), box('mdat', 16)])), false)
  assert.equal(needsSeeking(Buffer.from('\x1aE\xdf\xa3 matroska', 'latin1')), false)
  const viaHttp = await hashVideoVpdq(moovAtEnd, { secondsPerHash: 0.5 })
  assert.equal(viaHttp.transport, 'http')
  const viaPipe = await hashVideoVpdq(bytes, { secondsPerHash: 0.5 })
  assert.deepEqual(viaHttp.features, viaPipe.features)
  // the reason for the server: from a pipe, FFmpeg cannot reach the index
  await assert.rejects(hashVideoVpdq(moovAtEnd, { transport: 'pipe' }), isCode(ErrorCodes.INVALID_VIDEO))
})

test('the loopback server answers only its secret path, with byte ranges', async () => {
  const bytes = new Uint8Array(1000).map((_, i) => i & 0xff)
  const source = await serveLoopback(bytes)
  try {
    const wrong = await fetch(new URL('/other', source.url))
    assert.equal(wrong.status, 404)
    const part = await fetch(source.url, { headers: { Range: 'bytes=990-' } })
    assert.equal(part.status, 206)
    assert.equal(part.headers.get('content-range'), 'bytes 990-999/1000')
    assert.deepEqual(new Uint8Array(await part.arrayBuffer()), bytes.subarray(990))
    assert.equal((await fetch(source.url, { headers: { Range: 'bytes=1000-' } })).status, 416)
  } finally {
    await source.close()
  }
})

test('a playlist naming a local file or another URL is refused and nothing else is opened', async () => {
  let contacted = 0
  const bait = createServer((_req, res) => { contacted++; res.end('x') })
  await new Promise<void>(resolve => bait.listen(0, '127.0.0.1', resolve))
  const port = (bait.address() as AddressInfo).port
  try {
    for (const target of ['file:///etc/passwd', `http://127.0.0.1:${port}/segment.ts`]) {
      const playlist = Buffer.from(`#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXTINF:1,\n${target}\n#EXT-X-ENDLIST\n`)
      await assert.rejects(hashVideoVpdq(playlist), isCode(ErrorCodes.INVALID_VIDEO))
      // also when it is served over the loopback transport, where http is an allowed protocol
      await assert.rejects(hashVideoVpdq(playlist, { transport: 'http' }), isCode(ErrorCodes.INVALID_VIDEO))
    }
    assert.equal(contacted, 0)
  } finally {
    bait.close()
  }
})

test('decode bounds: bytes, frames, frame size, duration, deadline and abort', async () => {
  const bytes = video('doorknob-hd-no-bar')
  await assert.rejects(hashVideoVpdq(bytes, { maxBytes: 1000 }), isCode(ErrorCodes.TOO_LARGE))
  await assert.rejects(hashVideoVpdq(bytes, { secondsPerHash: 0, maxFrames: 10 }), isCode(ErrorCodes.INVALID_VIDEO, 'frames'))
  await assert.rejects(hashVideoVpdq(bytes, { maxFramePixels: 640 * 480 }), isCode(ErrorCodes.INVALID_VIDEO, 'pixels'))
  await assert.rejects(hashVideoVpdq(bytes, { maxSeconds: 2 }), isCode(ErrorCodes.INVALID_VIDEO, 'duration'))
  // 1 ms cannot cover starting FFmpeg, let alone decoding 120 HD frames
  await assert.rejects(hashVideoVpdq(bytes, { secondsPerHash: 0, deadlineMs: 1 }), isCode(ErrorCodes.INVALID_VIDEO, 'deadline'))
  const controller = new AbortController()
  let seen = 0
  await assert.rejects(decodeVideo(bytes, { signal: controller.signal }, { frameStep: 1 }, () => {
    seen++
    controller.abort(new Error('stop'))
  }), /stop/)
  // the rejection comes after FFmpeg exited; it was killed, not left to decode the rest
  assert.ok(seen < 120, `${seen} frames handed out after the abort`)
  await assert.rejects(hashVideoVpdq(Buffer.from('not a video at all')), isCode(ErrorCodes.INVALID_VIDEO))
})

test('a configured ffmpeg path is used when it runs, refused with its own code when it does not', async () => {
  const shipped = resolveFfmpeg()
  assert.equal(resolveFfmpeg(shipped), shipped)
  const { features } = await hashVideoVpdq(video('doorknob-hd-no-bar'), { ffmpegPath: shipped })
  assert.equal(features.length, 4)
  await assert.rejects(hashVideoVpdq(video('doorknob-hd-no-bar'), { ffmpegPath: '/nonexistent/ffmpeg' }), isCode(ErrorCodes.VIDEO_DECODER_UNAVAILABLE))
  assert.throws(() => resolveFfmpeg(FIXTURES + 'SOURCES.md'), isCode(ErrorCodes.VIDEO_DECODER_UNAVAILABLE))
})

test('vPDQ text form: parse and print round trip, printf rounding and bad lines', () => {
  const text = referenceText('pattern-sd-grey-bar')
  assert.equal(formatVpdqText(parseVpdqText(text)), text)
  assert.equal(fixed3(Math.fround(1 / 16)), '0.062') // a tie: glibc rounds to even
  assert.equal(fixed3(Math.fround(3 / 16)), '0.188')
  assert.equal(fixed3(Math.fround(563 / 30)), '18.767')
  assert.throws(() => parseVpdqText('0,100,zz,0.000'), isCode(ErrorCodes.INVALID_FORMAT))
  assert.throws(() => parseVpdqText('0,101,' + 'a'.repeat(64) + ',0.000'), isCode(ErrorCodes.INVALID_FORMAT))
})

test('stream description parsing: exact NTSC rates, forged lines in metadata ignored', () => {
  assert.equal(exactRate(29.97), 30000 / 1001)
  assert.equal(exactRate(23.98), 24000 / 1001)
  assert.equal(exactRate(25), 25)
  const stderr = [
    "Input #0, mov,mp4,m4a,3gp,3g2,mj2, from 'pipe:0':",
    '  Metadata:',
    '    title           : x',
    '                    : Stream #0:9: Video: h264, yuv420p, 10x10, 1 fps',
    '  Duration: 00:01:02.50, start: 0.000000, bitrate: 900 kb/s',
    '    Stream #0:0(und): Video: h264 (Main) (avc1 / 0x31637661), yuv420p(tv, bt709), 640x360 [SAR 1:1 DAR 16:9], 827 kb/s, 29.97 fps, 29.97 tbr, 30k tbn, 59.94 tbc (default)'
  ].join('\n')
  const info = parseVideoInfo(stderr)
  assert.deepEqual([info.width, info.height, info.fps, info.durationSeconds], [640, 360, 30000 / 1001, 62.5])
})
