import { DOWNSAMPLED_SIDE } from './pdq-downsample.js'

/** PDQ keeps the 16×16 lowest non-DC frequencies of the 64×64 image's DCT-II. */
export const DCT_SIDE = 16

/** Rows 1..16 of the 64-point DCT-II basis (row 0, the DC term, carries no structure). */
export const DCT_MATRIX = ((): Float64Array => {
  const m = new Float64Array(DCT_SIDE * DOWNSAMPLED_SIDE)
  const scale = Math.sqrt(2 / DOWNSAMPLED_SIDE)
  for (let i = 0; i < DCT_SIDE; i++) {
    for (let k = 0; k < DOWNSAMPLED_SIDE; k++) {
      m[i * DOWNSAMPLED_SIDE + k] = scale * Math.cos((Math.PI / 2 / DOWNSAMPLED_SIDE) * (i + 1) * (2 * k + 1))
    }
  }
  return m
})()

/**
 * B = D A Dᵀ with D the 16×64 DCT basis: only the 16×16 coefficients we keep. The reference
 * for the kernel's own (wasm/pdq-kernel.ts `dct64To16`, the same sums in the same order).
 */
export function dct64To16 (a: Float32Array): Float64Array {
  const n = DOWNSAMPLED_SIDE
  const d = DCT_MATRIX
  const t = new Float64Array(DCT_SIDE * n)
  for (let i = 0; i < DCT_SIDE; i++) {
    for (let j = 0; j < n; j++) {
      let sum = 0
      for (let k = 0; k < n; k++) sum += d[i * n + k] * a[k * n + j]
      t[i * n + j] = sum
    }
  }
  const b = new Float64Array(DCT_SIDE * DCT_SIDE)
  for (let i = 0; i < DCT_SIDE; i++) {
    for (let j = 0; j < DCT_SIDE; j++) {
      let sum = 0
      for (let k = 0; k < n; k++) sum += t[i * n + k] * d[j * n + k]
      b[i * DCT_SIDE + j] = sum
    }
  }
  return b
}
