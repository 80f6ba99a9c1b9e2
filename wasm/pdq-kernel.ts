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
const G_X_FIRST = 7 // i32[packed] (this and the next three: the JS's axis arrays; boxRow reads G_X_RUNS)
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
const G_YUV_PARAMS = 25 // i32[9]: swscale's cy, C, crv, cgu, cgv, cbu, and the R, G, B index bases
const G_CHROMA_PLAN = 26 // i32[height]: chroma row * 2 + (1: mean with the next row)
const G_YUV_ROW = 27 // i32[3 * (width / 2 + 4)]: one row's R, G, B terms per chroma pair
const G_DCT = 28 // f64[16 * 64]: rows 1..16 of the DCT-II basis (src/hashing/pdq-dct.ts)
const G_DCT_T = 29 // f64[64 * 16]: the same, transposed
const G_DCT_ROWS = 30 // f64[16 * 64]: D A
const G_DCT_OUT = 31 // f64[16 * 16]: D A Dᵀ
// runs of packed columns whose windows step by one and have one length, 32 bytes each: i32
// first packed column, i32 length, i32 first window's start, i32 window length, f64 inverse
// (as G_X_INVERSES), f64 count
const G_X_RUNS = 32
const G_X_RUN_COUNT = 33

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
 * (src/hashing/yuv420p.ts, even widths), the RGB row never stored. swscale looks R up in a
 * clip table at Y + rV[v], G at Y + gU[u] + gV[v], B at Y + bU[u]; entry i of that table is
 * clamp((i * cy + C) >> 16, 0, 255) (ff_yuv2rgb_c_init_tables' loop; i < 1024, so 32 bits
 * hold it) and an offset is base + ((value * coefficient) >> 16) (fill_table). All of that is
 * integer SIMD here: the chroma terms four pairs at a time (chromaTerms; the rows' rounded
 * mean is i8x16.avgr_u, swscale's (a + b + 1) >> 1), then four pixels at a time, their
 * luminance the RGB path's to the bit (luma4). The prefix sums are exact (prefixRgb's
 * caller), so any grouping of the additions gives them.
 */
function prefixYuv (geometry: usize, y: i32, prefix: usize): void {
  const width = field(geometry, G_WIDTH)
  const height = field(geometry, G_HEIGHT)
  const cw = <usize>(width >> 1)
  const data = ptr(geometry, G_DATA)
  const plan = load<i32>(ptr(geometry, G_CHROMA_PLAN) + (<usize>y << 2))
  const uRow = data + <usize>width * <usize>height + <usize>(plan >> 1) * cw
  const vRow = uRow + cw * <usize>((height + 1) >> 1)
  const row = ptr(geometry, G_YUV_ROW)
  const terms = (cw + 4) << 2
  chromaTerms(ptr(geometry, G_YUV_PARAMS), uRow, vRow, (plan & 1) == 1 ? cw : 0, cw, row, terms)
  const cy = i32x4.splat(load<i32>(ptr(geometry, G_YUV_PARAMS)))
  const l = data + <usize>y * <usize>width
  let sum = f64x2.splat(0)
  store<f64>(prefix, 0)
  let at = prefix + 8
  const quads = <usize>(width & ~3)
  for (let x: usize = 0; x < quads; x += 4) {
    const yc = i32x4.mul(i32x4.extend_low_i16x8_u(i16x8.extend_low_i8x16_u(v128.load32_zero(l + x))), cy)
    sum = quad(yc, row + (x << 1), terms, sum, at, 4)
    at += 32
  }
  if (quads < <usize>width) {
    const yc = i32x4.mul(i32x4.extend_low_i16x8_u(i16x8.extend_low_i8x16_u(tail(l + quads, 2))), cy)
    quad(yc, row + (quads << 1), terms, sum, at, 2)
  }
}

/**
 * A row's chroma terms per pixel pair, four pairs at a time: kR = (rBase + (v crv >> 16)) cy + C,
 * kG and kB alike (R = clamp((Y cy + kR) >> 16) is then swscale's table entry), into `row`
 * (R terms, G terms `terms` bytes on, B terms twice that). `next` > 0: the rounded mean of
 * this chroma row and the next, as swscale's yuv2rgb_1 takes it.
 */
function chromaTerms (params: usize, uRow: usize, vRow: usize, next: usize, cw: usize, row: usize, terms: usize): void {
  const cy = i32x4.splat(load<i32>(params))
  const c = i32x4.splat(load<i32>(params, 4))
  const crv = i32x4.splat(load<i32>(params, 8))
  const cgu = i32x4.splat(load<i32>(params, 12))
  const cgv = i32x4.splat(load<i32>(params, 16))
  const cbu = i32x4.splat(load<i32>(params, 20))
  const rBase = i32x4.splat(load<i32>(params, 24))
  const gBase = i32x4.splat(load<i32>(params, 28))
  const bBase = i32x4.splat(load<i32>(params, 32))
  // whole groups of four pairs in a loop per case (no per-group tests), then the last one to three
  const full = cw & ~3
  if (next != 0) {
    for (let i: usize = 0; i < full; i += 4) {
      const uu = i8x16.avgr_u(v128.load32_zero(uRow + i), v128.load32_zero(uRow + next + i))
      const vv = i8x16.avgr_u(v128.load32_zero(vRow + i), v128.load32_zero(vRow + next + i))
      terms4(uu, vv, row + (i << 2), terms, cy, c, crv, cgu, cgv, cbu, rBase, gBase, bBase)
    }
  } else {
    for (let i: usize = 0; i < full; i += 4) terms4(v128.load32_zero(uRow + i), v128.load32_zero(vRow + i), row + (i << 2), terms, cy, c, crv, cgu, cgv, cbu, rBase, gBase, bBase)
  }
  if (full < cw) {
    const n = cw - full
    let uu = tail(uRow + full, n)
    let vv = tail(vRow + full, n)
    if (next != 0) {
      uu = i8x16.avgr_u(uu, tail(uRow + next + full, n))
      vv = i8x16.avgr_u(vv, tail(vRow + next + full, n))
    }
    terms4(uu, vv, row + (full << 2), terms, cy, c, crv, cgu, cgv, cbu, rBase, gBase, bBase)
  }
}

/**
 * chromaTerms of four pairs, their u and v the low four bytes of `uu` and `vv`, stored at `q`;
 * the rest swscale's constants in every lane, as chromaTerms loads them.
 */
@inline function terms4 (uu: v128, vv: v128, q: usize, terms: usize, cy: v128, c: v128, crv: v128, cgu: v128, cgv: v128, cbu: v128, rBase: v128, gBase: v128, bBase: v128): void {
  const u4 = i32x4.extend_low_i16x8_u(i16x8.extend_low_i8x16_u(uu))
  const v4 = i32x4.extend_low_i16x8_u(i16x8.extend_low_i8x16_u(vv))
  v128.store(q, i32x4.add(i32x4.mul(i32x4.add(rBase, i32x4.shr_s(i32x4.mul(v4, crv), 16)), cy), c))
  v128.store(q + terms, i32x4.add(i32x4.mul(i32x4.add(gBase, i32x4.add(i32x4.shr_s(i32x4.mul(u4, cgu), 16), i32x4.shr_s(i32x4.mul(v4, cgv), 16))), cy), c))
  v128.store(q + 2 * terms, i32x4.add(i32x4.mul(i32x4.add(bBase, i32x4.shr_s(i32x4.mul(u4, cbu), 16)), cy), c))
}

const TAIL: usize = memory.data(16, 16)

/** `n` bytes (under 16) from `at`, zeros after: a row's last group, never read past its end. */
function tail (at: usize, n: usize): v128 {
  v128.store(TAIL, i32x4.splat(0))
  memory.copy(TAIL, at, n)
  return v128.load(TAIL)
}

/**
 * Four pixels' R, G, B (clamp((Y * cy + k) >> 16, 0, 255)), their luminance, and their prefix
 * sums after `sum` (both lanes the running total) stored from `at`: `pixels` of them (2 or 4).
 * Answers the new running total in both lanes.
 */
/**
 * Four pixels (Y * cy in `yc`, their two pairs' terms at `terms`) to R, G, B
 * (clamp((Y cy + k) >> 16, 0, 255)), their luminance, and their prefix sums after `sum`
 * (both lanes the running total) stored from `at`: `pixels` of them (2 or 4). Answers the
 * new running total in both lanes.
 */
@inline function quad (yc: v128, terms: usize, stride: usize, sum: v128, at: usize, pixels: usize): v128 {
  const zero = i32x4.splat(0)
  const top = i32x4.splat(255)
  const kr = v128.load64_zero(terms)
  const kg = v128.load64_zero(terms + stride)
  const kb = v128.load64_zero(terms + 2 * stride)
  const r = i32x4.min_s(i32x4.max_s(i32x4.shr_s(i32x4.add(yc, v128.shuffle<i32>(kr, kr, 0, 0, 1, 1)), 16), zero), top)
  const g = i32x4.min_s(i32x4.max_s(i32x4.shr_s(i32x4.add(yc, v128.shuffle<i32>(kg, kg, 0, 0, 1, 1)), 16), zero), top)
  const b = i32x4.min_s(i32x4.max_s(i32x4.shr_s(i32x4.add(yc, v128.shuffle<i32>(kb, kb, 0, 0, 1, 1)), 16), zero), top)
  const luma = luma4(r, g, b)
  // [s + l0, s + l0 + l1], then the same from its last lane for l2, l3
  const lo = f64x2.promote_low_f32x4(luma)
  const p0 = f64x2.add(sum, f64x2.add(lo, v128.shuffle<f64>(f64x2.splat(0), lo, 0, 2)))
  v128.store(at, p0)
  const s0 = v128.shuffle<f64>(p0, p0, 1, 1)
  if (pixels < 4) return s0
  const hi = f64x2.promote_low_f32x4(v128.shuffle<f32>(luma, luma, 2, 3, 2, 3))
  const p1 = f64x2.add(s0, f64x2.add(hi, v128.shuffle<f64>(f64x2.splat(0), hi, 0, 2)))
  v128.store(at, p1, 16)
  return v128.shuffle<f64>(p1, p1, 1, 1)
}

// LUMA_x = LX * 2^-27 with LX integers (single-precision constants whose last significant bit
// is at most 2^-27), split at 2^12 so the sums below fit 32-bit lanes and f32 exactly
const LR = <i32>(LUMA_R * 134217728.0)
const LG = <i32>(LUMA_G * 134217728.0)
const LB = <i32>(LUMA_B * 134217728.0)

/**
 * Luminance of four pixels as the RGB path gives it: there (LUMA_R R + LUMA_G G) + LUMA_B B
 * in doubles is exact, N * 2^-27 with N = LR R + LG G + LB B below 2^36, then rounded to
 * single precision. Here N = high * 4096 + low, both exact in f32 (high < 2^24, low < 2^22),
 * and one f32 addition rounds their exact sum once, as the double's rounding does.
 */
@inline function luma4 (r: v128, g: v128, b: v128): v128 {
  // lanes as 16-bit pairs: [R, G] per pixel, and [B, 0] (all values below 256); one
  // multiply-add per pair (i32x4.dot_i16x8_s) with the coefficients' halves, all below 2^15
  const rg = v128.or(r, i32x4.shl(g, 16))
  const high = i32x4.add(i32x4.dot_i16x8_s(rg, i32x4.splat((LG >> 12) << 16 | (LR >> 12))), i32x4.dot_i16x8_s(b, i32x4.splat(LB >> 12)))
  const low = i32x4.add(i32x4.dot_i16x8_s(rg, i32x4.splat((LG & 4095) << 16 | (LR & 4095))), i32x4.dot_i16x8_s(b, i32x4.splat(LB & 4095)))
  return f32x4.mul(f32x4.add(f32x4.mul(f32x4.convert_i32x4_s(high), f32x4.splat(4096)), f32x4.convert_i32x4_s(low)), f32x4.splat(<f32>7.450580596923828e-9))
}

/**
 * boxRgbRowPacked: luminance, exact prefix sums, then the means at the needed columns. The
 * needed columns come in runs of neighbours (a sample's window) whose windows' starts and
 * ends step by one: two columns at a time there (f64x2, each lane packWindows' own
 * subtraction, then multiplication or division, then rounding to single precision).
 */
function boxRow (geometry: usize, y: i32, dst: usize): void {
  const prefix = ptr(geometry, G_PREFIX)
  if (field(geometry, G_KIND) == 1) prefixYuv(geometry, y, prefix)
  else prefixRgb(geometry, y, prefix)
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

/**
 * The second pass along row `column` (first-pass outputs at the packed columns) at the 64
 * sample columns, into `dst`: two samples at a time when their windows are as long and both
 * divide alike (f64x2, each lane the JS's additions from 0 in the same order, then its
 * multiplication or division), else one at a time.
 */
@inline function sampleRow (column: usize, xPackedLo: usize, xN: usize, xSampleInverses: usize, dst: usize): void {
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
    sampleRow(column, xPackedLo, xN, xSampleInverses, sampledRows + (<usize>k * SIDE << 2))
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
