import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync, readdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { decodeImage } from '../../src/hashing/decode.js'
import { downsampleTo64 } from '../../src/hashing/pdq-downsample.js'
import { dctOfLastWasm, downsampleRgb24Wasm, wasmTakes } from '../../src/hashing/pdq-wasm.js'
import { dct64To16 } from '../../src/hashing/pdq-dct.js'
import { pdqHashRgb } from '../../src/hashing/pdq.js'
import { decodeVideo } from '../../src/hashing/video/decode-video.js'

// The WebAssembly blur and decimation (wasm/pdq-kernel.ts) must give the JS reference path's
// 64x64 image bit for bit: same bytes of every float, on real frames and on odd geometries;
// and its DCT the JS's 16x16 coefficients, same bytes of every double.

const PDQ = fileURLToPath(new URL('../../../test/fixtures/pdq/', import.meta.url))
const VPDQ = fileURLToPath(new URL('../../../test/fixtures/vpdq/', import.meta.url))

function assertSame (rgb: Uint8Array, width: number, height: number, stride: number, what: string): void {
  const js = downsampleTo64({ kind: 'rgb', data: rgb, stride, step: 3 }, width, height)
  const wasm = downsampleRgb24Wasm(rgb, width, height, stride)
  assert.ok(wasm !== undefined, `${what}: the kernel takes ${width}x${height}`)
  assert.ok(Buffer.from(js.buffer).equals(Buffer.from(wasm.buffer)), `${what}: WebAssembly and JS differ`)
  assert.ok(Buffer.from(dct64To16(js).buffer).equals(Buffer.from(dctOfLastWasm().buffer)), `${what}: the kernel's DCT and the JS's differ`)
}

test('the PDQ WebAssembly kernel is built and loads', () => {
  assert.equal(wasmTakes(480, 720), true, 'dist/wasm/pdq-kernel.wasm missing or not compiled: run npm run build')
  assert.equal(wasmTakes(64, 64), false, 'a 64x64 image is taken as it is, by the JS')
})

test('WebAssembly downsampling equals the JS on every frame of the three sample videos', async (t) => {
  for (const file of readdirSync(VPDQ).filter(f => f.endsWith('.mp4'))) {
    let frames = 0
    await decodeVideo(readFileSync(VPDQ + file), {}, { frameStep: 1 }, (rgb, n, { width, height }) => {
      assertSame(rgb, width, height, width * 3, `${file} frame ${n}`)
      frames++
    })
    t.diagnostic(`${file}: ${frames} frames equal`)
    assert.ok(frames > 30)
  }
})

test('WebAssembly downsampling equals the JS on the PDQ fixtures as RGB24, and on odd sizes and strides', async () => {
  for (const file of readdirSync(PDQ).filter(f => f.endsWith('.jpg'))) {
    const { width, height, data } = await decodeImage(new Uint8Array(readFileSync(PDQ + file)))
    const rgb = new Uint8Array(width * height * 3)
    for (let p = 0; p < width * height; p++) rgb.set(data.subarray(4 * p, 4 * p + 3), 3 * p)
    assertSame(rgb, width, height, width * 3, file)
  }
  let seed = 7
  const random = (): number => { seed = (seed * 1103515245 + 12345) >>> 0; return seed >>> 24 }
  for (const [width, height, pad] of [[5, 5, 0], [64, 65, 0], [65, 64, 1], [1000, 7, 3], [7, 1000, 0], [1920, 1080, 0], [333, 211, 5], [480, 720, 0]]) {
    const stride = width * 3 + pad
    const rgb = Uint8Array.from({ length: stride * height }, random)
    assertSame(rgb, width, height, stride, `random ${width}x${height} stride ${stride}`)
    // and the hash the frame path gives, through the kernel, with the extremes
    assertSame(new Uint8Array(stride * height).fill(255), width, height, stride, `white ${width}x${height}`)
    assertSame(new Uint8Array(stride * height), width, height, stride, `black ${width}x${height}`)
    assert.equal(pdqHashRgb(rgb, width, height, stride).hash.length, 32)
  }
})
