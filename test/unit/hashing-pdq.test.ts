import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import sharp from 'sharp'
import { hashImage } from '../../src/hashing/hash-image.js'
import { decodeImage } from '../../src/hashing/decode.js'
import { pdqHash, pdqHashFromLuma } from '../../src/hashing/pdq.js'
import { hammingDistance } from '../../src/hashing/hamming.js'

// Tests run from dist/test/unit; fixtures stay in the source tree.
const FIXTURES = fileURLToPath(new URL('../../../test/fixtures/pdq/', import.meta.url))
const fixture = (name: string): Uint8Array => new Uint8Array(readFileSync(FIXTURES + name))

/** PDQ's authors: independent implementations land within 10 bits of the reference. */
const REFERENCE_TOLERANCE = 10
/** The authors' match threshold. */
const MATCH_THRESHOLD = 31

const expected = readFileSync(FIXTURES + 'expected-pdq.csv', 'utf8').trim().split('\n').map(line => {
  const [hash, file] = line.split(',')
  return { hash: new Uint8Array(Buffer.from(hash, 'hex')), file }
})

test('PDQ is within 10 bits of the reference on its eight regression images', async (t) => {
  assert.equal(expected.length, 8)
  const report: string[] = []
  for (const { hash, file } of expected) {
    const { byAlgorithm } = await hashImage(fixture(file))
    const pdq = byAlgorithm.pdq
    const distance = hammingDistance(pdq.value, hash)
    report.push(`${file}: distance ${distance}, quality ${pdq.quality}`)
    assert.ok(distance <= REFERENCE_TOLERANCE, `${file}: distance ${distance} to the reference`)
    // the reference tools report quality 100 for all eight
    assert.ok((pdq.quality ?? 0) >= 80, `${file}: quality ${pdq.quality}`)
  }
  t.diagnostic(report.join('; '))
})

test('rotations and flips are not matches: the hash sees structure, not just colour', async () => {
  const original = (await hashImage(fixture('bridge-1-original.jpg'))).byAlgorithm.pdq.value
  const rotated = (await hashImage(fixture('bridge-3-rotate-180.jpg'))).byAlgorithm.pdq.value
  assert.ok(hammingDistance(original, rotated) > MATCH_THRESHOLD)
})

test('a re-compressed and a resized copy stay within the match threshold', async (t) => {
  const bytes = fixture('bridge-1-original.jpg')
  const original = (await hashImage(bytes)).byAlgorithm.pdq.value
  const variants = {
    'jpeg quality 30': await sharp(bytes).jpeg({ quality: 30 }).toBuffer(),
    'resized to 400 px wide': await sharp(bytes).resize({ width: 400 }).jpeg({ quality: 85 }).toBuffer(),
    'resized to 1000 px wide, quality 50': await sharp(bytes).resize({ width: 1000 }).jpeg({ quality: 50 }).toBuffer(),
    'as PNG at half size': await sharp(bytes).resize({ width: 800 }).png().toBuffer()
  }
  const report: string[] = []
  for (const [name, variant] of Object.entries(variants)) {
    const distance = hammingDistance(original, (await hashImage(new Uint8Array(variant))).byAlgorithm.pdq.value)
    report.push(`${name}: ${distance}`)
    assert.ok(distance <= MATCH_THRESHOLD, `${name}: distance ${distance}`)
  }
  t.diagnostic(report.join('; '))
})

test('flat or tiny images give quality 0 and the zero hash where the reference does', async () => {
  const grey = { width: 100, height: 80, data: new Uint8Array(100 * 80 * 4).fill(128) }
  assert.equal(pdqHash(grey).quality, 0)
  const tiny = pdqHash({ width: 4, height: 100, data: new Uint8Array(4 * 100 * 4).fill(200) })
  assert.equal(tiny.quality, 0)
  assert.deepEqual(tiny.hash, new Uint8Array(32))
})

/** Bit (i, j) in the reference's layout: row i is 16-bit word i, printed last-word-first. */
function bit (hash: Uint8Array, i: number, j: number): number {
  const word = (hash[30 - 2 * i] << 8) | hash[31 - 2 * i]
  return (word >> j) & 1
}

test('exactly half the bits are set, and transposing the image transposes the hash', () => {
  // Transposing swaps which filter runs along which axis, so this also checks that the
  // column pass of the tent filter treats edges exactly like the row pass.
  const width = 300
  const height = 200
  let seed = 7
  const random = (): number => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32
  const luma = new Float32Array(width * height)
  for (let i = 0; i < luma.length; i++) luma[i] = random() * 255
  const transposed = new Float32Array(width * height)
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) transposed[x * height + y] = luma[y * width + x]
  const a = pdqHashFromLuma(luma, width, height).hash
  const b = pdqHashFromLuma(transposed, height, width).hash
  let ones = 0
  for (let i = 0; i < 16; i++) {
    for (let j = 0; j < 16; j++) {
      ones += bit(a, i, j)
      assert.equal(bit(a, i, j), bit(b, j, i), `bit ${i},${j}`)
    }
  }
  assert.equal(ones, 128)
})

test('a decoded image and its PNG round trip hash the same', async () => {
  const bytes = fixture('bridge-2-rotate-90.jpg')
  const decoded = await decodeImage(bytes)
  const png = await sharp(Buffer.from(decoded.data), { raw: { width: decoded.width, height: decoded.height, channels: 4 } }).png({ compressionLevel: 1 }).toBuffer()
  assert.deepEqual((await hashImage(new Uint8Array(png))).byAlgorithm.pdq.value, pdqHash(decoded).hash)
})
