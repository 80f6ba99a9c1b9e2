/**
 * Largest image, in pixels, that is decoded at all: a few kilobytes of JPEG or PNG can
 * claim tens of thousands of pixels per side (a decompression bomb). 100 MP covers every
 * camera and phone photo. Beyond FULL_DECODE_MAX_PIXELS an image is decoded at reduced size,
 * so this bounds the header, not the memory of a decode.
 */
export const MAX_IMAGE_PIXELS = 100_000_000

/**
 * Largest image decoded at full size by the reference-matching decoders (jpeg-js, pngjs):
 * 4096×4096 covers the 12 MP of a phone photo with room to spare, and keeps one decode within
 * ~400 MB (jpeg-js needs up to JPEG_DECODE_BYTES_PER_PIXEL). Larger images are shrunk while
 * they are decoded (libvips shrink-on-load) to at most this many pixels: their PDQ and
 * blockhash then differ from a full-size hash by a few bits, well inside the match
 * thresholds (reference PDQ ports downsample to 512×512 before hashing for the same reason).
 */
export const FULL_DECODE_MAX_PIXELS = 4096 * 4096

/**
 * jpeg-js's own memory cap is derived from the pixel limit: coefficient blocks (4 bytes per
 * sample), line buffers (1 byte per sample) for up to 4 components, plus 4 bytes of RGBA.
 */
export const JPEG_DECODE_BYTES_PER_PIXEL = 24

/**
 * Most pixels a Huffman-coded JPEG can carry per byte, with a 2× margin: every 8×8 block of
 * every scan spends at least one bit on its DC code (64 pixels per bit, 512 per byte). A JPEG
 * declaring more is truncated or forged (a 4 KiB file claiming 10000×10000) and is refused
 * from its header instead of making the decoder allocate for pixels that are not there.
 */
export const JPEG_MAX_PIXELS_PER_BYTE = 1024

/**
 * Most pixels per byte accepted for an image larger than FULL_DECODE_MAX_PIXELS, any format.
 * Camera output of that size carries 0.05 bytes per pixel or more (≤ 20 pixels per byte);
 * a 100 MP single-colour PNG of 389 KB (257 pixels per byte) is a decompression bomb whose
 * only use is making the node inflate 400 MB. Small images are decoded whatever their ratio.
 */
export const LARGE_IMAGE_MAX_PIXELS_PER_BYTE = 100

/**
 * How long one image may take on a hashing worker (decode, PDQ, blockhash) before the worker
 * is terminated and replaced and the upload refused. The slowest honest image, 16.8 MP of
 * high-detail JPEG through jpeg-js, took 10.7 s on a shared, loaded test core (a few seconds
 * on a server's own); 30 s stops only what no honest image does, and bounds how long any
 * upload holds a worker while other hosters wait.
 */
export const IMAGE_HASH_DEADLINE_MS = 30_000

/**
 * V8 heap cap of a hashing worker, a backstop: pixels live in typed arrays outside this heap
 * (bounded by FULL_DECODE_MAX_PIXELS); a decoder that builds JS objects per pixel or per block
 * on a hostile image dies here, alone, instead of growing the node's heap.
 */
export const IMAGE_WORKER_HEAP_MB = 512

/**
 * Images one key (a check token) may have waiting in the pool; with the round-robin dispatch
 * this is its share: another token's upload waits at most for the images being hashed, never
 * behind a queue one token filled.
 */
export const IMAGE_QUEUE_PER_KEY = 4

/** PDQ and blockhash both give 256-bit hashes. */
export const PERCEPTUAL_HASH_BYTES = 32

/** blockhash grid side: 16×16 blocks = 256 bits, the size the reference lists use (`-b 16`). */
export const BLOCKHASH_BITS = 16
