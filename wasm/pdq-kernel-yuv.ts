// AssemblyScript: the PDQ kernel's path for yuv420p frames (G_KIND 1), in integers. Each
// row is converted to RGB exactly as FFmpeg's swscale does (src/hashing/yuv420p.ts), the RGB
// never stored; the luminance is then L = floor(N / 2^12) with N = LR R + LG G + LB B the
// exact value of the single-precision luminance coefficients' sum times 2^27 (so L is the
// luminance in units of 2^-15, truncated: within 2^-15 of the exact sum, where the RGB path
// rounds it to single precision); the first box pass sums L in 32-bit integers, exactly, in
// any order. Only where a first-pass mean is taken (a needed row, a needed column) does it
// turn into a float: f32(f32(f32(V) / (32768 count_x)) / count_y), with both reciprocals
// single-precision multipliers. From there on it is the RGB path's second pass.
// The reference is src/hashing/pdq-yuv-downsample.ts (bit for bit, test/unit/pdq-wasm-yuv).
//
// Why integers: i32x4 takes four columns where f64x2 took two, and a sum needs no
// conversions nor divisions; with the conversion and luminance eight pixels at a time, PDQ of
// a 480x720 frame fell from 14.6 to 11.5 million instructions (about 1.4 to 1.0 ms of CPU).
// Sums stay below 2^32 when the two first-pass windows' product is at most 514 (a
// 4096-pixel side has windows of 32): pdq-wasm.ts sends larger frames to the RGB24 path.

import { G_CHROMA_PLAN, G_COLUMN, G_DATA, G_HEIGHT, G_PACKED, G_PREFIX, G_RING, G_ROW_BOXED, G_SAMPLED_ROWS, G_SUMS, G_WIDTH, G_X_COL_SCALES, G_X_N, G_X_PACKED_LO, G_X_RUNS, G_X_RUN_COUNT, G_X_SAMPLE_INVERSES, G_YUV_PARAMS, G_YUV_ROW, G_Y_AHEAD, G_Y_BEHIND, G_Y_NEEDED, SIDE, field, ptr, sampleColumns, sampleRow } from './pdq-kernel-common'

// the single-precision luminance coefficients times 2^27 (integers: their last significant
// bit is at most 2^-27), split at 2^12: N = 4096 (HR R + HG G + HB B) + (lR R + lG G + lB B)
const LR = <i32>(<f64><f32>0.299 * 134217728.0)
const LG = <i32>(<f64><f32>0.587 * 134217728.0)
const LB = <i32>(<f64><f32>0.114 * 134217728.0)
// [R, G] 16-bit pairs times these in one i32x4.dot_i16x8_s; B alone in the low half
const HIGH_RG = (LG >> 12) << 16 | (LR >> 12)
const LOW_RG = (LG & 4095) << 16 | (LR & 4095)
const HIGH_B = LB >> 12
const LOW_B = LB & 4095
// swscale's cy (76309) as 65536 + this: Y cy = (Y << 16) + Y CY_LOW, so (Y cy + k) >> 16 is
// Y + ((Y CY_LOW + k) >> 16), the product within 16-bit lanes' widening multiply
const CY_LOW = 76309 - 65536
const CONSTANTS: usize = memory.data<i32>([
  CY_LOW << 16 | CY_LOW, CY_LOW << 16 | CY_LOW, CY_LOW << 16 | CY_LOW, CY_LOW << 16 | CY_LOW,
  HIGH_RG, HIGH_RG, HIGH_RG, HIGH_RG,
  HIGH_B, HIGH_B, HIGH_B, HIGH_B,
  LOW_RG, LOW_RG, LOW_RG, LOW_RG,
  LOW_B, LOW_B, LOW_B, LOW_B
], 16)

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

/** One channel of eight pixels: Y + ((Y CY_LOW + k) >> 16), k the four pairs' terms at `terms`, as i16x8 (unclamped). */
@inline function channel8 (y16: v128, ylo: v128, yhi: v128, terms: usize): v128 {
  const k = v128.load(terms)
  const lo = i32x4.shr_s(i32x4.add(ylo, v128.shuffle<i32>(k, k, 0, 0, 1, 1)), 16)
  const hi = i32x4.shr_s(i32x4.add(yhi, v128.shuffle<i32>(k, k, 2, 2, 3, 3)), 16)
  return i16x8.add(i16x8.narrow_i32x4_s(lo, hi), y16)
}

/**
 * floor(N / 4096) of four pixels: [R, G] 16-bit pairs per lane in `rg`, [B, 0] in `b`; the
 * coefficient vectors are the splats of HIGH_RG, HIGH_B, LOW_RG, LOW_B (hoisted by the caller).
 */
@inline function luma4 (rg: v128, b: v128, highRg: v128, highB: v128, lowRg: v128, lowB: v128): v128 {
  const high = i32x4.add(i32x4.dot_i16x8_s(rg, highRg), i32x4.dot_i16x8_s(b, highB))
  const low = i32x4.add(i32x4.dot_i16x8_s(rg, lowRg), i32x4.dot_i16x8_s(b, lowB))
  return i32x4.add(high, i32x4.shr_u(low, 12))
}

/** Prefix sums of four values after `carry` (the running total in every lane), stored at `at`; answers the new total in every lane. */
@inline function prefix4 (v: v128, carry: v128, zero: v128, at: usize): v128 {
  // lanes shifted up by one and by two, zeros in: consecutive lanes of (zero, v), a byte alignment
  const s1 = i32x4.add(v, v128.shuffle<i32>(zero, v, 3, 4, 5, 6))
  const s2 = i32x4.add(s1, v128.shuffle<i32>(zero, s1, 2, 3, 4, 5))
  const total = i32x4.add(s2, carry)
  v128.store(at, total)
  return v128.shuffle<i32>(total, total, 3, 3, 3, 3)
}

/**
 * Luminance prefix sums (mod 2^32: differences of them are the exact window sums) of row `y`
 * into i32 `prefix` (prefix[0] = 0), eight pixels at a time. A row's last group reads past
 * its end (the next row's or the chroma planes' bytes, all inside the frame) and stores past
 * prefix[width]: lanes no window reads.
 */
function prefixYuvInt (geometry: usize, y: i32, prefix: usize): void {
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
  const l = data + <usize>y * <usize>width
  // loaded, not constants: V8 rematerialises a constant vector at every use in the loop
  const cyLow = v128.load(CONSTANTS)
  const highRg = v128.load(CONSTANTS, 16)
  const highB = v128.load(CONSTANTS, 32)
  const lowRg = v128.load(CONSTANTS, 48)
  const lowB = v128.load(CONSTANTS, 64)
  const zero = i32x4.splat(0)
  let carry = zero
  store<i32>(prefix, 0)
  for (let x: usize = 0; x < <usize>width; x += 8) {
    const y16 = v128.load8x8_u(l + x)
    const ylo = i32x4.extmul_low_i16x8_u(y16, cyLow)
    const yhi = i32x4.extmul_high_i16x8_u(y16, cyLow)
    const t = row + (x << 1)
    // clamped to 0..255 by the unsigned saturating narrowing: R0..R7 G0..G7, and B0..B7 twice
    const rg = i8x16.narrow_i16x8_u(channel8(y16, ylo, yhi, t), channel8(y16, ylo, yhi, t + terms))
    const bb = i16x8.extend_low_i8x16_u(i8x16.narrow_i16x8_u(channel8(y16, ylo, yhi, t + 2 * terms), zero))
    // [R, G] 16-bit pairs (interleaving the widened R and G: punpck*wd); B widened to 32-bit lanes
    const r = i16x8.extend_low_i8x16_u(rg)
    const g = i16x8.extend_high_i8x16_u(rg)
    const rg0 = v128.shuffle<i16>(r, g, 0, 8, 1, 9, 2, 10, 3, 11)
    const rg1 = v128.shuffle<i16>(r, g, 4, 12, 5, 13, 6, 14, 7, 15)
    const at = prefix + 4 + (x << 2)
    carry = prefix4(luma4(rg0, i32x4.extend_low_i16x8_u(bb), highRg, highB, lowRg, lowB), carry, zero, at)
    carry = prefix4(luma4(rg1, i32x4.extend_high_i16x8_u(bb), highRg, highB, lowRg, lowB), carry, zero, at + 16)
  }
}

/**
 * The first horizontal pass of row `y` at the packed columns: each window's sum of L, from
 * the prefix sums, four columns at a time along the runs (as the RGB path's boxRow).
 */
function boxRowInt (geometry: usize, y: i32, dst: usize): void {
  const prefix = ptr(geometry, G_PREFIX)
  prefixYuvInt(geometry, y, prefix)
  const runs = ptr(geometry, G_X_RUNS)
  const runCount = field(geometry, G_X_RUN_COUNT)
  for (let r = 0; r < runCount; r++) {
    const run = runs + (<usize>r << 5)
    const out = dst + (<usize>load<i32>(run) << 2)
    const length = <usize>load<i32>(run, 4)
    const lo = prefix + (<usize>load<i32>(run, 8) << 2)
    const hi = lo + (<usize>load<i32>(run, 12) << 2)
    // whole groups of four, the last one spilling up to three lanes past the run: the next run
    // (runs ascend) overwrites them, or the row's padding takes them (rowStride)
    for (let i: usize = 0; i < length; i += 4) v128.store(out + (i << 2), i32x4.sub(v128.load(hi + (i << 2)), v128.load(lo + (i << 2))))
  }
}

/** Bytes of a ring row: the packed columns and four more, where boxRowInt's last group may spill. */
@inline function rowStride (packed: usize): usize {
  return (packed + 4) << 2
}

/** downsampleTo64 of a yuv420p frame in integers (see the top of this file); the 64x64 result lands at G_OUT. */
export function downsampleYuvFrame (geometry: usize): void {
  const height = field(geometry, G_HEIGHT)
  const packed = <usize>field(geometry, G_PACKED)
  const yBehind = field(geometry, G_Y_BEHIND)
  const yAhead = field(geometry, G_Y_AHEAD)
  const ring = field(geometry, G_RING)
  const rowBoxed = ptr(geometry, G_ROW_BOXED)
  const sums = ptr(geometry, G_SUMS)
  const column = ptr(geometry, G_COLUMN)
  const scales = ptr(geometry, G_X_COL_SCALES)
  const yNeeded = ptr(geometry, G_Y_NEEDED)
  const xPackedLo = ptr(geometry, G_X_PACKED_LO)
  const xN = ptr(geometry, G_X_N)
  const xSampleInverses = ptr(geometry, G_X_SAMPLE_INVERSES)
  const sampledRows = ptr(geometry, G_SAMPLED_ROWS)
  const rowBytes = rowStride(packed)
  memory.fill(sums, 0, packed << 2)
  const quads = packed & ~3
  let lo = 0
  let hi = -1
  for (let k = 0; k < height; k++) {
    const wantHi = min(height - 1, k + yAhead)
    while (hi < wantHi) {
      hi++
      const boxed = rowBoxed + <usize>(hi % ring) * rowBytes
      boxRowInt(geometry, hi, boxed)
      if (lo < k - yBehind) {
        // one row in and one out (exact integers: any order)
        const leaving = rowBoxed + <usize>(lo % ring) * rowBytes
        lo++
        for (let c: usize = 0; c < quads; c += 4) {
          const s = sums + (c << 2)
          v128.store(s, i32x4.sub(i32x4.add(v128.load(s), v128.load(boxed + (c << 2))), v128.load(leaving + (c << 2))))
        }
        for (let c = quads; c < packed; c++) store<i32>(sums + (c << 2), load<i32>(sums + (c << 2)) + load<i32>(boxed + (c << 2)) - load<i32>(leaving + (c << 2)))
      } else {
        for (let c: usize = 0; c < quads; c += 4) {
          const s = sums + (c << 2)
          v128.store(s, i32x4.add(v128.load(s), v128.load(boxed + (c << 2))))
        }
        for (let c = quads; c < packed; c++) store<i32>(sums + (c << 2), load<i32>(sums + (c << 2)) + load<i32>(boxed + (c << 2)))
      }
    }
    while (lo < k - yBehind) {
      const leaving = rowBoxed + <usize>(lo % ring) * rowBytes
      lo++
      for (let c: usize = 0; c < packed; c++) store<i32>(sums + (c << 2), load<i32>(sums + (c << 2)) - load<i32>(leaving + (c << 2)))
    }
    if (load<u8>(yNeeded + <usize>k) != 1) continue
    // the sums are below 2^32 (unsigned); f32(f32(f32(V) * scale_c) * 1/count_y)
    const rowScale = <f32>(1.0 / <f64>(hi - lo + 1))
    const rs = f32x4.splat(rowScale)
    for (let c: usize = 0; c < quads; c += 4) {
      v128.store(column + (c << 2), f32x4.mul(f32x4.mul(f32x4.convert_i32x4_u(v128.load(sums + (c << 2))), v128.load(scales + (c << 2))), rs))
    }
    for (let c = quads; c < packed; c++) store<f32>(column + (c << 2), (<f32>load<u32>(sums + (c << 2)) * load<f32>(scales + (c << 2))) * rowScale)
    sampleRow(column, xPackedLo, xN, xSampleInverses, sampledRows + (<usize>k * SIDE << 2))
  }
  sampleColumns(geometry)
}
