import { readFileSync } from 'node:fs'
import jpeg from 'jpeg-js'
import { pdqHash } from './dist/src/hashing/pdq.js'
import { hammingDistance } from './dist/src/hashing/hamming.js'
const dir = '/work/shared/testdata/pdq/'
for (const f of ['bridge-1-original.jpg', 'bridge-2-rotate-90.jpg']) {
  const img = jpeg.decode(readFileSync(dir + f), { useTArray: true })
  const base = pdqHash(img)
  const ds = []
  for (let t = 0; t < 5; t++) {
    const d = Uint8Array.from(img.data, v => Math.max(0, Math.min(255, v + Math.round(Math.random() * 2 - 1))))
    ds.push(hammingDistance(base.hash, pdqHash({ ...img, data: d }).hash))
  }
  console.log(f, ds)
}
