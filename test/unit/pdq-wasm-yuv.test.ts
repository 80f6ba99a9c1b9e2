import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { readFileSync, readdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { downsampleTo64 } from '../../src/hashing/pdq-downsample.js'
import { dctOfLastWasm, downsampleYuv420pWasm, wasmTakes } from '../../src/hashing/pdq-wasm.js'
import { dct64To16 } from '../../src/hashing/pdq-dct.js'
import { pdqHashRgb, pdqHashYuv420p } from '../../src/hashing/pdq.js'
import { yuv420pBytes, yuv420pToRgb24, yuv420pTakes } from '../../src/hashing/yuv420p.js'
import { downsampleYuv420pTo64, yuvSumsFit } from '../../src/hashing/pdq-yuv-downsample.js'
import { hammingDistance } from '../../src/hashing/hamming.js'
import { decodeVideo } from '../../src/hashing/video/decode-video.js'
import { isPlainYuv420p } from '../../src/hashing/video/probe.js'
import { resolveFfmpeg } from '../../src/hashing/video/ffmpeg-path.js'
import { runFfmpeg } from '../../src/hashing/video/ffmpeg-process.js'

// vPDQ reads the decoder's yuv420p and converts it as FFmpeg's swscale would (yuv420p.ts), in
// the PDQ kernel (wasm/pdq-kernel-yuv.ts), whose blur then sums in integers. The conversion
// must be exact: the JS conversion equals FFmpeg's own RGB24 (area+accurate_rnd) byte for
// byte. The kernel's 64x64 image equals its JS reference (pdq-yuv-downsample.ts) float for
// float, and stays within a few single-precision steps of the float path on the converted
// RGB (downsampleTo64), its hash within a bit or two of that path's (measured below).

const VPDQ = fileURLToPath(new URL('../../../test/fixtures/vpdq/', import.meta.url))
const digest = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex')

/** Largest difference of the kernel's 64x64 image from the float path's, and their hashes' distance, so far. */
const drift = { value: 0, bits: 0, frames: 0, differing: 0 }

function assertKernelSame (yuv: Uint8Array, width: number, height: number, what: string): void {
  const rgb = yuv420pToRgb24(yuv, width, height)
  const js = downsampleYuv420pTo64(yuv, width, height)
  const wasm = downsampleYuv420pWasm(yuv, width, height)
  assert.ok(wasm !== undefined, `${what}: the kernel takes yuv420p ${width}x${height}`)
  assert.ok(Buffer.from(js.buffer).equals(Buffer.from(wasm.buffer)), `${what}: WebAssembly and JS differ`)
  assert.ok(Buffer.from(dct64To16(js).buffer).equals(Buffer.from(dctOfLastWasm().buffer)), `${what}: the kernel's DCT and the JS's differ`)
  const float = downsampleTo64({ kind: 'rgb', data: rgb, stride: width * 3, step: 3 }, width, height)
  for (let i = 0; i < float.length; i++) drift.value = Math.max(drift.value, Math.abs(float[i] - js[i]))
  const mine = pdqHashYuv420p(yuv, width, height)
  const theirs = pdqHashRgb(rgb, width, height)
  // hashes of flat images (quality under 50, as white or black planes) are rounding noise, and vPDQ matching skips them
  if (theirs.quality >= 50) {
    const bits = hammingDistance(mine.hash, theirs.hash)
    drift.bits = Math.max(drift.bits, bits)
    drift.frames++
    if (bits > 0) drift.differing++
  }
  assert.ok(Math.abs(mine.quality - theirs.quality) <= 1, `${what}: quality ${mine.quality} vs ${theirs.quality}`)
}

/** FFmpeg's RGB24 of raw yuv420p planes, converted as decodeVideo asks for it. */
async function ffmpegRgb (yuv: Uint8Array, width: number, height: number): Promise<Uint8Array> {
  const run = await runFfmpeg(resolveFfmpeg(), [
    '-hide_banner', '-nostdin', '-loglevel', 'error', '-f', 'rawvideo', '-pix_fmt', 'yuv420p', '-s', `${width}x${height}`, '-i', 'pipe:0',
    '-vf', `scale=${width}:${height}:flags=area+accurate_rnd,format=rgb24`, '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1'
  ], {
    stdin: yuv,
    deadlineMs: 60_000,
    onStdout: async (stdout) => { for await (const c of stdout as AsyncIterable<Buffer>) chunks.push(c) }
  })
  assert.equal(run.code, 0, run.stderr)
  const out = Buffer.concat(chunks)
  chunks.length = 0
  return out
}
const chunks: Buffer[] = []

test('the yuv420p conversion equals FFmpeg\'s RGB24 on every frame of the three sample videos, and the kernel the JS', async (t) => {
  for (const file of readdirSync(VPDQ).filter(f => f.endsWith('.mp4'))) {
    const bytes = readFileSync(VPDQ + file)
    const rgbDigests: string[] = []
    const rgbDecoded = await decodeVideo(bytes, {}, { frameStep: 1 }, (rgb) => { rgbDigests.push(digest(rgb)) })
    assert.equal(rgbDecoded.format, 'rgb24')
    let frames = 0
    let differing = 0
    const decoded = await decodeVideo(bytes, {}, { frameStep: 1, yuv420p: () => true }, (yuv, n, { width, height, format }) => {
      assert.equal(format, 'yuv420p')
      assert.equal(yuv.length, yuv420pBytes(width, height))
      if (digest(yuv420pToRgb24(yuv, width, height)) !== rgbDigests[n]) differing++
      assertKernelSame(yuv, width, height, `${file} frame ${n}`)
      frames++
    })
    assert.equal(decoded.format, 'yuv420p')
    t.diagnostic(`${file}: ${frames} frames, ${differing} differ from FFmpeg's RGB24 (max difference 0 when none)`)
    assert.equal(frames, rgbDigests.length)
    assert.equal(differing, 0)
  }
  t.diagnostic(`integer blur vs float path: largest difference ${drift.value} in the 64x64 images; hashes of quality >= 50 differ on ${drift.differing} of ${drift.frames} frames, by at most ${drift.bits} bits`)
  assert.ok(drift.value < 1e-3, `64x64 images within 1e-3 of the float path (${drift.value})`)
  assert.ok(drift.bits <= 2, `hashes within 2 bits of the float path's (${drift.bits})`)
  assert.ok(drift.differing <= drift.frames / 20, `hashes equal the float path's on 95% of the frames (${drift.differing} of ${drift.frames} differ)`)
})

test('the yuv420p conversion equals FFmpeg\'s on random planes of even widths and odd and even heights', async (t) => {
  Object.assign(drift, { value: 0, bits: 0, frames: 0, differing: 0 })
  let seed = 11
  const random = (): number => { seed = (seed * 1103515245 + 12345) >>> 0; return seed >>> 24 }
  for (const [width, height] of [[480, 720], [480, 359], [64, 65], [32, 17], [1280, 719], [640, 481], [8, 5], [6, 7], [2, 3], [10, 9], [12, 13], [14, 6], [478, 301], [482, 302], [500, 7], [1920, 1080]]) {
    assert.ok(yuv420pTakes(width, height))
    const yuv = Uint8Array.from({ length: yuv420pBytes(width, height) }, random)
    const mine = yuv420pToRgb24(yuv, width, height)
    const theirs = await ffmpegRgb(yuv, width, height)
    let max = 0
    for (let i = 0; i < mine.length; i++) max = Math.max(max, Math.abs(mine[i] - theirs[i]))
    assert.equal(theirs.length, mine.length)
    assert.equal(max, 0, `${width}x${height}: largest difference ${max}`)
    if (width >= 5 && height >= 5 && !(width === 64 && height === 64)) {
      assertKernelSame(yuv, width, height, `random ${width}x${height}`)
      assertKernelSame(new Uint8Array(yuv.length).fill(255), width, height, `white ${width}x${height}`)
      assertKernelSame(new Uint8Array(yuv.length), width, height, `zero ${width}x${height}`)
    }
  }
  // noise has many coefficients near the median: the hashes' distance is only reported here
  t.diagnostic(`integer blur vs float path on random planes: largest difference ${drift.value}; hashes of quality >= 50 differ on ${drift.differing} of ${drift.frames}, by at most ${drift.bits} bits`)
  assert.ok(drift.value < 1e-3, `64x64 images within 1e-3 of the float path (${drift.value})`)
  assert.equal(yuv420pTakes(481, 360), false, 'odd widths: swscale interpolates chroma across, another path')
  assert.equal(wasmTakes(481, 360, 'yuv420p'), false)
})

test('only plain BT.601 limited-range yuv420p at its own size is read as yuv420p; the rest stays RGB24 from FFmpeg', async () => {
  for (const plain of ['yuv420p', 'yuv420p(tv)', 'yuv420p(tv, smpte170m)', 'yuv420p(tv, bt470bg/bt470bg/smpte170m)', 'yuv420p(progressive)', 'yuv420p(tv, unknown/bt709/bt709)']) assert.equal(isPlainYuv420p(plain), true, plain)
  for (const other of ['yuv420p(tv, bt709)', 'yuv420p(pc)', 'yuvj420p(pc, bt470bg/unknown/unknown)', 'yuv420p10le', 'yuv422p', 'yuv420p(tv, bt709, progressive)', 'yuv420p(tv, top first)', '']) assert.equal(isPlainYuv420p(other), false, other)
  const bytes = readFileSync(`${VPDQ}chair-19-sd-bar.mp4`)
  let seen = ''
  const sized = await decodeVideo(bytes, { maxFrames: 1000 }, { frameStep: 30, size: { width: 128, height: 128 }, yuv420p: () => true }, (rgb, _n, { format }) => { seen = format; assert.equal(rgb.length, 128 * 128 * 3) })
  assert.equal(sized.format, 'rgb24')
  assert.equal(seen, 'rgb24')
  // a selected frame step reads yuv420p through the select filter alone
  const stepped: string[] = []
  const yuvStepped = await decodeVideo(bytes, {}, { frameStep: 30, yuv420p: () => true }, (yuv, n, { width, height }) => { stepped.push(`${n}:${digest(yuv420pToRgb24(yuv, width, height))}`) })
  const rgbStepped: string[] = []
  await decodeVideo(bytes, {}, { frameStep: 30 }, (rgb, n) => { rgbStepped.push(`${n}:${digest(rgb)}`) })
  assert.equal(yuvStepped.format, 'yuv420p')
  assert.deepEqual(stepped, rgbStepped)
})

test('a size the kernel does not take (64x64) is converted in JS and hashed as RGB, also on a worker; a frame it takes hashes alike there', async () => {
  const { FrameHashPool } = await import('../../src/hashing/video/frame-hash-pool.js')
  let seed = 5
  const random = (): number => { seed = (seed * 1103515245 + 12345) >>> 0; return seed >>> 24 }
  const yuv = Uint8Array.from({ length: yuv420pBytes(64, 64) }, random)
  assert.equal(wasmTakes(64, 64, 'yuv420p'), false, 'a 64x64 image is taken as it is, by the JS')
  const expected = pdqHashRgb(yuv420pToRgb24(yuv, 64, 64), 64, 64)
  assert.deepEqual(pdqHashYuv420p(yuv, 64, 64), expected)
  const big = Uint8Array.from({ length: yuv420pBytes(480, 720) }, random)
  const pool = new FrameHashPool(1)
  try {
    assert.deepEqual(await pool.hash(yuv.slice(), 64, 64, 'yuv420p'), expected)
    assert.deepEqual(await pool.hash(big.slice(), 480, 720, 'yuv420p'), pdqHashYuv420p(big, 480, 720))
  } finally {
    await pool.close()
  }
  assert.throws(() => pdqHashYuv420p(new Uint8Array(yuv420pBytes(65, 64)), 65, 64), RangeError, 'odd widths are refused, not hashed wrong')
  // sums past 32 bits: 4096x4096 (windows of 32 both ways) goes to FFmpeg's RGB24 instead
  assert.equal(yuvSumsFit(1920, 1080), true)
  assert.equal(yuvSumsFit(3840, 2160), true)
  assert.equal(yuvSumsFit(4096, 4096), false)
  assert.equal(wasmTakes(4096, 4096, 'yuv420p'), false)
})
