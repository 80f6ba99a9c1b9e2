import { PERCEPTUAL_HASH_BYTES } from './constants.js'
import { pdqBitsFromDct, pdqDctFromLuma, pdqDctFromRgb } from './pdq.js'
import type { RgbaImage } from './rgba-image.js'

/**
 * The eight dihedral transforms (rotations and mirrors) of an image, named as in Meta's PDQ
 * reference (`pdqDihedralHash256esFromFloatLuma`) and in pytx's `match --rotations`:
 * - rotate90, rotate180, rotate270: turned by that many degrees (rotate90 is the reference's
 *   direction, which is what the regression file `bridge-2-rotate-90.jpg` shows);
 * - flipX: mirrored top to bottom (the x axis is the mirror line); flipY: mirrored left to
 *   right; flipPlus1: mirrored about the main diagonal (transposed); flipMinus1: about the
 *   anti-diagonal.
 */
export const DIHEDRAL_TRANSFORMS = ['original', 'rotate90', 'rotate180', 'rotate270', 'flipX', 'flipY', 'flipPlus1', 'flipMinus1'] as const
export type DihedralTransform = typeof DIHEDRAL_TRANSFORMS[number]

/**
 * The transform that undoes `t`. A variant hash `hashes[t]` is the hash of the image after
 * applying `t`; when that variant matches a stored hash, the query is the stored image with
 * `inverseTransform(t)` applied, which is the name a match reports.
 */
export function inverseTransform (t: DihedralTransform): DihedralTransform {
  if (t === 'rotate90') return 'rotate270'
  if (t === 'rotate270') return 'rotate90'
  return t
}

export interface DihedralPdq {
  /** hash of the image after each transform; `original` is the ordinary PDQ hash */
  hashes: Record<DihedralTransform, Uint8Array>
  /** quality is the same for all eight (the gradient sum does not change under them) */
  quality: number
}

const N = 16

/**
 * How each transform acts on the kept coefficients. Coefficient (i, j) is vertical frequency
 * i+1, horizontal j+1: mirroring along an axis negates the odd frequencies on it, and a
 * quarter turn or a diagonal mirror also swaps the axes (transposes). So all eight hashes
 * come from one DCT, the reference's trick, at a 256-element shuffle each.
 */
const ACTIONS: Record<Exclude<DihedralTransform, 'original'>, { transpose: boolean, negate: (i: number, j: number) => boolean }> = {
  // rows 0-based: index k even ⇔ frequency k+1 odd
  rotate90: { transpose: true, negate: (_i, j) => (j & 1) === 0 },
  rotate180: { transpose: false, negate: (i, j) => ((i + j) & 1) === 1 },
  rotate270: { transpose: true, negate: (i) => (i & 1) === 0 },
  flipX: { transpose: false, negate: (i) => (i & 1) === 0 },
  flipY: { transpose: false, negate: (_i, j) => (j & 1) === 0 },
  flipPlus1: { transpose: true, negate: () => false },
  flipMinus1: { transpose: true, negate: (i, j) => ((i + j) & 1) === 1 }
}

/** Applies a transform to 16×16 DCT coefficients (a new array). */
export function transformDct (a: Float64Array, t: DihedralTransform): Float64Array {
  if (t === 'original') return Float64Array.from(a)
  const { transpose, negate } = ACTIONS[t]
  const b = new Float64Array(N * N)
  for (let i = 0; i < N; i++) {
    for (let j = 0; j < N; j++) {
      const v = negate(i, j) ? -a[i * N + j] : a[i * N + j]
      if (transpose) b[j * N + i] = v
      else b[i * N + j] = v
    }
  }
  return b
}

/** The eight dihedral PDQ hashes of a luminance plane. */
export function pdqDihedralFromLuma (luma: Float32Array, width: number, height: number): DihedralPdq {
  return dihedralFromDct(pdqDctFromLuma(luma, width, height))
}

function dihedralFromDct (dct: { coefficients: Float64Array, quality: number } | null): DihedralPdq {
  const hashes = {} as Record<DihedralTransform, Uint8Array>
  for (const t of DIHEDRAL_TRANSFORMS) {
    hashes[t] = dct === null ? new Uint8Array(PERCEPTUAL_HASH_BYTES) : pdqBitsFromDct(transformDct(dct.coefficients, t))
  }
  return { hashes, quality: dct?.quality ?? 0 }
}

/** The eight dihedral PDQ hashes of decoded RGBA pixels. */
export function pdqDihedral (image: RgbaImage): DihedralPdq {
  const { width, height, data } = image
  return dihedralFromDct(pdqDctFromRgb(data, width, height, width * 4, 4))
}

/** The eight dihedral PDQ hashes of packed RGB pixels (a video frame). */
export function pdqDihedralRgb (data: Uint8Array, width: number, height: number, stride = width * 3): DihedralPdq {
  return dihedralFromDct(pdqDctFromRgb(data, width, height, stride, 3))
}
