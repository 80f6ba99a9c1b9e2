import { readFileSync } from 'node:fs'
import jpeg from 'jpeg-js'
import { pdqHash } from './dist/src/hashing/pdq.js'
const dir = '/work/shared/testdata/pdq/'
const rows = readFileSync(dir + 'expected-pdq.csv', 'utf8').trim().split('\n').map(l => l.split(','))
const bitsOf = h => { const out = []; for (let i = 0; i < 16; i++) { const w = (h[30 - 2*i] << 8) | h[31 - 2*i]; for (let j = 0; j < 16; j++) out.push((w >> j) & 1) } return out }
for (const [hex, name] of rows.slice(0, 3)) {
  const j = jpeg.decode(readFileSync(dir + name), { useTArray: true })
  const r = pdqHash(j)
  const a = bitsOf(r.hash), b = bitsOf(Buffer.from(hex, 'hex'))
  const diff = []; for (let k = 0; k < 256; k++) if (a[k] !== b[k]) diff.push([k >> 4, k & 15, a[k], b[k]])
  console.log(name, JSON.stringify(diff), 'ones ours', a.reduce((x, y) => x + y), 'ref', b.reduce((x, y) => x + y))
}
