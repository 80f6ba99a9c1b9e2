import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { hashImage } from '../../src/hashing/hash-image.js'
import { blockhash } from '../../src/hashing/blockhash.js'
import { hammingDistance } from '../../src/hashing/hamming.js'

const FIXTURES = fileURLToPath(new URL('../../../test/fixtures/blockhash/', import.meta.url))

/** JPEG decoders differ slightly from the reference's ImageMagick; PNG decoding is exact. */
const JPEG_TOLERANCE = 4

function hashesFrom (file: string): Map<string, Uint8Array> {
  const lines = readFileSync(FIXTURES + file, 'utf8').trim().split('\n')
  return new Map(lines.map(line => {
    const [hex, name] = line.trim().split(/\s+/)
    return [name, new Uint8Array(Buffer.from(hex, 'hex'))]
  }))
}

// exact-hashes.txt is the reference's precise method (bmvbhash), quick-hashes.txt its
// quick method (bmvbhashEven); they agree only on images whose sides divide by 16.
const precise = hashesFrom('exact-hashes.txt')
const quick = hashesFrom('quick-hashes.txt')

test('blockhash (precise, 256 bits) is bit-exact on the PNGs and within 4 bits on the JPEGs', async (t) => {
  assert.equal(precise.size, 12)
  const report: string[] = []
  let pngs = 0
  for (const [name, expected] of precise) {
    const { byAlgorithm, format } = await hashImage(new Uint8Array(readFileSync(FIXTURES + name)))
    const distance = hammingDistance(byAlgorithm.blockhash.value, expected)
    report.push(`${name}: ${distance}`)
    if (format === 'png') {
      pngs++
      assert.equal(distance, 0, `${name}: ${distance} bits from the reference`)
    } else {
      assert.ok(distance <= JPEG_TOLERANCE, `${name}: ${distance} bits from the reference`)
    }
  }
  assert.equal(pngs, 2)
  t.diagnostic(report.join('; '))
})

test('the precise method is the one in use: it differs from the quick one where they should', async () => {
  // 00631801.jpg is 585x478: blocks of fractional size, where the two methods part ways.
  const name = '00631801.jpg'
  const ours = (await hashImage(new Uint8Array(readFileSync(FIXTURES + name)))).byAlgorithm.blockhash.value
  assert.ok(hammingDistance(ours, quick.get(name)!) > JPEG_TOLERANCE)
  assert.ok(hammingDistance(ours, precise.get(name)!) <= JPEG_TOLERANCE)
})

test('fully transparent pixels count as white, as in the reference', () => {
  const width = 32
  const height = 32
  const black = new Uint8Array(width * height * 4)
  for (let p = 0; p < width * height; p++) black[p * 4 + 3] = 255
  const clear = Uint8Array.from(black)
  // the left half becomes transparent black: it must hash like white, i.e. brighter than the rest
  const white = Uint8Array.from(black)
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width / 2; x++) {
      const p = (y * width + x) * 4
      clear[p + 3] = 0
      white[p] = white[p + 1] = white[p + 2] = 255
    }
  }
  const a = blockhash({ width, height, data: clear })
  assert.deepEqual(a, blockhash({ width, height, data: white }))
  assert.notDeepEqual(a, blockhash({ width, height, data: black }))
})
