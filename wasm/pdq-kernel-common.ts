// AssemblyScript, shared by the PDQ kernel's RGB24 path (pdq-kernel.ts) and its yuv420p
// path (pdq-kernel-yuv.ts): the geometry block's layout and the second box pass.
//
// All memory is laid out by the caller (src/hashing/pdq-wasm.ts); `geometry` points at
// i32 fields, in the order of the G_ constants below.

export const SIDE = 64

export const G_WIDTH = 0
export const G_HEIGHT = 1
export const G_STRIDE = 2
export const G_PACKED = 3
export const G_Y_BEHIND = 4
export const G_Y_AHEAD = 5
export const G_RING = 6
export const G_X_FIRST = 7 // i32[packed] (this and the next three: the JS's axis arrays; boxRow reads G_X_RUNS)
export const G_X_LAST = 8 // i32[packed]
export const G_X_COUNTS = 9 // f64[packed]
export const G_X_INVERSES = 10 // f64[packed]
export const G_X_PACKED_LO = 11 // i32[64]
export const G_X_N = 12 // i32[64]
export const G_X_SAMPLE_INVERSES = 13 // f64[64]
export const G_Y_NEEDED = 14 // u8[height]
export const G_Y_LO = 15 // i32[64]
export const G_Y_N = 16 // i32[64]
export const G_PREFIX = 17 // f64[width + 1]
export const G_ROW_BOXED = 18 // f32[ring * packed]
export const G_SUMS = 19 // f64[packed]
export const G_COLUMN = 20 // f32[packed]
export const G_SAMPLED_ROWS = 21 // f32[height * 64]
export const G_OUT = 22 // f32[64 * 64]
export const G_DATA = 23 // u8[height * stride] (RGB24), or the yuv420p planes
export const G_KIND = 24 // 0: RGB24 rows, 1: yuv420p planes
export const G_YUV_PARAMS = 25 // i32[9]: swscale's cy, C, crv, cgu, cgv, cbu, and the R, G, B index bases
export const G_CHROMA_PLAN = 26 // i32[height]: chroma row * 2 + (1: mean with the next row)
export const G_YUV_ROW = 27 // i32[3 * (width / 2 + 4)]: one row's R, G, B terms per chroma pair
export const G_DCT = 28 // f64[16 * 64]: rows 1..16 of the DCT-II basis (src/hashing/pdq-dct.ts)
export const G_DCT_T = 29 // f64[64 * 16]: the same, transposed
export const G_DCT_ROWS = 30 // f64[16 * 64]: D A
export const G_DCT_OUT = 31 // f64[16 * 16]: D A Dᵀ
// runs of packed columns whose windows step by one and have one length, 32 bytes each: i32
// first packed column, i32 length, i32 first window's start, i32 window length, f64 inverse
// (as G_X_INVERSES), f64 count
export const G_X_RUNS = 32
export const G_X_RUN_COUNT = 33
export const G_X_COL_SCALES = 34 // f32[packed]: 1 / (32768 * the column's first-pass count), the yuv420p path's

@inline export function field (geometry: usize, i: i32): i32 { return load<i32>(geometry + (<usize>i << 2)) }
@inline export function ptr (geometry: usize, i: i32): usize { return <usize>load<i32>(geometry + (<usize>i << 2)) }

/**
 * The second pass along row `column` (first-pass outputs at the packed columns) at the 64
 * sample columns, into `dst`: two samples at a time when their windows are as long and both
 * divide alike (f64x2, each lane the JS's additions from 0 in the same order, then its
 * multiplication or division), else one at a time.
 */
@inline export function sampleRow (column: usize, xPackedLo: usize, xN: usize, xSampleInverses: usize, dst: usize): void {
  for (let j: usize = 0; j < <usize>SIDE; j += 2) {
    const start0 = column + (<usize>load<i32>(xPackedLo + (j << 2)) << 2)
    const start1 = column + (<usize>load<i32>(xPackedLo + (j << 2), 4) << 2)
    const n = load<i32>(xN + (j << 2))
    const inverse = load<f64>(xSampleInverses + (j << 3))
    if (n == load<i32>(xN + (j << 2), 4) && inverse == load<f64>(xSampleInverses + (j << 3), 8)) {
      let s = f64x2.splat(0)
      for (let t: usize = 0, end = <usize>n << 2; t < end; t += 4) {
        s = f64x2.add(s, f64x2.promote_low_f32x4(v128.load32_lane(start1 + t, v128.load32_zero(start0 + t), 1)))
      }
      v128.store64_lane(dst + (j << 2), f32x4.demote_f64x2_zero(inverse != 0 ? f64x2.mul(s, f64x2.splat(inverse)) : f64x2.div(s, f64x2.splat(<f64>n))), 0)
    } else {
      sampleOne(start0, n, inverse, dst + (j << 2))
      sampleOne(start1, load<i32>(xN + (j << 2), 4), load<f64>(xSampleInverses + (j << 3), 8), dst + (j << 2) + 4)
    }
  }
}

/** One sample of sampleRow: its window's `n` values from `at` summed from 0, then the mean. */
function sampleOne (at: usize, n: i32, inverse: f64, dst: usize): void {
  let s: f64 = 0
  for (let c: usize = 0, end = <usize>n << 2; c < end; c += 4) s += <f64>load<f32>(at + c)
  store<f32>(dst, <f32>(inverse != 0 ? s * inverse : s / <f64>n))
}

/** The second pass down the columns at the 64 sample rows, from G_SAMPLED_ROWS into G_OUT. */
export function sampleColumns (geometry: usize): void {
  const sampledRows = ptr(geometry, G_SAMPLED_ROWS)
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
