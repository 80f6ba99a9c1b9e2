// AssemblyScript: PDQ's blur and decimation of a packed RGB24 frame to 64x64, compiled to
// WebAssembly at `npm run build` (asc, see package.json) into dist/wasm/pdq-kernel.wasm.
// It is src/hashing/pdq-downsample.ts's `downsampleTo64` for RGB rows (the prefix-sum path),
// operation for operation: the same double-precision sums in the same order, every value
// rounded to single precision where the JS stores it in a Float32Array, so the output is
// bit for bit the same (test/unit/pdq-wasm.test.ts). The JS stays the reference.
//
// SIMD (f64x2) runs the column loops two columns at a time; each lane does the JS operations.
//
// All memory is laid out by the caller (src/hashing/pdq-wasm.ts); `geometry` points at
// i32 fields, in the order of the G_ constants below.

const SIDE = 64
const LUMA_R: f64 = <f64><f32>0.299
const LUMA_G: f64 = <f64><f32>0.587
const LUMA_B: f64 = <f64><f32>0.114

const G_WIDTH = 0
const G_HEIGHT = 1
const G_STRIDE = 2
const G_PACKED = 3
const G_Y_BEHIND = 4
const G_Y_AHEAD = 5
const G_RING = 6
const G_X_FIRST = 7 // i32[packed]
const G_X_LAST = 8 // i32[packed]
const G_X_COUNTS = 9 // f64[packed]
const G_X_INVERSES = 10 // f64[packed]
const G_X_PACKED_LO = 11 // i32[64]
const G_X_N = 12 // i32[64]
const G_X_SAMPLE_INVERSES = 13 // f64[64]
const G_Y_NEEDED = 14 // u8[height]
const G_Y_LO = 15 // i32[64]
const G_Y_N = 16 // i32[64]
const G_PREFIX = 17 // f64[width + 1]
const G_ROW_BOXED = 18 // f32[ring * packed]
const G_SUMS = 19 // f64[packed]
const G_COLUMN = 20 // f32[packed]
const G_SAMPLED_ROWS = 21 // f32[height * 64]
const G_OUT = 22 // f32[64 * 64]
const G_DATA = 23 // u8[height * stride] (RGB24), or the yuv420p planes
const G_KIND = 24 // 0: RGB24 rows, 1: yuv420p planes
const G_YUV_CLIP = 25 // u8[1024]: the clip table (src/hashing/yuv420p.ts ytab)
const G_YUV_OFFSETS = 26 // i32[4 * 256]: rV, gU, gV, bU chroma offsets into the clip table
const G_CHROMA_PLAN = 27 // i32[height]: chroma row * 2 + (1: mean with the next row)

// LUMA_x * v for every byte v: each product is exact in double precision (a 24-bit
// significand times 8 bits), so a table entry is the very product the JS multiplies out
const TABLES: usize = memory.data(3 * 256 * 8)
let tablesReady = false

function fillTables (): void {
  for (let v = 0; v < 256; v++) {
    store<f64>(TABLES + (<usize>v << 3), LUMA_R * <f64>v)
    store<f64>(TABLES + 2048 + (<usize>v << 3), LUMA_G * <f64>v)
    store<f64>(TABLES + 4096 + (<usize>v << 3), LUMA_B * <f64>v)
  }
  tablesReady = true
}

@inline function field (geometry: usize, i: i32): i32 { return load<i32>(geometry + (<usize>i << 2)) }
@inline function ptr (geometry: usize, i: i32): usize { return <usize>load<i32>(geometry + (<usize>i << 2)) }

/** Luminance prefix sums of RGB24 row `y`. */
function prefixRgb (geometry: usize, y: i32, prefix: usize): void {
  const width = field(geometry, G_WIDTH)
  let sum: f64 = 0
  store<f64>(prefix, 0)
  let q = ptr(geometry, G_DATA) + <usize>y * <usize>field(geometry, G_STRIDE)
  for (let x = 1; x <= width; x++, q += 3) {
    const luma = <f32>(load<f64>(TABLES + (<usize>load<u8>(q) << 3)) + load<f64>(TABLES + 2048 + (<usize>load<u8>(q, 1) << 3)) + load<f64>(TABLES + 4096 + (<usize>load<u8>(q, 2) << 3)))
    sum += <f64>luma
    store<f64>(prefix + (<usize>x << 3), sum)
  }
}

/**
 * Luminance prefix sums of row `y` of a yuv420p frame, converted to RGB as swscale does
 * (src/hashing/yuv420p.ts, even widths): each pixel's R, G, B are clip-table entries at
 * Y + a chroma offset, then the RGB path's own luminance; the RGB row itself is never stored.
 */
function prefixYuv (geometry: usize, y: i32, prefix: usize): void {
  const width = field(geometry, G_WIDTH)
  const height = field(geometry, G_HEIGHT)
  const cw = <usize>(width >> 1)
  const data = ptr(geometry, G_DATA)
  const plan = load<i32>(ptr(geometry, G_CHROMA_PLAN) + (<usize>y << 2))
  const uRow = data + <usize>width * <usize>height + <usize>(plan >> 1) * cw
  const vRow = uRow + cw * <usize>((height + 1) >> 1)
  store<f64>(prefix, 0)
  if ((plan & 1) == 1) yuvPairs(geometry, data + <usize>y * <usize>width, uRow, vRow, cw, cw, prefix)
  else yuvPairs(geometry, data + <usize>y * <usize>width, uRow, vRow, 0, cw, prefix)
}

/** R, G, B of a pixel from its luma and the pair's chroma offsets, then its luminance. */
@inline function lumaOf (clip: usize, l: i32, r: i32, g: i32, b: i32): f32 {
  return <f32>(load<f64>(TABLES + (<usize>load<u8>(clip + <usize>(l + r)) << 3)) + load<f64>(TABLES + 2048 + (<usize>load<u8>(clip + <usize>(l + g)) << 3)) + load<f64>(TABLES + 4096 + (<usize>load<u8>(clip + <usize>(l + b)) << 3)))
}

/** Prefix sums over the row's pixel pairs; `next` 0 takes one chroma row, else the rounded mean with the next. */
@inline function yuvPairs (geometry: usize, l: usize, uRow: usize, vRow: usize, next: usize, cw: usize, prefix: usize): void {
  const clip = ptr(geometry, G_YUV_CLIP)
  const rV = ptr(geometry, G_YUV_OFFSETS)
  const gU = rV + 1024
  const gV = rV + 2048
  const bU = rV + 3072
  let at = prefix
  let sum: f64 = 0
  for (let i: usize = 0; i < cw; i++) {
    let u = <u32>load<u8>(uRow + i)
    let v = <u32>load<u8>(vRow + i)
    if (next != 0) {
      u = (u + <u32>load<u8>(uRow + next + i) + 1) >> 1
      v = (v + <u32>load<u8>(vRow + next + i) + 1) >> 1
    }
    const r = load<i32>(rV + (<usize>v << 2))
    const g = load<i32>(gU + (<usize>u << 2)) + load<i32>(gV + (<usize>v << 2))
    const b = load<i32>(bU + (<usize>u << 2))
    sum += <f64>lumaOf(clip, <i32>load<u8>(l), r, g, b)
    store<f64>(at, sum, 8)
    sum += <f64>lumaOf(clip, <i32>load<u8>(l, 1), r, g, b)
    store<f64>(at, sum, 16)
    at += 16
    l += 2
  }
}

/** boxRgbRowPacked: luminance, exact prefix sums, then the means at the needed columns. */
function boxRow (geometry: usize, y: i32, dst: usize): void {
  const prefix = ptr(geometry, G_PREFIX)
  if (field(geometry, G_KIND) == 1) prefixYuv(geometry, y, prefix)
  else prefixRgb(geometry, y, prefix)
  const first = ptr(geometry, G_X_FIRST)
  const last = ptr(geometry, G_X_LAST)
  const counts = ptr(geometry, G_X_COUNTS)
  const inverses = ptr(geometry, G_X_INVERSES)
  const packed = field(geometry, G_PACKED)
  for (let c = 0; c < packed; c++) {
    const ci = <usize>c << 2
    const cd = <usize>c << 3
    const s = load<f64>(prefix + (<usize>(load<i32>(last + ci) + 1) << 3)) - load<f64>(prefix + (<usize>load<i32>(first + ci) << 3))
    const inverse = load<f64>(inverses + cd)
    store<f32>(dst + ci, <f32>(inverse != 0 ? s * inverse : s / load<f64>(counts + cd)))
  }
}

/** downsampleTo64 for RGB24 rows (G_KIND 0) or yuv420p planes (1); the 64x64 result lands at G_OUT. */
export function downsampleFrame (geometry: usize): void {
  const width = field(geometry, G_WIDTH)
  const height = field(geometry, G_HEIGHT)
  const packed = field(geometry, G_PACKED)
  const yBehind = field(geometry, G_Y_BEHIND)
  const yAhead = field(geometry, G_Y_AHEAD)
  const ring = field(geometry, G_RING)
  const rowBoxed = ptr(geometry, G_ROW_BOXED)
  const sums = ptr(geometry, G_SUMS)
  const column = ptr(geometry, G_COLUMN)
  const yNeeded = ptr(geometry, G_Y_NEEDED)
  const xPackedLo = ptr(geometry, G_X_PACKED_LO)
  const xN = ptr(geometry, G_X_N)
  const xSampleInverses = ptr(geometry, G_X_SAMPLE_INVERSES)
  const sampledRows = ptr(geometry, G_SAMPLED_ROWS)
  const rowBytes = <usize>packed << 2
  if (!tablesReady) fillTables()
  memory.fill(sums, 0, <usize>packed << 3)
  // the column loops two columns at a time (f64x2, each lane the JS's own operations), the
  // odd last column alone
  const pairs = packed & ~1
  let lo = 0
  let hi = -1
  for (let k = 0; k < height; k++) {
    const wantHi = min(height - 1, k + yAhead)
    while (hi < wantHi) {
      hi++
      const boxed = rowBoxed + <usize>(hi % ring) * rowBytes
      boxRow(geometry, hi, boxed)
      if (hi == wantHi && lo < k - yBehind) {
        // one row in and one out, in the same order as the JS
        const leaving = rowBoxed + <usize>(lo % ring) * rowBytes
        lo++
        for (let c = 0; c < pairs; c += 2) {
          const s = sums + (<usize>c << 3)
          const b = f64x2.promote_low_f32x4(v128.load64_zero(boxed + (<usize>c << 2)))
          const l = f64x2.promote_low_f32x4(v128.load64_zero(leaving + (<usize>c << 2)))
          v128.store(s, f64x2.sub(f64x2.add(v128.load(s), b), l))
        }
        for (let c = pairs; c < packed; c++) {
          const s = sums + (<usize>c << 3)
          store<f64>(s, (load<f64>(s) + <f64>load<f32>(boxed + (<usize>c << 2))) - <f64>load<f32>(leaving + (<usize>c << 2)))
        }
      } else {
        for (let c = 0; c < pairs; c += 2) {
          const s = sums + (<usize>c << 3)
          v128.store(s, f64x2.add(v128.load(s), f64x2.promote_low_f32x4(v128.load64_zero(boxed + (<usize>c << 2)))))
        }
        for (let c = pairs; c < packed; c++) {
          const s = sums + (<usize>c << 3)
          store<f64>(s, load<f64>(s) + <f64>load<f32>(boxed + (<usize>c << 2)))
        }
      }
    }
    while (lo < k - yBehind) {
      const boxed = rowBoxed + <usize>(lo % ring) * rowBytes
      lo++
      for (let c = 0; c < packed; c++) {
        const s = sums + (<usize>c << 3)
        store<f64>(s, load<f64>(s) - <f64>load<f32>(boxed + (<usize>c << 2)))
      }
    }
    if (load<u8>(yNeeded + <usize>k) != 1) continue
    const count = <f64>(hi - lo + 1)
    const counts = f64x2.splat(count)
    for (let c = 0; c < pairs; c += 2) v128.store64_lane(column + (<usize>c << 2), f32x4.demote_f64x2_zero(f64x2.div(v128.load(sums + (<usize>c << 3)), counts)), 0)
    for (let c = pairs; c < packed; c++) store<f32>(column + (<usize>c << 2), <f32>(load<f64>(sums + (<usize>c << 3)) / count))
    const base = sampledRows + (<usize>k * SIDE << 2)
    for (let j = 0; j < SIDE; j++) {
      const start = load<i32>(xPackedLo + (<usize>j << 2))
      const n = load<i32>(xN + (<usize>j << 2))
      let s: f64 = 0
      for (let c = start, end = start + n; c < end; c++) s += <f64>load<f32>(column + (<usize>c << 2))
      const inverse = load<f64>(xSampleInverses + (<usize>j << 3))
      store<f32>(base + (<usize>j << 2), <f32>(inverse != 0 ? s * inverse : s / <f64>n))
    }
  }
  const yLo = ptr(geometry, G_Y_LO)
  const yN = ptr(geometry, G_Y_N)
  const out = ptr(geometry, G_OUT)
  for (let i = 0; i < SIDE; i++) {
    const first = load<i32>(yLo + (<usize>i << 2))
    const n = load<i32>(yN + (<usize>i << 2))
    for (let j = 0; j < SIDE; j++) {
      let s: f64 = 0
      for (let y = first, end = first + n; y < end; y++) s += <f64>load<f32>(sampledRows + ((<usize>y * SIDE + <usize>j) << 2))
      store<f32>(out + ((<usize>i * SIDE + <usize>j) << 2), <f32>(s / <f64>n))
    }
  }
}

/** Where the caller's memory may start (after this module's own static data). */
export const HEAP_BASE: usize = __heap_base
