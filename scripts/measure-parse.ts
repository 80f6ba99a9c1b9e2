// Measures a format parser's throughput and peak RSS on a generated file.
// Usage: node dist/scripts/measure-parse.js [--lines N] [--format lines|vics-json]
// (build first: npm run build). Prints one JSON line with the numbers.
import { createReadStream, createWriteStream } from 'node:fs'
import { mkdtemp, rm, stat } from 'node:fs/promises'
import { once } from 'node:events'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createHash } from 'node:crypto'
import { getFormat } from '../src/formats/registry.js'

function arg (name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1] : fallback
}

const n = Number(arg('lines', '1000000'))
const formatName = arg('format', 'lines')

/** Distinct SHA-256-looking values, cheap to make: a counter mixed into one real digest. */
function value (i: number): string {
  const seed = createHash('sha256').update(String(i >>> 12)).digest('hex')
  return seed.slice(0, 56) + (i & 0xfff).toString(16).padStart(8, '0')
}

async function generate (path: string): Promise<void> {
  const out = createWriteStream(path)
  const write = async (text: string): Promise<void> => { if (!out.write(text)) await once(out, 'drain') }
  let batch = formatName === 'vics-json' ? '{"@odata.context":"http://github.com/VICSDATAMODEL/ProjectVic/DataModels/2.0.xml/Default/$metadata#Media","value":[\n' : ''
  for (let i = 0; i < n; i++) {
    batch += formatName === 'vics-json'
      ? `${i === 0 ? '' : ',\n'}{"MediaID":${i},"Category":1,"Hashes":[{"HashName":"SHA256","HashValue":"${value(i)}"}]}`
      : `${value(i)}\n`
    if (batch.length > 1 << 16) { await write(batch); batch = '' }
  }
  await write(batch + (formatName === 'vics-json' ? '\n]}\n' : ''))
  out.end()
  await once(out, 'finish')
}

const dir = await mkdtemp(join(tmpdir(), 'hashfed-measure-'))
try {
  const path = join(dir, 'input')
  await generate(path)
  const bytes = (await stat(path)).size
  const format = getFormat(formatName)
  const rssBefore = process.memoryUsage().rss
  const start = performance.now()
  let adds = 0
  let other = 0
  let peakRss = rssBefore
  for await (const item of format.parse(createReadStream(path))) {
    if (item.kind === 'add') adds++
    else other++
    if ((adds & 0xffff) === 0) peakRss = Math.max(peakRss, process.memoryUsage().rss)
  }
  const seconds = (performance.now() - start) / 1000
  peakRss = Math.max(peakRss, process.memoryUsage().rss)
  console.log(JSON.stringify({
    format: formatName,
    records: n,
    fileMiB: +(bytes / 2 ** 20).toFixed(1),
    adds,
    other,
    seconds: +seconds.toFixed(2),
    recordsPerSecond: Math.round(adds / seconds),
    mibPerSecond: +(bytes / 2 ** 20 / seconds).toFixed(1),
    rssBeforeMiB: Math.round(rssBefore / 2 ** 20),
    peakRssMiB: Math.round(peakRss / 2 ** 20),
    maxRssMiB: Math.round(process.resourceUsage().maxRSS / 1024)
  }))
} finally {
  await rm(dir, { recursive: true, force: true })
}
