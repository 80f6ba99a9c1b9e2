import type { HashRecord } from '../log/entry.js'
import { decodeImage, type DecodeInit, type ImageFormat } from './decode.js'
import { digests } from './digests.js'
import { pdqDihedral, type DihedralTransform } from './pdq-dihedral.js'
import { blockhash } from './blockhash.js'

export const IMAGE_HASH_ALGORITHMS = ['sha256', 'sha1', 'md5', 'pdq', 'blockhash'] as const
export type ImageHashAlgorithm = typeof IMAGE_HASH_ALGORITHMS[number]

export type HashImageInit = DecodeInit

export interface ImageHashes {
  format: ImageFormat
  width: number
  height: number
  /** one record per algorithm in IMAGE_HASH_ALGORITHMS order; the PDQ record carries `quality` */
  records: HashRecord[]
  byAlgorithm: Record<ImageHashAlgorithm, HashRecord>
  /** PDQ of the image rotated and mirrored (the seven other dihedral variants), from the same DCT */
  pdqVariants?: Partial<Record<DihedralTransform, Uint8Array>>
}

/**
 * Every hash hashfed computes for an image: the digests of the bytes and the perceptual
 * hashes of the decoded pixels. The bytes and pixels live only in memory for the call.
 * Throws HF_INVALID_IMAGE when the bytes are not a decodable JPEG/PNG/GIF/WebP (callers
 * wanting digests of any file use `digests()`), HF_TOO_LARGE beyond `maxPixels`.
 * `width` and `height` are the image's own; the perceptual hashes of an image larger than
 * FULL_DECODE_MAX_PIXELS are taken from its pixels shrunk while decoding (see decodeImage).
 */
export async function hashImage (bytes: Uint8Array, init: HashImageInit = {}): Promise<ImageHashes> {
  const image = await decodeImage(bytes, init)
  const exact = digests(bytes)
  const dihedral = pdqDihedral(image)
  const pdq = { hash: dihedral.hashes.original, quality: dihedral.quality }
  const { original: _same, ...pdqVariants } = dihedral.hashes
  const byAlgorithm: Record<ImageHashAlgorithm, HashRecord> = {
    sha256: { algorithm: 'sha256', value: exact.sha256 },
    sha1: { algorithm: 'sha1', value: exact.sha1 },
    md5: { algorithm: 'md5', value: exact.md5 },
    pdq: { algorithm: 'pdq', value: pdq.hash, quality: pdq.quality },
    blockhash: { algorithm: 'blockhash', value: blockhash(image) }
  }
  return {
    format: image.format,
    width: image.original.width,
    height: image.original.height,
    records: IMAGE_HASH_ALGORITHMS.map(a => byAlgorithm[a]),
    byAlgorithm,
    pdqVariants
  }
}
