import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import sharp from 'sharp'
import { decodeImage, detectImageFormat } from '../../src/hashing/decode.js'
import { hashImage } from '../../src/hashing/hash-image.js'
import { isHashfedError } from '../../src/errors.js'
import { pngBytes } from '../helpers/png-bytes.js'

const FIXTURES = fileURLToPath(new URL('../../../test/fixtures/', import.meta.url))

// A small picture with distinct quadrants, so a decoder that mixes up rows, columns or
// channels is caught: red top-left, green top-right, blue bottom-left, white bottom-right.
const W = 24
const H = 16
const QUADRANTS = [[255, 0, 0], [0, 255, 0], [0, 0, 255], [255, 255, 255]]
const quadrant = (x: number, y: number): number[] => QUADRANTS[(y < H / 2 ? 0 : 2) + (x < W / 2 ? 0 : 1)]
const raw = Buffer.alloc(W * H * 3)
for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) raw.set(quadrant(x, y), (y * W + x) * 3)
const picture = (): ReturnType<typeof sharp> => sharp(raw, { raw: { width: W, height: H, channels: 3 } })

async function encoded (format: 'png' | 'gif' | 'webp' | 'jpeg'): Promise<Uint8Array> {
  const s = picture()
  const buffer = format === 'png'
    ? await s.png().toBuffer()
    : format === 'gif'
      ? await s.gif().toBuffer()
      : format === 'webp' ? await s.webp({ lossless: true }).toBuffer() : await s.jpeg({ quality: 95 }).toBuffer()
  return new Uint8Array(buffer)
}

const isCode = (code: string) => (err: unknown): boolean => isHashfedError(err) && err.code === code

test('the format comes from the magic bytes', async () => {
  for (const format of ['png', 'gif', 'webp', 'jpeg'] as const) {
    assert.equal(detectImageFormat(await encoded(format)), format)
  }
  assert.equal(detectImageFormat(new TextEncoder().encode('GIF87a')), 'gif')
  assert.equal(detectImageFormat(new TextEncoder().encode('RIFF\0\0\0\0WAVEfmt ')), null)
  assert.equal(detectImageFormat(new TextEncoder().encode('%PDF-1.7')), null)
  assert.equal(detectImageFormat(new Uint8Array(0)), null)
})

test('PNG, GIF and lossless WebP decode to exactly the pixels encoded, RGBA row-major', async () => {
  for (const format of ['png', 'gif', 'webp'] as const) {
    const image = await decodeImage(await encoded(format))
    assert.equal(image.format, format)
    assert.equal(image.width, W)
    assert.equal(image.height, H)
    assert.equal(image.data.length, W * H * 4)
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        const p = (y * W + x) * 4
        assert.deepEqual([...image.data.subarray(p, p + 4)], [...quadrant(x, y), 255], `${format} pixel ${x},${y}`)
      }
    }
  }
})

test('JPEG decodes close to the pixels encoded', async () => {
  const image = await decodeImage(await encoded('jpeg'))
  assert.equal(image.format, 'jpeg')
  assert.equal(image.width, W)
  assert.equal(image.height, H)
  // away from the quadrant edges (chroma subsampling blurs them)
  for (const [x, y] of [[2, 2], [W - 3, 2], [2, H - 3], [W - 3, H - 3]]) {
    const p = (y * W + x) * 4
    const got = [...image.data.subarray(p, p + 3)]
    quadrant(x, y).forEach((v, c) => assert.ok(Math.abs(got[c] - v) <= 12, `pixel ${x},${y}: ${got} vs ${quadrant(x, y)}`))
  }
})

test('the first frame of an animated GIF or WebP is decoded', async () => {
  // two frames: black, then white
  const frames = Buffer.concat([Buffer.alloc(W * H * 3, 0), Buffer.alloc(W * H * 3, 255)])
  const raw = { width: W, height: H * 2, channels: 3, pageHeight: H } as const
  for (const animated of [
    await sharp(frames, { raw }).gif({ loop: 0 }).toBuffer(),
    await sharp(frames, { raw }).webp({ lossless: true, loop: 0 }).toBuffer()
  ]) {
    assert.equal((await sharp(animated).metadata()).pages, 2)
    const image = await decodeImage(new Uint8Array(animated))
    assert.deepEqual([image.width, image.height], [W, H])
    assert.deepEqual([...image.data.subarray(0, 4)], [0, 0, 0, 255])
    assert.deepEqual([...image.data.subarray(image.data.length - 4)], [0, 0, 0, 255])
  }
})

test('hashImage gives every algorithm for every format, digests of the bytes as given', async () => {
  for (const format of ['png', 'gif', 'webp', 'jpeg'] as const) {
    const bytes = await encoded(format)
    const hashes = await hashImage(bytes)
    assert.equal(hashes.format, format)
    assert.deepEqual(hashes.records.map(r => r.algorithm), ['sha256', 'sha1', 'md5', 'pdq', 'blockhash'])
    assert.deepEqual(hashes.records.map(r => r.value.length), [32, 20, 16, 32, 32])
    assert.equal(Buffer.from(hashes.byAlgorithm.sha256.value).toString('hex'), (await import('node:crypto')).createHash('sha256').update(bytes).digest('hex'))
    assert.equal(typeof hashes.byAlgorithm.pdq.quality, 'number')
  }
  // the same pixels in two lossless formats: same perceptual hashes, different digests
  const png = await hashImage(await encoded('png'))
  const webp = await hashImage(await encoded('webp'))
  assert.deepEqual(png.byAlgorithm.pdq.value, webp.byAlgorithm.pdq.value)
  assert.deepEqual(png.byAlgorithm.blockhash.value, webp.byAlgorithm.blockhash.value)
  assert.notDeepEqual(png.byAlgorithm.sha256.value, webp.byAlgorithm.sha256.value)
})

test('unsupported, empty and corrupt bytes are HF_INVALID_IMAGE', async () => {
  const png = await encoded('png')
  const cases: Record<string, Uint8Array> = {
    empty: new Uint8Array(0),
    text: new TextEncoder().encode('not an image at all'),
    'jpeg magic then garbage': Uint8Array.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 4, 5, 6, 7, 8]),
    'png signature only': png.subarray(0, 8),
    'truncated png': png.subarray(0, png.length - 30),
    'gif header only': new TextEncoder().encode('GIF89a\x10\x00\x10\x00'),
    'webp header then garbage': new TextEncoder().encode('RIFF\x20\x00\x00\x00WEBPVP8 garbage-garbage'),
    'tiff (unsupported)': Uint8Array.from([0x49, 0x49, 0x2a, 0x00, 8, 0, 0, 0])
  }
  for (const [name, bytes] of Object.entries(cases)) {
    await assert.rejects(decodeImage(bytes), isCode('HF_INVALID_IMAGE'), name)
    await assert.rejects(hashImage(bytes), isCode('HF_INVALID_IMAGE'), name)
  }
})

test('random damage to any format gives a decoded image or a typed error, never a crash', async () => {
  let seed = 42
  const random = (n: number): number => { seed = (Math.imul(seed, 1103515245) + 12345) >>> 0; return seed % n }
  for (const format of ['png', 'gif', 'webp', 'jpeg'] as const) {
    const good = await encoded(format)
    for (let n = 0; n < 40; n++) {
      const bytes = n % 2 === 0 ? good.slice(0, random(good.length)) : Uint8Array.from(good)
      if (n % 2 === 1) for (let k = 0; k < 1 + (n % 6); k++) bytes[random(bytes.length)] = random(256)
      try {
        const image = await decodeImage(bytes)
        assert.equal(image.data.length, image.width * image.height * 4)
      } catch (err) {
        assert.ok(isHashfedError(err) && (err.code === 'HF_INVALID_IMAGE' || err.code === 'HF_TOO_LARGE'), `${format} #${n}: ${String(err)}`)
      }
    }
  }
})

/** A PNG whose header claims `width`×`height` with one tiny compressed row: a decompression bomb. */
function pngClaiming (width: number, height: number): Uint8Array {
  return new Uint8Array(pngBytes(width, height, 2, Buffer.from([0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01])))
}

/** A real JPEG whose frame header is patched to claim another size. */
async function jpegClaiming (width: number, height: number): Promise<Uint8Array> {
  const bytes = Buffer.from(await encoded('jpeg'))
  for (let i = 2; i < bytes.length - 9; i++) {
    if (bytes[i] === 0xff && bytes[i + 1] >= 0xc0 && bytes[i + 1] <= 0xc2) {
      bytes.writeUInt16BE(height, i + 5)
      bytes.writeUInt16BE(width, i + 7)
      return new Uint8Array(bytes)
    }
  }
  throw new Error('no frame header')
}

test('decompression bombs are refused from the header with HF_TOO_LARGE, before decoding', async () => {
  const bomb = pngClaiming(60_000, 60_000) // 3.6 gigapixels in 70 bytes
  assert.ok(bomb.length < 100)
  await assert.rejects(decodeImage(bomb), isCode('HF_TOO_LARGE'))
  await assert.rejects(decodeImage(await jpegClaiming(60_000, 60_000)), isCode('HF_TOO_LARGE'))
  // the limit is configurable; at the limit an image still decodes
  await assert.rejects(decodeImage(await encoded('webp'), { maxPixels: W * H - 1 }), isCode('HF_TOO_LARGE'))
  await assert.rejects(hashImage(await encoded('gif'), { maxPixels: 100 }), isCode('HF_TOO_LARGE'))
  assert.equal((await decodeImage(await encoded('png'), { maxPixels: W * H })).width, W)
})

test('the reference fixtures decode at their stored size (no EXIF rotation)', async () => {
  const jpeg = await decodeImage(new Uint8Array(readFileSync(FIXTURES + 'pdq/bridge-2-rotate-90.jpg')))
  assert.deepEqual([jpeg.format, jpeg.width, jpeg.height], ['jpeg', 1004, 1600])
  const png = await decodeImage(new Uint8Array(readFileSync(FIXTURES + 'blockhash/Babylonian.png')))
  assert.deepEqual([png.format, png.width, png.height], ['png', 800, 363])
})
