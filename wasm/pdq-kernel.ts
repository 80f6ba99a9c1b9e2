// AssemblyScript: PDQ's blur and decimation of a packed RGB24 frame to 64x64, compiled to
// WebAssembly at `npm run build` (asc, see package.json) into dist/wasm/pdq-kernel.wasm.
// It is src/hashing/pdq-downsample.ts's `downsampleTo64` for RGB rows (the prefix-sum path),
// operation for operation: the same double-precision sums in the same order, every value
// rounded to single precision where the JS stores it in a Float32Array, so the output is
// bit for bit the same (test/unit/pdq-wasm.test.ts). The JS stays the reference.
//
// SIMD (f64x2) runs the column loops two columns at a time; each lane does the JS operations.
// yuv420p frames take another path, in integers (pdq-kernel-yuv.ts).
//
// All memory is laid out by the caller (src/hashing/pdq-wasm.ts); `geometry` points at
// i32 fields, in the order of the G_ constants (pdq-kernel-common.ts).

import { G_COLUMN, G_DATA, G_DCT, G_DCT_OUT, G_DCT_ROWS, G_DCT_T, G_HEIGHT, G_KIND, G_OUT, G_PACKED, G_PREFIX, G_RING, G_ROW_BOXED, G_SAMPLED_ROWS, G_STRIDE, G_SUMS, G_WIDTH, G_X_N, G_X_PACKED_LO, G_X_RUNS, G_X_RUN_COUNT, G_X_SAMPLE_INVERSES, G_Y_AHEAD, G_Y_BEHIND, G_Y_NEEDED, SIDE, field, ptr, sampleColumns, sampleRow } from './pdq-kernel-common'
import { downsampleYuvFrame } from './pdq-kernel-yuv'

const LUMA_R: f64 = <f64><f32>0.299
const LUMA_G: f64 = <f64><f32>0.587
const LUMA_B: f64 = <f64><f32>0.114


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
 * boxRgbRowPacked: luminance, exact prefix sums, then the means at the needed columns. The
 * needed columns come in runs of neighbours (a sample's window) whose windows' starts and
 * ends step by one: two columns at a time there (f64x2, each lane packWindows' own
 * subtraction, then multiplication or division, then rounding to single precision).
 */
function boxRow (geometry: usize, y: i32, dst: usize): void {
  const prefix = ptr(geometry, G_PREFIX)
  prefixRgb(geometry, y, prefix)
  const runs = ptr(geometry, G_X_RUNS)
  const runCount = field(geometry, G_X_RUN_COUNT)
  for (let r = 0; r < runCount; r++) {
    const run = runs + (<usize>r << 5)
    const out = dst + (<usize>load<i32>(run) << 2)
    const length = <usize>load<i32>(run, 4)
    const lo = prefix + (<usize>load<i32>(run, 8) << 3)
    const hi = lo + (<usize>load<i32>(run, 12) << 3)
    const inverse = load<f64>(run, 16)
    const count = load<f64>(run, 24)
    const pairs = length & ~1
    if (inverse != 0) {
      const m = f64x2.splat(inverse)
      for (let i: usize = 0; i < pairs; i += 2) {
        v128.store64_lane(out + (i << 2), f32x4.demote_f64x2_zero(f64x2.mul(f64x2.sub(v128.load(hi + (i << 3)), v128.load(lo + (i << 3))), m)), 0)
      }
    } else {
      const d = f64x2.splat(count)
      for (let i: usize = 0; i < pairs; i += 2) {
        v128.store64_lane(out + (i << 2), f32x4.demote_f64x2_zero(f64x2.div(f64x2.sub(v128.load(hi + (i << 3)), v128.load(lo + (i << 3))), d)), 0)
      }
    }
    if (pairs < length) {
      const s = load<f64>(hi + (pairs << 3)) - load<f64>(lo + (pairs << 3))
      store<f32>(out + (pairs << 2), <f32>(inverse != 0 ? s * inverse : s / count))
    }
  }
}

/** downsampleTo64 for RGB24 rows (G_KIND 0) or yuv420p planes (1); the 64x64 result lands at G_OUT. */
export function downsampleFrame (geometry: usize): void {
  if (field(geometry, G_KIND) == 1) {
    downsampleYuvFrame(geometry)
    return
  }
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
    sampleRow(column, xPackedLo, xN, xSampleInverses, sampledRows + (<usize>k * SIDE << 2))
  }
  sampleColumns(geometry)
}

/**
 * dct64To16 of src/hashing/pdq-dct.ts on the 64x64 image at G_OUT, into G_DCT_OUT: the same
 * double-precision products and sums in the same order, two output columns at a time (each
 * lane the JS's operations; wasm has no fused multiply-add, nor does the JS).
 */
export function dct64To16 (geometry: usize): void {
  const n: usize = <usize>SIDE
  const a = ptr(geometry, G_OUT)
  const d = ptr(geometry, G_DCT)
  const dt = ptr(geometry, G_DCT_T)
  const t = ptr(geometry, G_DCT_ROWS)
  const b = ptr(geometry, G_DCT_OUT)
  for (let i: usize = 0; i < 16; i++) {
    for (let j: usize = 0; j < n; j += 2) {
      let sum = f64x2.splat(0)
      for (let k: usize = 0; k < n; k++) {
        sum = f64x2.add(sum, f64x2.mul(f64x2.splat(load<f64>(d + ((i * n + k) << 3))), f64x2.promote_low_f32x4(v128.load64_zero(a + ((k * n + j) << 2)))))
      }
      v128.store(t + ((i * n + j) << 3), sum)
    }
  }
  for (let i: usize = 0; i < 16; i++) {
    for (let j: usize = 0; j < 16; j += 2) {
      let sum = f64x2.splat(0)
      for (let k: usize = 0; k < n; k++) {
        sum = f64x2.add(sum, f64x2.mul(f64x2.splat(load<f64>(t + ((i * n + k) << 3))), v128.load(dt + ((k * 16 + j) << 3))))
      }
      v128.store(b + ((i * 16 + j) << 3), sum)
    }
  }
}

/** Where the caller's memory may start (after this module's own static data). */
export const HEAP_BASE: usize = __heap_base
