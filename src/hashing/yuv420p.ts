/**
 * yuv420p (limited range, BT.601) to packed RGB24 exactly as the bundled FFmpeg 4.1's
 * libswscale does it for `scale=W:H:flags=area+accurate_rnd,format=rgb24` at the frame's own
 * size: the reference vPDQ hashes those RGB frames, so a video can be read from FFmpeg as the
 * decoder's own yuv420p (no swscale run, half the pipe bytes) and turned into the same RGB
 * here. Checked bit for bit against FFmpeg on every frame of the sample videos and on random
 * planes of many sizes (test/unit/pdq-wasm-yuv.test.ts). What swscale does on that path:
 *
 * - accurate_rnd rules out its unscaled yuv2rgb converter: the generic scaler runs, with
 *   luma and the horizontal chroma unscaled (an even width keeps chroma at half width, one
 *   chroma sample per two pixels; an odd width forces full chroma interpolation, another
 *   path, not done here: `yuv420pTakes`);
 * - the vertical chroma upscale is SWS_AREA's bilinear filter (initFilter, 2 taps of 1/4096,
 *   chroma sited between rows, edges folded in); the unscaled-luma output (yuv2rgb_1) then
 *   takes one chroma row when the second tap is below 2048, else the rounded mean of both;
 * - Y, U, V index ff_yuv2rgb_c_init_tables' tables (16.16 fixed point, clipped to 0..255).
 */

/** Where pixel data starts: the chroma planes follow luma, each ceil(w/2) x ceil(h/2). */
export function yuv420pBytes (width: number, height: number): number {
  return width * height + 2 * ((width + 1) >> 1) * ((height + 1) >> 1)
}

/** Whether this conversion reproduces FFmpeg's at this size (even widths only, 3+ rows). */
export function yuv420pTakes (width: number, height: number): boolean {
  return width >= 2 && (width & 1) === 0 && height >= 3
}

/** Index offset of the clipping table (`ytab`) at Y = 0 for limited range. */
export const YTAB_OFFSET = 326
export const YTAB_SIZE = 1024
/** cy: (1 << 16) * 255 / 219, the luma scale of limited range, 16.16 */
export const YUV_CY = 76309
/** entry i of the clip table is clamp((i * YUV_CY + YUV_C) >> 16, 0, 255): -(384 + 16) << 16, rounded */
export const YUV_C = -(400 * 65536) + 0x8000

export interface Yuv420pTables {
  /** 0..255 clipped RGB value by index: Y + YTAB_OFFSET + a chroma offset */
  ytab: Uint8Array
  /** chroma offsets by U or V value, YTAB_OFFSET included */
  rV: Int32Array
  gU: Int32Array
  gV: Int32Array
  bU: Int32Array
  /** crv, cgu, cgv, cbu scaled by cy: the fill_table increments */
  coefficients: { crv: number, cgu: number, cgv: number, cbu: number }
}

let tables: Yuv420pTables | undefined

/** ff_yuv2rgb_c_init_tables for 24-bit RGB, BT.601 (SWS_CS_DEFAULT), limited range, no adjustments. */
export function yuv420pTables (): Yuv420pTables {
  if (tables !== undefined) return tables
  // the inverse matrix's crv, cbu, -cgu, -cgv; contrast and saturation 1.0 in 16.16 leave them
  let crv = 104597n
  let cbu = 132201n
  let cgu = -25675n
  let cgv = -53279n
  const cy = ((1n << 16n) * 255n) / 219n
  if (Number(cy) !== YUV_CY) throw new Error('cy')
  const oy = 16n << 16n
  // scaled by cy, C division (truncating, as BigInt's)
  crv = (crv * 65536n + 0x8000n) / cy
  cbu = (cbu * 65536n + 0x8000n) / cy
  cgu = (cgu * 65536n + 0x8000n) / cy
  cgv = (cgv * 65536n + 0x8000n) / cy
  const ytab = new Uint8Array(YTAB_SIZE)
  let yb = -(384n << 16n) - oy
  for (let i = 0; i < YTAB_SIZE; i++) {
    const v = Number((yb + 0x8000n) >> 16n)
    ytab[i] = v < 0 ? 0 : v > 255 ? 255 : v
    yb += cy
  }
  // fill_table / fill_gv_table: a table entry points (inc >> 9) back, then (value * inc) >> 16 on
  const offsets = (inc: bigint, base: number): Int32Array => Int32Array.from({ length: 256 }, (_, i) => base + Number(-(inc >> 9n) + ((BigInt(i) * inc) >> 16n)))
  const gU = offsets(cgu, YTAB_OFFSET)
  const gV = offsets(cgv, 0)
  tables = { ytab, rV: offsets(crv, YTAB_OFFSET), gU, gV, bU: offsets(cbu, YTAB_OFFSET), coefficients: { crv: Number(crv), cgu: Number(cgu), cgv: Number(cgv), cbu: Number(cbu) } }
  return tables
}

/**
 * Per output row: the first chroma row it reads (`row`) and whether it averages that row with
 * the next (`mean` 1) or takes it alone (0), as swscale's vertical chroma filter and
 * yuv2rgb_1 give it. Rows are packed as row * 2 + mean.
 */
export function chromaRowPlan (height: number): Int32Array {
  const srcH = (height + 1) >> 1
  const dstH = height
  const inc = BigInt(Math.floor((srcH * 65536 + (dstH >> 1)) / dstH))
  const fone = 1n << 54n
  // source and destination chroma positions (get_local_pos): 128 both, in 1/256 of a row
  let at = ((128n * inc) >> 8n) - ((128n * 0x8000n) >> 7n)
  const pos = new Int32Array(dstH)
  const taps: Array<[bigint, bigint]> = []
  for (let i = 0; i < dstH; i++) {
    const xx = (at - (1n << 15n) + (1n << 15n)) >> 16n
    pos[i] = Number(xx)
    const tap = (x: bigint): bigint => { const d = (x << 16n) - at; const c = fone - (d < 0n ? -d : d) * (fone >> 16n); return c < 0n ? 0n : c }
    taps.push([tap(xx), tap(xx + 1n)])
    at += inc
  }
  // initFilter's size reduction: a left tap that is near zero (<= 0.002) is dropped by shifting
  // the window right, keeping positions increasing
  const cut = (fone * 2n) / 1000n
  for (let i = dstH - 1; i >= 0; i--) {
    if (taps[i][0] > cut) continue
    if (i < dstH - 1 && pos[i] >= pos[i + 1]) continue
    const dropped = taps[i][0]
    taps[i] = [taps[i][1], 0n]
    pos[i]++
    if (dropped + taps[i][0] <= cut && !(i < dstH - 1 && pos[i] >= pos[i + 1])) { taps[i] = [0n, 0n]; pos[i]++ }
  }
  const plan = new Int32Array(dstH)
  for (let i = 0; i < dstH; i++) {
    let [a, b] = taps[i]
    // borders: taps outside the plane fold onto the edge row
    if (pos[i] < 0) { a += b; b = 0n; pos[i] = 0 }
    if (pos[i] + 2 > srcH) { b += a; a = 0n; pos[i] = srcH - 2 }
    // normalised to 4096 with the rounding error carried to the next tap
    const sum = (a + b + 2048n) / 4096n
    const rounded = (v: bigint): bigint => v >= 0n ? (v + sum / 2n) / sum : (v - sum / 2n) / sum
    const c0 = rounded(a)
    const c1 = rounded(b + (a - c0 * sum))
    if (c0 + c1 !== 4096n) throw new Error(`chroma filter of row ${i} does not sum to 4096`)
    plan[i] = pos[i] * 2 + (c1 >= 2048n ? 1 : 0)
  }
  return plan
}

/** The reference conversion: `yuv` (yuv420p planes, `yuv420pBytes` long) to packed RGB24. */
export function yuv420pToRgb24 (yuv: Uint8Array, width: number, height: number, out = new Uint8Array(width * height * 3)): Uint8Array {
  const cw = (width + 1) >> 1
  const ch = (height + 1) >> 1
  const uAt = width * height
  const vAt = uAt + cw * ch
  const { ytab, rV, gU, gV, bU } = yuv420pTables()
  const plan = chromaRowPlan(height)
  for (let y = 0; y < height; y++) {
    const first = (plan[y] >> 1) * cw
    const mean = (plan[y] & 1) === 1
    for (let i = 0; i < cw; i++) {
      let u = yuv[uAt + first + i]
      let v = yuv[vAt + first + i]
      if (mean) {
        u = (u + yuv[uAt + first + cw + i] + 1) >> 1
        v = (v + yuv[vAt + first + cw + i] + 1) >> 1
      }
      const r = rV[v]
      const g = gU[u] + gV[v]
      const b = bU[u]
      for (let x = 2 * i; x < Math.min(2 * i + 2, width); x++) {
        const l = yuv[y * width + x]
        const o = (y * width + x) * 3
        out[o] = ytab[l + r]
        out[o + 1] = ytab[l + g]
        out[o + 2] = ytab[l + b]
      }
    }
  }
  return out
}
