import jpeg from 'jpeg-js'
import { PNG } from 'pngjs'
import sharp from 'sharp'
import { hfError, isHashfedError, ErrorCodes } from '../errors.js'
import { MAX_IMAGE_PIXELS, JPEG_DECODE_BYTES_PER_PIXEL, FULL_DECODE_MAX_PIXELS, JPEG_MAX_PIXELS_PER_BYTE, LARGE_IMAGE_MAX_PIXELS_PER_BYTE } from './constants.js'
import type { RgbaImage } from './rgba-image.js'

export const IMAGE_FORMATS = ['jpeg', 'png', 'gif', 'webp'] as const
export type ImageFormat = typeof IMAGE_FORMATS[number]

export interface DecodedImage extends RgbaImage {
  format: ImageFormat
  /** the image's own size; `width`×`height` is smaller when it was shrunk while decoding */
  original: { width: number, height: number }
}

export interface DecodeInit {
  /**
   * Images with more pixels than this are refused with HF_TOO_LARGE before any pixel is
   * decoded.
   * @default MAX_IMAGE_PIXELS (100 MP)
   */
  maxPixels?: number
  /**
   * Larger images are shrunk to at most this many pixels while they are decoded, so no
   * decode holds more than this many pixels in memory.
   * @default FULL_DECODE_MAX_PIXELS (16.8 MP)
   */
  fullDecodeMaxPixels?: number
}

/**
 * The format from the leading bytes (file names and declared types lie).
 * Returns null for anything else.
 */
export function detectImageFormat (bytes: Uint8Array): ImageFormat | null {
  const at = (offset: number, ...values: number[]): boolean => values.every((v, i) => bytes[offset + i] === v)
  if (at(0, 0xff, 0xd8, 0xff)) return 'jpeg'
  if (at(0, 0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a)) return 'png'
  if (at(0, 0x47, 0x49, 0x46, 0x38) && (bytes[4] === 0x37 || bytes[4] === 0x39) && bytes[5] === 0x61) return 'gif'
  if (at(0, 0x52, 0x49, 0x46, 0x46) && at(8, 0x57, 0x45, 0x42, 0x50)) return 'webp'
  return null
}

/**
 * Decodes JPEG, PNG, GIF (first frame) or WebP (first frame) bytes in memory to RGBA.
 * Nothing is written anywhere. No EXIF rotation is applied: the reference hashers hash
 * the stored pixels, and so must we for our hashes to match theirs.
 *
 * Decoders are chosen for agreement with the reference implementations, not speed:
 * jpeg-js's JPEG output gives blockhash within 0–2 bits of the reference, where libvips'
 * differs by up to 14 (ARCHITECTURE.md); for PDQ both land equally close. PNG, GIF and
 * WebP decode to the same pixels with any correct decoder (pngjs, libvips).
 *
 * Memory is bounded before any pixel is decoded: the header's size is checked against
 * `maxPixels` and against what the byte count can honestly carry (JPEG_MAX_PIXELS_PER_BYTE,
 * LARGE_IMAGE_MAX_PIXELS_PER_BYTE), and images beyond `fullDecodeMaxPixels` are shrunk while
 * decoding by libvips (shrink-on-load) instead of being decoded at full size.
 *
 * Throws HF_INVALID_IMAGE for unsupported or undecodable bytes and for sizes the bytes cannot
 * carry (details.reason 'pixels-per-byte'), HF_TOO_LARGE for more than `maxPixels` pixels.
 */
export async function decodeImage (bytes: Uint8Array, init: DecodeInit = {}): Promise<DecodedImage> {
  const maxPixels = init.maxPixels ?? MAX_IMAGE_PIXELS
  const fullDecodeMaxPixels = init.fullDecodeMaxPixels ?? FULL_DECODE_MAX_PIXELS
  const format = detectImageFormat(bytes)
  if (format === null) {
    throw hfError(ErrorCodes.INVALID_IMAGE, `not a supported image (expected ${IMAGE_FORMATS.join(', ')}; got ${bytes.length} bytes starting ${Buffer.from(bytes.subarray(0, 8)).toString('hex') || 'with nothing'})`, { size: bytes.length })
  }
  const original = await readSize(bytes, format)
  checkPixelCount(format, original, bytes.length, maxPixels, fullDecodeMaxPixels)
  try {
    const image = original.width * original.height > fullDecodeMaxPixels
      ? await decodeShrunk(bytes, original, maxPixels, fullDecodeMaxPixels)
      // the decoders' own caps hold even where they read another size than libvips' header
      : await decodeAs(format, bytes, Math.min(maxPixels, fullDecodeMaxPixels))
    if (image.width < 1 || image.height < 1 || image.data.length !== image.width * image.height * 4) {
      throw new Error(`decoder returned ${image.width}x${image.height} with ${image.data.length} bytes`)
    }
    return { ...image, format, original }
  } catch (err) {
    if (isHashfedError(err)) throw err
    throw hfError(ErrorCodes.INVALID_IMAGE, `${format} image does not decode: ${messageOf(err)}`, { format }, err)
  }
}

/** Reads only the header (libvips), so a decompression bomb is refused before it is inflated. */
async function readSize (bytes: Uint8Array, format: ImageFormat): Promise<{ width: number, height: number }> {
  let width: number | undefined
  let height: number | undefined
  try {
    ({ width, height } = await sharp(bytes, { limitInputPixels: false }).metadata())
  } catch (err) {
    throw hfError(ErrorCodes.INVALID_IMAGE, `${format} image header is unreadable: ${messageOf(err)}`, { format }, err)
  }
  if (width === undefined || height === undefined || width < 1 || height < 1) {
    throw hfError(ErrorCodes.INVALID_IMAGE, `${format} image has no dimensions`, { format })
  }
  return { width, height }
}

function checkPixelCount (format: ImageFormat, { width, height }: { width: number, height: number }, size: number, maxPixels: number, fullDecodeMaxPixels: number): void {
  const pixels = width * height
  if (pixels > maxPixels) {
    throw hfError(ErrorCodes.TOO_LARGE, `${format} image of ${width}x${height} exceeds the limit of ${maxPixels} pixels`, { format, width, height, maxPixels })
  }
  const maxPerByte = pixels > fullDecodeMaxPixels
    ? Math.min(LARGE_IMAGE_MAX_PIXELS_PER_BYTE, format === 'jpeg' ? JPEG_MAX_PIXELS_PER_BYTE : Infinity)
    : (format === 'jpeg' ? JPEG_MAX_PIXELS_PER_BYTE : Infinity)
  if (pixels > size * maxPerByte) {
    throw hfError(ErrorCodes.INVALID_IMAGE,
      `${format} image declares ${width}x${height} (${(pixels / 1e6).toFixed(1)} MP) in ${size} bytes, more than its bytes can carry (at most ${maxPerByte} pixels per byte at this size): truncated or a decompression bomb, refused without decoding`,
      { format, width, height, size, reason: 'pixels-per-byte', maxPixelsPerByte: maxPerByte })
  }
}

/**
 * Decodes an image larger than `budget` pixels shrunk to at most `budget` pixels. libvips
 * shrinks JPEG in the DCT (1/2, 1/4, 1/8) and other formats row by row as they are read
 * (sequential access), so the full-size image is never held.
 */
async function decodeShrunk (bytes: Uint8Array, original: { width: number, height: number }, maxPixels: number, budget: number): Promise<RgbaImage> {
  const scale = Math.sqrt(budget / (original.width * original.height))
  const width = Math.max(1, Math.floor(original.width * scale))
  const height = Math.max(1, Math.floor(original.height * scale))
  const { data, info } = await sharp(bytes, { limitInputPixels: maxPixels, failOn: 'error', sequentialRead: true })
    .resize(width, height, { fit: 'fill', fastShrinkOnLoad: true })
    .ensureAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true })
  if (info.channels !== 4) throw new Error(`expected 4 channels, got ${info.channels}`)
  return { width: info.width, height: info.height, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) }
}

async function decodeAs (format: ImageFormat, bytes: Uint8Array, maxPixels: number): Promise<RgbaImage> {
  switch (format) {
    case 'jpeg': {
      const { width, height, data } = jpeg.decode(bytes, {
        useTArray: true,
        formatAsRGBA: true,
        maxResolutionInMP: maxPixels / 1e6,
        maxMemoryUsageInMB: Math.ceil((maxPixels * JPEG_DECODE_BYTES_PER_PIXEL) / 2 ** 20)
      })
      return { width, height, data }
    }
    case 'png': {
      const png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength))
      return { width: png.width, height: png.height, data: new Uint8Array(png.data.buffer, png.data.byteOffset, png.data.byteLength) }
    }
    case 'gif':
    case 'webp': {
      // First frame only. libvips rather than omggif for GIF: omggif prints warnings about
      // malformed streams to stdout, which would corrupt the CLI's machine-readable output.
      // Sequential reads stream from memory: libvips never spills a large image to a temp file.
      const { data, info } = await sharp(bytes, { limitInputPixels: maxPixels, failOn: 'error', sequentialRead: true })
        .ensureAlpha()
        .raw()
        .toBuffer({ resolveWithObject: true })
      if (info.channels !== 4) throw new Error(`expected 4 channels, got ${info.channels}`)
      return { width: info.width, height: info.height, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) }
    }
  }
}

function messageOf (err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}
