import { readFileSync } from 'node:fs'
import jpeg from 'jpeg-js'
import sharp from 'sharp'
import { pdqHash } from './pdq-f32.tmp.mjs'
import { hammingDistance } from './dist/src/hashing/hamming.js'
const dir = '/work/shared/testdata/pdq/'
const rows = readFileSync(dir + 'expected-pdq.csv', 'utf8').trim().split('\n').map(l => l.split(','))
function nearest512 (img) {
  if (img.width <= 512 && img.height <= 512) return img
  const W = 512, H = 512, out = new Uint8Array(W * H * 4)
  for (let y = 0; y < H; y++) { const sy = Math.floor(y * img.height / H); for (let x = 0; x < W; x++) { const sx = Math.floor(x * img.width / W); const s = (sy * img.width + sx) * 4, d = (y * W + x) * 4; out[d] = img.data[s]; out[d+1] = img.data[s+1]; out[d+2] = img.data[s+2]; out[d+3] = 255 } }
  return { width: W, height: H, data: out }
}
for (const [hex, name] of rows) {
  const buf = readFileSync(dir + name)
  const ref = Buffer.from(hex, 'hex')
  const j = jpeg.decode(buf, { useTArray: true })
  const s = await sharp(buf).ensureAlpha().raw().toBuffer({ resolveWithObject: true })
  const si = { width: s.info.width, height: s.info.height, data: s.data }
  let t = performance.now(); const pj = pdqHash(j); const tj = performance.now() - t
  const ps = pdqHash(si)
  const pj5 = pdqHash(nearest512(j)), ps5 = pdqHash(nearest512(si))
  console.log(name.padEnd(28), 'jpegjs', hammingDistance(pj.hash, ref), 'q', pj.quality, 'sharp', hammingDistance(ps.hash, ref), 'q', ps.quality, '| nn512 jpegjs', hammingDistance(pj5.hash, ref), 'q', pj5.quality, 'sharp', hammingDistance(ps5.hash, ref), `pdq ${tj.toFixed(1)}ms`)
}
