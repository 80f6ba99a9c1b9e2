import { test } from 'node:test'
import assert from 'node:assert/strict'
import { downsampleTo64, LUMA_B, LUMA_G, LUMA_R, type LumaSource } from '../../src/hashing/pdq-downsample.js'

/**
 * PDQ's blur and decimation written plainly, as the reference does it: luminance plane, a
 * box filter along every row then every column (running sums), twice, then the centre
 * sample of each 64th. The streaming version must give these very bits.
 */
function plainDownsample (luma: Float32Array, width: number, height: number): Float32Array {
  const out = new Float32Array(64 * 64)
  if (width === 64 && height === 64) { out.set(luma); return out }
  const reach = (side: number): [number, number] => {
    const window = Math.floor((side + 127) / 128)
    const half = Math.floor((window + 2) / 2)
    return [window - half, half - 1]
  }
  const box = (src: Float32Array, dst: Float32Array, start: number, step: number, length: number, [behind, ahead]: [number, number]): void => {
    let sum = 0
    let lo = 0
    let hi = -1
    for (let k = 0; k < length; k++) {
      while (hi < Math.min(length - 1, k + ahead)) sum += src[start + ++hi * step]
      while (lo < k - behind) sum -= src[start + lo++ * step]
      dst[start + k * step] = sum / (hi - lo + 1)
    }
  }
  const a = Float32Array.from(luma)
  const b = new Float32Array(a.length)
  for (let pass = 0; pass < 2; pass++) {
    for (let y = 0; y < height; y++) box(a, b, y * width, 1, width, reach(width))
    for (let x = 0; x < width; x++) box(b, a, x, width, height, reach(height))
  }
  for (let i = 0; i < 64; i++) {
    for (let j = 0; j < 64; j++) {
      out[i * 64 + j] = a[Math.floor(((i + 0.5) * height) / 64) * width + Math.floor(((j + 0.5) * width) / 64)]
    }
  }
  return out
}

function lumaPlane (data: Uint8Array, width: number, height: number, step: number): Float32Array {
  const luma = new Float32Array(width * height)
  for (let p = 0; p < width * height; p++) luma[p] = LUMA_R * data[p * step] + LUMA_G * data[p * step + 1] + LUMA_B * data[p * step + 2]
  return luma
}

function pixels (width: number, height: number, step: number, kind: 'noise' | 'gradient' | 'white', seed: number): Uint8Array {
  let s = seed >>> 0
  const next = (): number => { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; return s >>> 24 }
  const data = new Uint8Array(width * height * step)
  for (let i = 0; i < data.length; i++) {
    const p = Math.floor(i / step)
    data[i] = kind === 'white' ? 255 : kind === 'noise' ? next() : ((p % width) * 3 + Math.floor(p / width) * 5 + (next() & 15)) & 255
  }
  return data
}

const SIZES: Array<[number, number]> = [[5, 5], [7, 300], [63, 64], [64, 64], [65, 9], [128, 128], [131, 257], [480, 720], [1001, 333], [4096, 5]]

test('the streaming blur and decimation equals the plain two-pass filter bit for bit (RGB, RGBA, unaligned rows, luminance planes)', () => {
  let compared = 0
  for (const [width, height] of SIZES) {
    for (const kind of ['noise', 'gradient', 'white'] as const) {
      for (const step of [3, 4] as const) {
        const data = pixels(width, height, step, kind, width * 7919 + height)
        const expected = plainDownsample(lumaPlane(data, width, height, step), width, height)
        // a frame one byte into its buffer: rows not 4-byte aligned, read byte by byte
        const shifted = new Uint8Array(data.length + 1).subarray(1)
        shifted.set(data)
        const sources: LumaSource[] = [
          { kind: 'rgb', data, stride: width * step, step },
          { kind: 'rgb', data: shifted, stride: width * step, step },
          { kind: 'plane', luma: lumaPlane(data, width, height, step) }
        ]
        for (const source of sources) {
          const got = downsampleTo64(source, width, height)
          for (let i = 0; i < got.length; i++) {
            if (!Object.is(got[i], expected[i])) assert.fail(`${width}x${height} ${kind} step ${step} ${source.kind}: sample ${i} is ${got[i]}, the plain filter gives ${expected[i]}`)
          }
          compared++
        }
      }
    }
  }
  assert.equal(compared, SIZES.length * 3 * 2 * 3)
})

test('the streaming filter keeps no state between images of the same size', () => {
  const a = pixels(480, 720, 3, 'noise', 1)
  const b = pixels(480, 720, 3, 'gradient', 2)
  const first = downsampleTo64({ kind: 'rgb', data: a, stride: 1440, step: 3 }, 480, 720)
  downsampleTo64({ kind: 'rgb', data: b, stride: 1440, step: 3 }, 480, 720)
  assert.deepEqual(downsampleTo64({ kind: 'rgb', data: a, stride: 1440, step: 3 }, 480, 720), first)
})
