import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { decodeImage } from '../../src/hashing/decode.js'
import { pdqHash } from '../../src/hashing/pdq.js'
import { DIHEDRAL_TRANSFORMS, inverseTransform, pdqDihedral, type DihedralTransform } from '../../src/hashing/pdq-dihedral.js'
import { hammingDistance } from '../../src/hashing/hamming.js'
import { BRIDGE_FILES } from '../helpers/bridge-variants.js'

const FIXTURES = fileURLToPath(new URL('../../../test/fixtures/pdq/', import.meta.url))
const fixture = (name: string): Uint8Array => new Uint8Array(readFileSync(FIXTURES + name))


const MATCH_THRESHOLD = 31

test('the dihedral hashes of the original predict the hash of each transformed file', async (t) => {
  const original = pdqDihedral(await decodeImage(fixture(BRIDGE_FILES.original)))
  assert.deepEqual(original.hashes.original, pdqHash(await decodeImage(fixture(BRIDGE_FILES.original))).hash)
  const report: string[] = []
  for (const transform of DIHEDRAL_TRANSFORMS) {
    const file = pdqHash(await decodeImage(fixture(BRIDGE_FILES[transform])))
    const d = hammingDistance(original.hashes[transform], file.hash)
    report.push(`${transform}: ${d}`)
    assert.ok(d <= MATCH_THRESHOLD, `${transform}: ${d}`)
    // and it is the closest of the eight: the name is the right one
    for (const other of DIHEDRAL_TRANSFORMS) {
      if (other !== transform) assert.ok(hammingDistance(original.hashes[other], file.hash) > d, `${transform} vs ${other}`)
    }
  }
  t.diagnostic(report.join(', '))
})

test('querying with each transformed file finds the original under the transform that names the file', async (t) => {
  const stored = pdqHash(await decodeImage(fixture(BRIDGE_FILES.original))).hash
  const report: string[] = []
  for (const transform of DIHEDRAL_TRANSFORMS) {
    const query = pdqDihedral(await decodeImage(fixture(BRIDGE_FILES[transform])))
    // the best variant undoes the file's transform; the match reports how the query relates
    // to the stored image, i.e. the inverse of the variant (rotate-90 file: variant rotate270)
    let best: DihedralTransform = 'original'
    let bestDistance = 257
    for (const variant of DIHEDRAL_TRANSFORMS) {
      const d = hammingDistance(query.hashes[variant], stored)
      if (d < bestDistance) { best = variant; bestDistance = d }
    }
    report.push(`${BRIDGE_FILES[transform]}: variant ${best} at ${bestDistance}`)
    assert.ok(bestDistance <= MATCH_THRESHOLD, `${transform}: ${bestDistance}`)
    assert.equal(inverseTransform(best), transform)
    assert.ok(query.quality >= 80)
  }
  t.diagnostic(report.join('; '))
})

test('the ordinary PDQ hash of a rotated file is far from the original: the variants are what match', async () => {
  const stored = pdqHash(await decodeImage(fixture(BRIDGE_FILES.original))).hash
  for (const transform of DIHEDRAL_TRANSFORMS) {
    if (transform === 'original') continue
    const plain = pdqHash(await decodeImage(fixture(BRIDGE_FILES[transform]))).hash
    assert.ok(hammingDistance(plain, stored) > MATCH_THRESHOLD, transform)
  }
})
