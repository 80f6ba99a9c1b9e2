/**
 * Largest image, in pixels, that is decoded at all: a few kilobytes of JPEG or PNG can
 * claim tens of thousands of pixels per side (a decompression bomb). 100 MP covers every
 * camera and phone photo while keeping one decode within ~2.5 GB (jpeg-js needs up to
 * ~24 bytes per pixel, see JPEG_DECODE_BYTES_PER_PIXEL).
 */
export const MAX_IMAGE_PIXELS = 100_000_000

/**
 * jpeg-js's own memory cap is derived from the pixel limit: coefficient blocks (4 bytes per
 * sample), line buffers (1 byte per sample) for up to 4 components, plus 4 bytes of RGBA.
 */
export const JPEG_DECODE_BYTES_PER_PIXEL = 24

/** PDQ and blockhash both give 256-bit hashes. */
export const PERCEPTUAL_HASH_BYTES = 32

/** blockhash grid side: 16×16 blocks = 256 bits, the size the reference lists use (`-b 16`). */
export const BLOCKHASH_BITS = 16
