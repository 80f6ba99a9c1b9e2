import { readFileSync, readdirSync } from 'node:fs'
import { hashImage } from './dist/src/hashing/hash-image.js'
import { decodeImage } from './dist/src/hashing/decode.js'
import { pdqHash } from './dist/src/hashing/pdq.js'
import { blockhash } from './dist/src/hashing/blockhash.js'
const files = []
for (const d of ['test/fixtures/pdq/', 'test/fixtures/blockhash/']) for (const f of readdirSync(d)) if (/\.(jpg|png)$/.test(f)) files.push(d + f)
for (let round = 0; round < 2; round++) {
  let tot = 0, td = 0, tp = 0, tb = 0
  for (const f of files) {
    const bytes = readFileSync(f)
    let t = performance.now(); await hashImage(bytes); tot += performance.now() - t
    t = performance.now(); const img = await decodeImage(bytes); td += performance.now() - t
    t = performance.now(); pdqHash(img); tp += performance.now() - t
    t = performance.now(); blockhash(img); tb += performance.now() - t
  }
  const n = files.length
  console.log(`round ${round}: ${n} images, hashImage ${(tot / n).toFixed(1)} ms/image; decode ${(td / n).toFixed(1)} pdq ${(tp / n).toFixed(1)} blockhash ${(tb / n).toFixed(1)}`)
}
