import type { RgbaImage } from './rgba-image.js'
import { PERCEPTUAL_HASH_BYTES } from './constants.js'
import { DOWNSAMPLED_SIDE, LUMA_B, LUMA_G, LUMA_R, downsampleTo64, type LumaSource } from './pdq-downsample.js'
import { downsampleRgb24Wasm, downsampleYuv420pWasm, dctOfLastWasm } from './pdq-wasm.js'
import { DCT_SIDE, dct64To16 } from './pdq-dct.js'
import { yuv420pToRgb24, yuv420pTakes } from './yuv420p.js'
import { downsampleYuv420pTo64, yuvSumsFit } from './pdq-yuv-downsample.js'

/**
 * PDQ, Meta's perceptual image hash, written from the published description
 * (pdqhash-2017-10-09.pdf, facebook/ThreatExchange `pdq/`):
 *
 * 1. luminance Y = 0.299 R + 0.587 G + 0.114 B per pixel;
 * 2. two passes of a row box filter and a column box filter (a "Jarosz" tent filter) whose
 *    window is 1/128 of the side, so the two passes together cover 1/64;
 * 3. decimation to 64×64 by sampling the centre of each of the 64×64 cells;
 * 4. a quality score from the gradients of the 64×64 image;
 * 5. DCT-II of the 64×64 image, keeping the 16×16 lowest non-DC frequencies;
 * 6. bit i*16+j set when coefficient (i, j) is above the median of the 256.
 *
 * The result is written in the reference's bit order (its 16-bit words printed most
 * significant first), so our hex is comparable with hashes made by Meta's tools.
 */
export interface PdqResult {
  /** 32 bytes; `Buffer.from(hash).toString('hex')` is the reference's 64-hex form */
  hash: Uint8Array
  /** 0–100; hashes below ~50 come from flat or featureless images and match poorly */
  quality: number
}

/** Images smaller than this on either side get the all-zero hash with quality 0, as in the reference. */
const MIN_HASHABLE_SIDE = 5

/** PDQ hash and quality of decoded RGBA pixels (alpha is ignored, like the reference). */
export function pdqHash (image: RgbaImage): PdqResult {
  const { width, height, data } = image
  if (width < MIN_HASHABLE_SIDE || height < MIN_HASHABLE_SIDE) return { hash: new Uint8Array(PERCEPTUAL_HASH_BYTES), quality: 0 }
  return pdqFromDct(pdqDctFromRgb(data, width, height, width * 4, 4))
}

/** PDQ of a luminance plane (row-major, `width * height` values in 0–255). */
export function pdqHashFromLuma (luma: Float32Array, width: number, height: number): PdqResult {
  return pdqFromDct(pdqDctFromLuma(luma, width, height))
}

function pdqFromDct (dct: { coefficients: Float64Array, quality: number } | null): PdqResult {
  if (dct === null) return { hash: new Uint8Array(PERCEPTUAL_HASH_BYTES), quality: 0 }
  return { hash: pdqBitsFromDct(dct.coefficients), quality: dct.quality }
}

/**
 * PDQ of packed RGB pixels (3 bytes per pixel, rows `stride` bytes apart), as a video
 * decoder hands them out: the reference vPDQ hashes each decoded RGB24 frame this way.
 */
export function pdqHashRgb (data: Uint8Array, width: number, height: number, stride = width * 3): PdqResult {
  if (width < MIN_HASHABLE_SIDE || height < MIN_HASHABLE_SIDE) return { hash: new Uint8Array(PERCEPTUAL_HASH_BYTES), quality: 0 }
  return pdqFromDct(pdqDctFromRgb(data, width, height, stride, 3))
}

/**
 * PDQ of a yuv420p frame (FFmpeg's raw planes, `yuv420pBytes` long) as of the RGB24 frame
 * FFmpeg's swscale makes of it (yuv420p.ts), the conversion fused with the luminance and the
 * blur, in integers (pdq-yuv-downsample.ts; in the WebAssembly kernel where it runs).
 * Even widths only (`yuv420pTakes`).
 */
export function pdqHashYuv420p (data: Uint8Array, width: number, height: number): PdqResult {
  if (!yuv420pTakes(width, height)) throw new RangeError(`a yuv420p frame of ${width}x${height} is not converted here`)
  if (width < MIN_HASHABLE_SIDE || height < MIN_HASHABLE_SIDE) return { hash: new Uint8Array(PERCEPTUAL_HASH_BYTES), quality: 0 }
  const small = downsampleYuv420pWasm(data, width, height)
  if (small !== undefined) return pdqFromDct({ coefficients: dctOfLastWasm(), quality: qualityOf(small) })
  // the kernel's integer arithmetic in JS where it would take the frame, so a frame hashes the
  // same with or without it; elsewhere (64x64, sums too large for it) as RGB
  if (!(width === DOWNSAMPLED_SIDE && height === DOWNSAMPLED_SIDE) && yuvSumsFit(width, height)) {
    const js = downsampleYuv420pTo64(data, width, height)
    return pdqFromDct({ coefficients: dct64To16(js), quality: qualityOf(js) })
  }
  return pdqHashRgb(yuv420pToRgb24(data, width, height), width, height)
}

/**
 * Luminance plane of packed RGB(A) pixels (the reference's coefficients, single precision):
 * `step` bytes per pixel (3 for RGB, 4 for RGBA), rows `stride` bytes apart.
 */
export function lumaFromRgb (data: Uint8Array, width: number, height: number, stride = width * 3, step = 3): Float32Array {
  const luma = new Float32Array(width * height)
  for (let y = 0, p = 0; y < height; y++) {
    for (let q = y * stride, end = q + width * step; q < end; q += step, p++) {
      luma[p] = LUMA_R * data[q] + LUMA_G * data[q + 1] + LUMA_B * data[q + 2]
    }
  }
  return luma
}

/**
 * The 16×16 kept DCT coefficients (row-major, row i = vertical frequency i+1) and the quality
 * of a luminance plane, or null for an image too small to hash.
 * Exposed so the dihedral variants can be derived from one DCT (pdq-dihedral.ts).
 */
export function pdqDctFromLuma (luma: Float32Array, width: number, height: number): { coefficients: Float64Array, quality: number } | null {
  return pdqDctFromSource({ kind: 'plane', luma }, width, height)
}

/**
 * The same from packed RGB(A) pixels (`step` bytes per pixel, rows `stride` bytes apart),
 * luminance computed row by row as the blur asks for it, never as a whole plane.
 */
export function pdqDctFromRgb (data: Uint8Array, width: number, height: number, stride: number, step: 3 | 4): { coefficients: Float64Array, quality: number } | null {
  return pdqDctFromSource({ kind: 'rgb', data, stride, step }, width, height)
}

function pdqDctFromSource (source: LumaSource, width: number, height: number): { coefficients: Float64Array, quality: number } | null {
  if (width < MIN_HASHABLE_SIDE || height < MIN_HASHABLE_SIDE) return null
  // RGB24 (video frames): the WebAssembly kernel, bit for bit the JS path (pdq-wasm.ts), its DCT too
  const wasm = source.kind === 'rgb' && source.step === 3 ? downsampleRgb24Wasm(source.data, width, height, source.stride) : undefined
  if (wasm !== undefined) return { coefficients: dctOfLastWasm(), quality: qualityOf(wasm) }
  const small = downsampleTo64(source, width, height)
  return { coefficients: dct64To16(small), quality: qualityOf(small) }
}

/**
 * Sum of quantised vertical and horizontal gradients, scaled so that typical photos
 * reach 100; the constants are the reference's hand-tuned ones.
 */
function qualityOf (a: Float32Array): number {
  const n = DOWNSAMPLED_SIDE
  let gradients = 0
  for (let i = 0; i < n - 1; i++) {
    for (let j = 0; j < n; j++) gradients += Math.abs(Math.trunc(((a[i * n + j] - a[(i + 1) * n + j]) * 100) / 255))
  }
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n - 1; j++) gradients += Math.abs(Math.trunc(((a[i * n + j] - a[i * n + j + 1]) * 100) / 255))
  }
  return Math.min(100, Math.floor(gradients / 90))
}

/**
 * Bit i*16+j is set when coefficient (i, j) exceeds the median (the 128th smallest, as the
 * reference's Torben median gives). The reference keeps 16 words of 16 bits, word i holding
 * row i, and prints word 15 first: so row i lands in bytes 30-2i (bits 15..8) and 31-2i (bits 7..0).
 */
export function pdqBitsFromDct (b: Float64Array): Uint8Array {
  const median = Float64Array.from(b).sort()[b.length / 2 - 1]
  const hash = new Uint8Array(PERCEPTUAL_HASH_BYTES)
  for (let i = 0; i < DCT_SIDE; i++) {
    let word = 0
    for (let j = 0; j < DCT_SIDE; j++) {
      if (b[i * DCT_SIDE + j] > median) word |= 1 << j
    }
    hash[30 - 2 * i] = word >>> 8
    hash[31 - 2 * i] = word & 0xff
  }
  return hash
}
