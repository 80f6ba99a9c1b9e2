// Times `hashfed verify` (the offline path, verifyLogStore) on a healthy store of N entries.
//
//   npx tsc -p . && node dist/scripts/measure-verify.js [--entries 1000000] [--keep]
//
// Builds a store in a temp folder with our own identity: N adds in batches of the default size,
// every 10th with a source, then every 100th retracted. Then verifies it in a fresh child
// process, so its peak RSS is the verify's alone, and prints one JSON line. Run it at two sizes
// to see memory stay flat: the audit streams batches and rows, it does not load them.
import { execFileSync } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createHash } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import { Store } from '../src/store/store.js'
import { generateIdentityKey, identityFromKeyBytes } from '../src/identity/identity.js'
import { openHashLog, verifyLogStore } from '../src/log/hash-log.js'
import type { AppendItem } from '../src/log/entry.js'

function arg (name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback
}

const value = (i: number): Uint8Array => new Uint8Array(createHash('sha256').update(`measure ${i}`).digest())

if (process.argv.includes('--verify')) {
  // the child: verify the store at --verify <path>
  // peak RSS counts LevelDB's caches and the table files it maps; the JS heap is what would grow
  // with the store if the audit held batches or rows, so its peak is sampled too
  let peakHeap = 0
  const sample = setInterval(() => { peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed) }, 50)
  const store = await Store.open(arg('verify', ''))
  const report = await verifyLogStore(store)
  await store.close()
  clearInterval(sample)
  const cpu = process.cpuUsage()
  console.log(JSON.stringify({ ...report, cpuSeconds: +((cpu.user + cpu.system) / 1e6).toFixed(2), peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024), peakHeapMiB: Math.round(peakHeap / 2 ** 20) }))
} else {
  const entries = Number(arg('entries', '1000000'))
  const dir = await mkdtemp(join(tmpdir(), 'hashfed-measure-verify-'))
  try {
    const path = join(dir, 'store')
    const store = await Store.open(path, { create: true })
    const log = await openHashLog({ store })
    const identity = identityFromKeyBytes(await generateIdentityKey())
    const built = performance.now()
    const CHUNK = 50_000
    for (let from = 0; from < entries; from += CHUNK) {
      const items: AppendItem[] = []
      for (let i = from; i < Math.min(from + CHUNK, entries); i++) {
        items.push({ op: 'add', record: { algorithm: 'sha256', value: value(i), classification: 'baseline', ...(i % 10 === 0 ? { source: `case-${i % 1000}` } : {}) } })
      }
      await log.append(identity, items)
    }
    const retracts: AppendItem[] = []
    for (let i = 0; i < entries; i += 100) retracts.push({ op: 'retract', algorithm: 'sha256', value: value(i), reason: 'measure' })
    await log.append(identity, retracts)
    const buildSeconds = (performance.now() - built) / 1000
    await store.close()
    const out = execFileSync(process.execPath, [fileURLToPath(import.meta.url), '--verify', path], { encoding: 'utf8', maxBuffer: 1 << 20 })
    const report = JSON.parse(out) as { ok: boolean, ms: number, entries: number }
    console.log(JSON.stringify({ entriesBuilt: entries + retracts.length, buildSeconds: +buildSeconds.toFixed(1), ...report, verifySeconds: +(report.ms / 1000).toFixed(2), entriesPerSecond: Math.round(report.entries / (report.ms / 1000)) }))
  } finally {
    if (process.argv.includes('--keep')) console.log(`kept ${dir}`)
    else await rm(dir, { recursive: true, force: true })
  }
}
