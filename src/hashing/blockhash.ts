import { bmvbhash } from 'blockhash-core'
import { BLOCKHASH_BITS } from './constants.js'
import type { RgbaImage } from './rgba-image.js'

/**
 * blockhash with 16×16 blocks (256 bits), the precise method (`bmvbhash`): blocks of
 * fractional size get weighted pixel shares, so any image size hashes like the reference
 * `blockhash -b 16`. Fully transparent pixels count as white, as in the reference.
 * Returns the 32 bytes whose hex is the reference's output.
 */
export function blockhash (image: RgbaImage): Uint8Array {
  const hex = bmvbhash({ width: image.width, height: image.height, data: image.data }, BLOCKHASH_BITS)
  return new Uint8Array(Buffer.from(hex, 'hex'))
}
