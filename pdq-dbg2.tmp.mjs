import { readFileSync } from 'node:fs'
import jpeg from 'jpeg-js'
import * as P from './pdq-dbgmod.tmp.mjs'
const dir = '/work/shared/testdata/pdq/'
const rows = readFileSync(dir + 'expected-pdq.csv', 'utf8').trim().split('\n').map(l => l.split(','))
const bitsOf = h => { const out = []; for (let i = 0; i < 16; i++) { const w = (h[30 - 2*i] << 8) | h[31 - 2*i]; for (let j = 0; j < 16; j++) out.push((w >> j) & 1) } return out }
for (const [hex, name] of rows.slice(0, 3)) {
  const img = jpeg.decode(readFileSync(dir + name), { useTArray: true })
  const luma = new Float32Array(img.width * img.height)
  for (let p = 0; p < luma.length; p++) luma[p] = 0.299 * img.data[4*p] + 0.587 * img.data[4*p+1] + 0.114 * img.data[4*p+2]
  const small = P.downsampleTo64(luma, img.width, img.height)
  const b = P.dct64To16(small)
  const sorted = Float64Array.from(b).sort()
  const rank = v => sorted.indexOf(v)
  const ours = bitsOf(P.coefficientsToHash(b)), ref = bitsOf(Buffer.from(hex, 'hex'))
  const diff = []; for (let k = 0; k < 256; k++) if (ours[k] !== ref[k]) diff.push(`${k>>4},${k&15} rank ${rank(b[k])} v=${b[k].toFixed(2)}`)
  console.log(name, 'median', sorted[127].toFixed(2), sorted[128].toFixed(2), diff.join(' | '))
}
