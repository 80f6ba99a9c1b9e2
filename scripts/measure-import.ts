// Measures `lines` import into a fresh store: entries/s and peak RSS.
//
//   npx tsc -p . && node dist/scripts/measure-import.js [--lines 1000000] [--reimport]
//
// Generates a file of N distinct SHA-256 lines in a temp folder (streamed, never in memory),
// imports it into a fresh store with our own identity, and prints one JSON line per run. With
// --reimport, imports the same file again (everything already present). Peak RSS is the
// process's maxRSS, which includes generating the file. cpuSeconds counts all threads (LevelDB
// writes on its own), so it can exceed the wall time on a machine with spare cores.
import { createReadStream, createWriteStream, readFileSync } from 'node:fs'
import { mkdtemp, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createHash } from 'node:crypto'
import { once } from 'node:events'
import { Store } from '../src/store/store.js'
import { generateIdentityKey, identityFromKeyBytes } from '../src/identity/identity.js'
import { openHashLog } from '../src/log/hash-log.js'
import { importHashes } from '../src/lists/importer.js'
import { getFormat } from '../src/formats/registry.js'

function arg (name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback
}

/**
 * CPU seconds of the main (JS) thread alone, from Linux's /proc (undefined elsewhere). On a
 * machine shared with other work, wall time says little; the main thread is what limits the
 * rate when LevelDB's threads have a core of their own.
 */
function mainThreadCpuSeconds (): number | undefined {
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return (Number(fields[11]) + Number(fields[12])) / 100 // utime + stime in clock ticks (USER_HZ = 100)
  } catch {
    return undefined
  }
}

const lines = Number(arg('lines', '1000000'))
const reimport = process.argv.includes('--reimport')
const dir = await mkdtemp(join(tmpdir(), 'hashfed-measure-'))
try {
  const file = join(dir, 'hashes.txt')
  const out = createWriteStream(file)
  let chunk = ''
  for (let i = 0; i < lines; i++) {
    chunk += createHash('sha256').update(`measure ${i}`).digest('hex') + '\n'
    if (chunk.length > 1 << 20) {
      if (!out.write(chunk)) await once(out, 'drain')
      chunk = ''
    }
  }
  out.end(chunk)
  await once(out, 'finish')
  const fileBytes = (await stat(file)).size

  const store = await Store.open(join(dir, 'store'), { create: true })
  const log = await openHashLog({ store })
  const identity = identityFromKeyBytes(await generateIdentityKey())
  const format = getFormat('lines')
  const run = async (label: string): Promise<void> => {
    const started = performance.now()
    const cpu0 = process.cpuUsage()
    const main0 = mainThreadCpuSeconds()
    const summary = await importHashes({ log, identity, format, input: () => createReadStream(file), init: { defaults: { classification: 'baseline' } } })
    const seconds = (performance.now() - started) / 1000
    const cpu = process.cpuUsage(cpu0)
    const main1 = mainThreadCpuSeconds()
    const mainCpu = main0 === undefined || main1 === undefined ? undefined : main1 - main0
    console.log(JSON.stringify({
      run: label,
      lines,
      fileMiB: +(fileBytes / 2 ** 20).toFixed(1),
      seconds: +seconds.toFixed(2),
      entriesPerSecond: Math.round(lines / seconds),
      cpuSeconds: +((cpu.user + cpu.system) / 1e6).toFixed(2),
      mainThreadCpuSeconds: mainCpu === undefined ? undefined : +mainCpu.toFixed(2),
      entriesPerMainThreadCpuSecond: mainCpu === undefined ? undefined : Math.round(lines / mainCpu),
      loadAverage: +(process.platform === 'linux' ? Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]) : 0).toFixed(2),
      added: summary.added,
      alreadyPresent: summary.alreadyPresent,
      batches: summary.batches,
      peakRssMiB: +(process.resourceUsage().maxRSS / 1024).toFixed(0),
      heapUsedMiB: +(process.memoryUsage().heapUsed / 2 ** 20).toFixed(0)
    }))
  }
  await run('import')
  if (reimport) await run('reimport')
  await store.close()
} finally {
  await rm(dir, { recursive: true, force: true })
}
