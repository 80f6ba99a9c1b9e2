import { readFileSync } from 'node:fs'
import jpeg from 'jpeg-js'
import sharp from 'sharp'
import { pdqHash } from './dist/src/hashing/pdq.js'
import { hammingDistance } from './dist/src/hashing/hamming.js'
const dir = '/work/shared/testdata/pdq/'
const buf = readFileSync(dir + 'bridge-1-original.jpg')
const j = pdqHash(jpeg.decode(buf, { useTArray: true }))
const s = await sharp(buf).ensureAlpha().raw().toBuffer({ resolveWithObject: true })
const sh = pdqHash({ width: s.info.width, height: s.info.height, data: s.data })
const others = { ref: 'f8f8f0cce0f4e84d0e370a22028f67f0b36e2ed596623e1d33e6339c4e9c9b22', ruby: 'f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22', ts2: 'd8f8f0cee0f4a84f0637022a078f67f0b36e2ed596621e1d33e6339c4e9c9b22' }
console.log('jpegjs', Buffer.from(j.hash).toString('hex'), 'sharp', Buffer.from(sh.hash).toString('hex'), hammingDistance(j.hash, sh.hash))
for (const [k, v] of Object.entries(others)) console.log(k, v, hammingDistance(j.hash, Buffer.from(v, 'hex')), hammingDistance(Buffer.from(others.ref, 'hex'), Buffer.from(v, 'hex')))
