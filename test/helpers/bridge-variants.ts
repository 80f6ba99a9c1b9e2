import type { DihedralTransform } from '../../src/hashing/pdq-dihedral.js'

/** test/fixtures/pdq: each file is the bridge original with this transform applied (the PDQ reference's names). */
export const BRIDGE_FILES: Record<DihedralTransform, string> = {
  original: 'bridge-1-original.jpg',
  rotate90: 'bridge-2-rotate-90.jpg',
  rotate180: 'bridge-3-rotate-180.jpg',
  rotate270: 'bridge-4-rotate-270.jpg',
  flipX: 'bridge-5-flipx.jpg',
  flipY: 'bridge-6-flipy.jpg',
  flipPlus1: 'bridge-7-flip-plus-1.jpg',
  flipMinus1: 'bridge-8-flip-minus-1.jpg'
}
