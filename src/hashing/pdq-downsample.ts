/**
 * PDQ's blur and decimation to 64×64 (the reference's two-pass "Jarosz" tent filter, then the
 * centre sample of each cell), computed in one streaming pass over the luminance rows.
 *
 * The result is bit for bit that of blurring the whole plane twice and sampling it: every
 * running sum sees the same additions and subtractions in the same order, and every value is
 * rounded to single precision where the plane-based filter stores it. What changes is the
 * work: luminance rows are produced on demand into a small ring (no full-size planes, so the
 * data stays in cache), and a first-pass output is divided out only in the columns and rows
 * the sampled second pass reads (about half of each, the windows being half the sample
 * spacing). On a video frame this is most of PDQ's cost.
 */

export const DOWNSAMPLED_SIDE = 64

/**
 * Where the luminance comes from: packed RGB(A) pixels (`step` bytes each, rows `stride`
 * bytes apart), turned into luminance a row at a time, or a ready luminance plane.
 */
export type LumaSource =
  | { kind: 'rgb', data: Uint8Array, stride: number, step: 3 | 4 }
  | { kind: 'plane', luma: Float32Array }

// The reference computes in single precision with these constants.
export const LUMA_R = Math.fround(0.299)
export const LUMA_G = Math.fround(0.587)
export const LUMA_B = Math.fround(0.114)

/** Luminance Y = 0.299 R + 0.587 G + 0.114 B of row `y`, into `out`. */
function lumaRow (source: LumaSource, y: number, width: number, out: Float32Array): void {
  if (source.kind === 'plane') {
    out.set(source.luma.subarray(y * width, (y + 1) * width))
    return
  }
  const data = source.data
  const step = source.step
  for (let x = 0, q = y * source.stride; x < width; x++, q += step) out[x] = LUMA_R * data[q] + LUMA_G * data[q + 1] + LUMA_B * data[q + 2]
}

/** Half of a 64th of the side, rounded up: two passes then span a whole 64th. */
export function jaroszWindow (side: number): number {
  return Math.floor((side + 2 * DOWNSAMPLED_SIDE - 1) / (2 * DOWNSAMPLED_SIDE))
}

/**
 * The reference's window around sample k reaches `behind` samples back and `ahead` samples
 * forward (for even windows one more forward), clipped at the edges, and each output is the
 * mean of the samples actually inside.
 */
function windowReach (side: number): { behind: number, ahead: number } {
  const window = jaroszWindow(side)
  const half = Math.floor((window + 2) / 2)
  return { behind: window - half, ahead: half - 1 }
}

/** Where the second pass samples along one side, and which first-pass outputs it reads. */
export interface Axis {
  /** per sample: first index of its window */
  lo: Int32Array
  /** per sample: the window's length */
  n: Int32Array
  /** per index along the side: 1 when some sample's window covers it */
  needed: Uint8Array
  /** the needed indices, ascending */
  cols: Int32Array
  /** per needed index k: its first-pass window [first, last] clipped at the edges, and its length */
  first: Int32Array
  last: Int32Array
  counts: Float64Array
  /** per needed index: 1/count when count is a power of two (see `exactInverse`), else 0 */
  inverses: Float64Array
  /** per sample: 1/n when its window's length n is a power of two, else 0 */
  sampleInverses: Float64Array
  /** per sample: where its window starts among the needed indices */
  packedLo: Int32Array
  behind: number
  ahead: number
}

/**
 * 1/n when n is a power of two, else 0. Dividing by a power of two and multiplying by its
 * inverse give the same double (both are the exact quotient, rounded once), and a division
 * costs several multiplications: the means of the box filters multiply where this is not 0.
 * (A 480-pixel side has windows of 4.)
 */
function exactInverse (n: number): number {
  return n > 0 && (n & (n - 1)) === 0 ? 1 / n : 0
}

export function axis (side: number): Axis {
  const { behind, ahead } = windowReach(side)
  const lo = new Int32Array(DOWNSAMPLED_SIDE)
  const n = new Int32Array(DOWNSAMPLED_SIDE)
  const needed = new Uint8Array(side)
  for (let i = 0; i < DOWNSAMPLED_SIDE; i++) {
    const centre = Math.floor(((i + 0.5) * side) / DOWNSAMPLED_SIDE)
    const first = Math.max(0, centre - behind)
    const last = Math.min(side - 1, centre + ahead)
    lo[i] = first
    n[i] = last - first + 1
    needed.fill(1, first, last + 1)
  }
  const cols: number[] = []
  const packedAt = new Int32Array(side)
  for (let k = 0; k < side; k++) {
    packedAt[k] = cols.length
    if (needed[k] === 1) cols.push(k)
  }
  const first = Int32Array.from(cols, k => Math.max(0, k - behind))
  const last = Int32Array.from(cols, k => Math.min(side - 1, k + ahead))
  const counts = Float64Array.from(cols, (_, c) => last[c] - first[c] + 1)
  const packedLo = Int32Array.from(lo, k => packedAt[k])
  return { lo, n, needed, cols: Int32Array.from(cols), first, last, counts, inverses: counts.map(exactInverse), sampleInverses: Float64Array.from(n, exactInverse), packedLo, behind, ahead }
}

/** Geometry and buffers for one image size, kept for the next frame of the same size. */
interface Workspace {
  width: number
  height: number
  xa: Axis
  ya: Axis
  line: Float32Array
  run: Float64Array
  /** the last rows' first-pass outputs at the needed columns, by row modulo their count */
  rowBoxed: Float32Array[]
  sums: Float64Array
  column: Float32Array
  sampledRows: Float32Array
}

let cached: Workspace | undefined

function workspace (width: number, height: number): Workspace {
  if (cached?.width === width && cached.height === height) return cached
  const xa = axis(width)
  const ya = axis(height)
  const packed = xa.cols.length
  cached = {
    width,
    height,
    xa,
    ya,
    line: new Float32Array(width),
    run: new Float64Array(width + 1),
    rowBoxed: Array.from({ length: ya.behind + ya.ahead + 2 }, () => new Float32Array(packed)),
    sums: new Float64Array(packed),
    column: new Float32Array(packed),
    sampledRows: new Float32Array(height * DOWNSAMPLED_SIDE)
  }
  return cached
}

/**
 * Box filter along one row with a running sum, in the reference's order (add the sample
 * entering, then drop the one leaving), the sums kept in `run`; then the means at the
 * needed positions only, packed into `dst`.
 */
function boxRowPacked (src: Float32Array, length: number, a: Axis, run: Float64Array, dst: Float32Array): void {
  const { behind, ahead, cols, counts } = a
  let sum = 0
  const first = Math.min(length - 1, ahead)
  for (let x = 0; x <= first; x++) sum += src[x]
  run[0] = sum
  let k = 1
  // nothing leaves the window yet
  for (const end = Math.min(length, behind + 1); k < end; k++) {
    if (k + ahead < length) sum += src[k + ahead]
    run[k] = sum
  }
  // one sample enters and one leaves
  for (const end = length - ahead; k < end; k++) {
    sum += src[k + ahead]
    sum -= src[k - behind - 1]
    run[k] = sum
  }
  // nothing enters any more
  for (; k < length; k++) {
    sum -= src[k - behind - 1]
    run[k] = sum
  }
  for (let c = 0, n = cols.length; c < n; c++) dst[c] = run[cols[c]] / counts[c]
}

/**
 * The same from RGB pixels, luminance and row box in one loop. Every luminance value from
 * 8-bit RGB is 0 or at least 0.114, so as a float32 a multiple of 2^-27, and below 2^8: a
 * row's sums stay below 2^26 (rows up to PREFIX_MAX_WIDTH) and need at most 53 bits, so
 * double-precision sums of them are exact in any order. A prefix sum (one addition per
 * pixel instead of the running sum's two, and no luminance row stored) then gives every
 * window the very sum the running sum reaches.
 */
function boxRgbRowPacked (data: Uint8Array, words: Uint32Array | undefined, start: number, length: number, a: Axis, prefix: Float64Array, dst: Float32Array): void {
  let sum = 0
  prefix[0] = 0
  let x = 1
  let q = start
  const end = start + 3 * length
  if (words !== undefined && (start & 3) === 0) {
    // four pixels (twelve bytes) from three aligned 32-bit loads instead of twelve byte loads
    for (let w = start >> 2, n = w + (length >> 2) * 3; w < n; w += 3, x += 4, q += 12) {
      const w0 = words[w]
      const w1 = words[w + 1]
      const w2 = words[w + 2]
      sum += Math.fround(LUMA_R * (w0 & 255) + LUMA_G * ((w0 >>> 8) & 255) + LUMA_B * ((w0 >>> 16) & 255))
      prefix[x] = sum
      sum += Math.fround(LUMA_R * (w0 >>> 24) + LUMA_G * (w1 & 255) + LUMA_B * ((w1 >>> 8) & 255))
      prefix[x + 1] = sum
      sum += Math.fround(LUMA_R * ((w1 >>> 16) & 255) + LUMA_G * (w1 >>> 24) + LUMA_B * (w2 & 255))
      prefix[x + 2] = sum
      sum += Math.fround(LUMA_R * ((w2 >>> 8) & 255) + LUMA_G * ((w2 >>> 16) & 255) + LUMA_B * (w2 >>> 24))
      prefix[x + 3] = sum
    }
  }
  for (; q < end; x++, q += 3) {
    sum += Math.fround(LUMA_R * data[q] + LUMA_G * data[q + 1] + LUMA_B * data[q + 2])
    prefix[x] = sum
  }
  packWindows(a, prefix, dst)
}

/** Whether a 32-bit word holds its first byte lowest (the word loads above assume so). */
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1

/** `boxRgbRowPacked` for 4 bytes a pixel (RGBA): a copy, so the step is a constant. */
function boxRgbaRowPacked (data: Uint8Array, start: number, length: number, a: Axis, prefix: Float64Array, dst: Float32Array): void {
  let sum = 0
  prefix[0] = 0
  for (let x = 1, q = start, end = start + 4 * length; q < end; x++, q += 4) {
    sum += Math.fround(LUMA_R * data[q] + LUMA_G * data[q + 1] + LUMA_B * data[q + 2])
    prefix[x] = sum
  }
  packWindows(a, prefix, dst)
}

function packWindows (a: Axis, prefix: Float64Array, dst: Float32Array): void {
  const { first, last, counts, inverses } = a
  for (let c = 0, n = counts.length; c < n; c++) {
    const sum = prefix[last[c] + 1] - prefix[first[c]]
    const inverse = inverses[c]
    dst[c] = inverse !== 0 ? sum * inverse : sum / counts[c]
  }
}

/** Widest row whose sums `boxRgbRowPacked` keeps exact: 2^26 / 255, rounded down to a power of 2. */
export const PREFIX_MAX_WIDTH = 1 << 18

/**
 * The 64×64 blurred and decimated image of a `width`×`height` luminance image whose rows
 * `source` holds. A 64×64 image is taken as it is, as in the reference.
 */
export function downsampleTo64 (source: LumaSource, width: number, height: number): Float32Array {
  const out = new Float32Array(DOWNSAMPLED_SIDE * DOWNSAMPLED_SIDE)
  const { xa, ya, line, run, rowBoxed, sums, column, sampledRows } = workspace(width, height)
  if (width === DOWNSAMPLED_SIDE && height === DOWNSAMPLED_SIDE) {
    for (let y = 0; y < height; y++) { lumaRow(source, y, width, line); out.set(line, y * width) }
    return out
  }
  const packed = xa.cols.length
  const exactPrefix = source.kind === 'rgb' && width <= PREFIX_MAX_WIDTH
  // one word view of the whole frame, not one per row
  const words = source.kind === 'rgb' && LITTLE_ENDIAN && (source.data.byteOffset & 3) === 0 ? new Uint32Array(source.data.buffer, source.data.byteOffset, source.data.byteLength >> 2) : undefined
  const ring = rowBoxed.length
  sums.fill(0)
  let lo = 0
  let hi = -1
  for (let k = 0; k < height; k++) {
    const wantHi = Math.min(height - 1, k + ya.ahead)
    while (hi < wantHi) {
      hi++
      const boxed = rowBoxed[hi % ring]
      if (exactPrefix && source.step === 3) boxRgbRowPacked(source.data, words, hi * source.stride, width, xa, run, boxed)
      else if (exactPrefix) boxRgbaRowPacked(source.data, hi * source.stride, width, xa, run, boxed)
      else {
        lumaRow(source, hi, width, line)
        boxRowPacked(line, width, xa, run, boxed)
      }
      if (hi === wantHi && lo < k - ya.behind) {
        // the usual step, one row in and one out: both in one sweep, in the same order
        const leaving = rowBoxed[lo++ % ring]
        for (let c = 0; c < packed; c++) sums[c] = (sums[c] + boxed[c]) - leaving[c]
      } else {
        for (let c = 0; c < packed; c++) sums[c] += boxed[c]
      }
    }
    while (lo < k - ya.behind) {
      const boxed = rowBoxed[lo++ % ring]
      for (let c = 0; c < packed; c++) sums[c] -= boxed[c]
    }
    if (ya.needed[k] !== 1) continue
    const count = hi - lo + 1
    for (let c = 0; c < packed; c++) column[c] = sums[c] / count
    sampleAlongRow(column, xa, sampledRows, k)
  }
  sampleDownColumns(sampledRows, ya, out)
  return out
}

/** The second pass along row `k` (first-pass means at the packed columns), at the 64 sample columns only. */
export function sampleAlongRow (column: Float32Array, xa: Axis, sampledRows: Float32Array, k: number): void {
  const base = k * DOWNSAMPLED_SIDE
  for (let j = 0; j < DOWNSAMPLED_SIDE; j++) {
    const start = xa.packedLo[j]
    const n = xa.n[j]
    let sum = 0
    for (let c = start, end = start + n; c < end; c++) sum += column[c]
    const inverse = xa.sampleInverses[j]
    sampledRows[base + j] = inverse !== 0 ? sum * inverse : sum / n
  }
}

/** The second pass down the columns, at the 64 sample rows, into `out`. */
export function sampleDownColumns (sampledRows: Float32Array, ya: Axis, out: Float32Array): void {
  for (let i = 0; i < DOWNSAMPLED_SIDE; i++) {
    const first = ya.lo[i]
    const n = ya.n[i]
    for (let j = 0; j < DOWNSAMPLED_SIDE; j++) {
      let sum = 0
      for (let y = first, end = first + n; y < end; y++) sum += sampledRows[y * DOWNSAMPLED_SIDE + j]
      out[i * DOWNSAMPLED_SIDE + j] = sum / n
    }
  }
}
