import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { decodeImage } from '../../src/hashing/decode.js'
import { hashImage } from '../../src/hashing/hash-image.js'
import { hammingDistance } from '../../src/hashing/hamming.js'
import { ImageHashPool } from '../../src/hashing/image-hash-pool.js'
import { isHashfedError } from '../../src/errors.js'
import { pngBytes } from '../helpers/png-bytes.js'

const FIXTURES = fileURLToPath(new URL('../../../test/fixtures/', import.meta.url))
const photo = new Uint8Array(readFileSync(FIXTURES + 'pdq/bridge-1-original.jpg'))
const isCode = (code: string, reason?: string) => (err: unknown): boolean =>
  isHashfedError(err) && err.code === code && (reason === undefined || err.details?.reason === reason)

/** A real JPEG whose frame header claims `width`×`height`, cut to `size` bytes. */
function jpegClaiming (width: number, height: number, size: number): Uint8Array {
  const bytes = Buffer.from(photo)
  for (let i = 2; i < bytes.length - 9; i++) {
    if (bytes[i] === 0xff && bytes[i + 1] >= 0xc0 && bytes[i + 1] <= 0xc2) {
      bytes.writeUInt16BE(height, i + 5)
      bytes.writeUInt16BE(width, i + 7)
      return new Uint8Array(bytes.subarray(0, size))
    }
  }
  throw new Error('no frame header')
}

/** A PNG of `width`×`height` declared around `idat` bytes of compressed data. */
function pngClaiming (width: number, height: number, idat: Buffer): Uint8Array {
  return new Uint8Array(pngBytes(width, height, 6, idat))
}

test('images declaring more pixels than their bytes can carry are refused from the header', async () => {
  // a 4 KiB JPEG cannot hold 100 MP (a Huffman-coded JPEG spends a bit per 8x8 block)
  await assert.rejects(decodeImage(jpegClaiming(10_000, 10_000, 4096)), isCode('HF_INVALID_IMAGE', 'pixels-per-byte'))
  // nor 5 MP, small enough for a full decode
  await assert.rejects(decodeImage(jpegClaiming(2500, 2000, 4096)), isCode('HF_INVALID_IMAGE', 'pixels-per-byte'))
  // a PNG beyond the full-decode size needs more than 1 byte per 100 pixels
  await assert.rejects(decodeImage(pngClaiming(6000, 6000, Buffer.alloc(100_000))), isCode('HF_INVALID_IMAGE', 'pixels-per-byte'))
  // an honest photo passes
  assert.equal((await decodeImage(photo)).format, 'jpeg')
})

test('an image beyond the full-decode size is decoded shrunk, keeps its size in the answer and hashes close to full size', async () => {
  const full = await hashImage(photo)
  const budget = Math.floor(full.width * full.height / 6)
  const shrunk = await decodeImage(photo, { fullDecodeMaxPixels: budget })
  assert.ok(shrunk.width * shrunk.height <= budget, `${shrunk.width}x${shrunk.height} within ${budget} pixels`)
  assert.deepEqual(shrunk.original, { width: full.width, height: full.height })
  const small = await hashImage(photo, { fullDecodeMaxPixels: budget })
  assert.deepEqual([small.width, small.height], [full.width, full.height])
  assert.deepEqual(small.byAlgorithm.sha256.value, full.byAlgorithm.sha256.value)
  const pdq = hammingDistance(small.byAlgorithm.pdq.value, full.byAlgorithm.pdq.value)
  const blockhash = hammingDistance(small.byAlgorithm.blockhash.value, full.byAlgorithm.blockhash.value)
  assert.ok(pdq <= 16, `PDQ of the shrunk decode is ${pdq} bits from full size (match threshold 31)`)
  assert.ok(blockhash <= 16, `blockhash of the shrunk decode is ${blockhash} bits from full size`)
})

test('the hash pool serves keys in turn: one key\'s backlog does not hold up another, and beyond its share it is refused', async () => {
  const pool = new ImageHashPool({ workers: 1, maxQueuePerKey: 2 })
  try {
    const done: string[] = []
    const track = (name: string, p: Promise<unknown>): Promise<unknown> => p.then(() => { done.push(name) })
    const a = [track('a1', pool.hash(photo, { key: 'a' })), track('a2', pool.hash(photo, { key: 'a' })), track('a3', pool.hash(photo, { key: 'a' }))]
    // a1 is on the worker, a2 and a3 wait: a's share is full
    await assert.rejects(pool.hash(photo, { key: 'a' }), isCode('HF_RATE_LIMITED', 'share'))
    const b = track('b1', pool.hash(photo, { key: 'b' }))
    await Promise.all([...a, b])
    assert.ok(done.indexOf('b1') < done.indexOf('a3'), `b was served in turn, not after a's backlog: ${done.join(' ')}`)
    assert.equal(pool.pending, 0)
  } finally {
    await pool.close()
  }
})

test('an image that overruns its deadline loses its worker and is refused with HF_TOO_LARGE; the pool goes on', async () => {
  const pool = new ImageHashPool({ workers: 1, deadlineMs: 1 })
  try {
    await assert.rejects(pool.hash(photo, { key: 'a' }), isCode('HF_TOO_LARGE', 'deadline'))
    // the worker was replaced: the next image gets a fresh one and its own deadline, not a hang
    await assert.rejects(pool.hash(photo, { key: 'b' }), isCode('HF_TOO_LARGE', 'deadline'))
    assert.equal(pool.pending, 0)
  } finally {
    await pool.close()
  }
})
