import { type Axis, DOWNSAMPLED_SIDE, LUMA_B, LUMA_G, LUMA_R, axis, jaroszWindow, sampleAlongRow, sampleDownColumns } from './pdq-downsample.js'
import { yuv420pToRgb24 } from './yuv420p.js'

/**
 * PDQ's blur and decimation of a yuv420p video frame, in integers where the float path
 * (`downsampleTo64` on the converted RGB) sums floats: the reference of the WebAssembly
 * kernel's yuv420p path (wasm/pdq-kernel-yuv.ts), which gives this bit for bit
 * (test/unit/pdq-wasm-yuv.test.ts). Integer sums take four SIMD lanes where doubles take two
 * and need no conversions, nor divisions: on a 480x720 frame the kernel's PDQ went from 14.6
 * to 11.5 million instructions (callgrind) and from about 1.4 to 1.0 ms of CPU.
 *
 * What differs from the float path, all well below a hash bit's reach (the sample videos'
 * hashes stay within the acceptance of Meta's; test/unit/video-vpdq.test.ts):
 * - luminance L = floor(N / 2^12), N = (LUMA_R R + LUMA_G G + LUMA_B B) 2^27 exactly (the
 *   single-precision coefficients are multiples of 2^-27): the luminance in units of 2^-15,
 *   truncated, where the float path rounds it to single precision (2^-16 at most);
 * - the first box pass sums L exactly and takes the mean only where the second pass reads
 *   it: f32(f32(f32(V) * f32(1 / (2^15 count_x))) * f32(1 / count_y)), where the float path
 *   rounds the row pass's mean to single precision before the column pass;
 * - the second pass is the float path's own (`sampleAlongRow`, `sampleDownColumns`).
 */

/** The coefficients times 2^27, integers. */
const LR = LUMA_R * 2 ** 27
const LG = LUMA_G * 2 ** 27
const LB = LUMA_B * 2 ** 27
/** L's unit: 2^-15 */
const SCALE = 2 ** 15

/**
 * Whether the first pass's sums stay below 2^32 (the kernel's unsigned 32-bit lanes): the
 * two windows' product times the largest L. True up to 4096x2048 or so; larger frames take
 * the RGB24 path.
 */
export function yuvSumsFit (width: number, height: number): boolean {
  return jaroszWindow(width) * jaroszWindow(height) * 255 * SCALE < 2 ** 32
}

/** Per packed column: f32(1 / (2^15 · its first-pass window's length)). */
export function yuvColumnScales (xa: Axis): Float32Array {
  return Float32Array.from(xa.counts, count => 1 / (SCALE * count))
}

/** The 64×64 image of a yuv420p frame (`yuv420pBytes` long, even width), computed as above. */
export function downsampleYuv420pTo64 (yuv: Uint8Array, width: number, height: number): Float32Array {
  const rgb = yuv420pToRgb24(yuv, width, height)
  const xa = axis(width)
  const ya = axis(height)
  const packed = xa.cols.length
  // the first pass along the rows: exact window sums of L at the packed columns
  const boxed = new Float64Array(height * packed)
  const prefix = new Float64Array(width + 1)
  for (let y = 0; y < height; y++) {
    for (let x = 0, q = y * width * 3; x < width; x++, q += 3) prefix[x + 1] = prefix[x] + Math.floor((LR * rgb[q] + LG * rgb[q + 1] + LB * rgb[q + 2]) / 4096)
    for (let c = 0; c < packed; c++) boxed[y * packed + c] = prefix[xa.last[c] + 1] - prefix[xa.first[c]]
  }
  // the first pass down the columns, and the means, at the rows the second pass reads
  const scales = yuvColumnScales(xa)
  const column = new Float32Array(packed)
  const sampledRows = new Float32Array(height * DOWNSAMPLED_SIDE)
  for (let k = 0; k < height; k++) {
    if (ya.needed[k] !== 1) continue
    const first = Math.max(0, k - ya.behind)
    const last = Math.min(height - 1, k + ya.ahead)
    const rowScale = Math.fround(1 / (last - first + 1))
    for (let c = 0; c < packed; c++) {
      let v = 0
      for (let y = first; y <= last; y++) v += boxed[y * packed + c]
      column[c] = Math.fround(Math.fround(v) * scales[c]) * rowScale
    }
    sampleAlongRow(column, xa, sampledRows, k)
  }
  const out = new Float32Array(DOWNSAMPLED_SIDE * DOWNSAMPLED_SIDE)
  sampleDownColumns(sampledRows, ya, out)
  return out
}
