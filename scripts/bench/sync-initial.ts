// Scenario 2: initial sync of 1M SHA-256 entries from one node to a fresh one, both real
// `hashfed start` processes on loopback, set beside min(channel limit, LevelDB limit).
//
//   node dist/scripts/bench/sync-initial.js [--scale 0.1]
import '../../src/polyfill.js'
import { mkdtemp, rm } from 'node:fs/promises'
import { readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { setTimeout as sleep } from 'node:timers/promises'
import { benchArgs, report, type BenchArgs, type Figure } from './bench-kit.js'
import { benchFederation, originEntries, populate, startProcess, writeContentIds, type NodeProcess } from './bench-federation.js'
import { measureLimits, type Limits } from './limits.js'

export async function initialSync (args: BenchArgs, limits: Limits): Promise<Figure[]> {
  const entries = Math.max(20_000, Math.round(1_000_000 * args.scale))
  const root = await mkdtemp(join(tmpdir(), 'hashfed-bench-sync-'))
  try {
    const [a, b] = await benchFederation(root, ['A', 'B'])
    // wire size per entry: the signed batches are what crosses the channel
    const bytesPerEntry = await populate(a, entries) / entries
    // the publisher in its steady state: a node that has held its entries for a while has
    // their HMA content-id rows; without this its first start writes a million rows in the
    // background (its own log is quiet) on the cores the sync is measured on
    if (process.env.HASHFED_BENCH_PUBLISHER_FIRST_START === undefined) await writeContentIds(a)
    const pa = await startProcess(a)
    const pb = await startProcess(b)
    const start = performance.now()
    const cpu0 = [childCpuMs(pa), childCpuMs(pb)]
    let held = 0
    while (held < entries) {
      await sleep(20)
      held = await originEntries(pb.api, a.peerId)
      if (performance.now() - start > 300_000) throw new Error(`sync stalled at ${held}`)
    }
    const seconds = (performance.now() - start) / 1000
    // on a loaded machine the wall time is mostly waiting: the nodes' own CPU beside it
    const cpu = [childCpuMs(pa) - cpu0[0], childCpuMs(pb) - cpu0[1]]
    await pa.stop()
    await pb.stop()
    const rate = entries / seconds
    const channelEntries = limits.channelBytesPerSecond / bytesPerEntry
    const limit = Math.min(channelEntries, limits.storeEntriesPerSecond)
    return [
      { scenario: 'initial sync', name: `time to sync ${entries.toLocaleString('en-US')} SHA-256 entries`, value: seconds, unit: 's', goal: 15 * args.scale, better: 'lower' },
      { scenario: 'initial sync', name: 'sync rate', value: rate, unit: 'entries/s', beside: `CPU publisher ${(cpu[0] / 1000).toFixed(1)} s, receiver ${(cpu[1] / 1000).toFixed(1)} s` },
      { scenario: 'initial sync', name: 'ratio to min(channel, LevelDB)', value: rate / limit, unit: '', goal: 0.5, better: 'higher', beside: `channel ${Math.round(channelEntries).toLocaleString('en-US')}/s (at ${bytesPerEntry.toFixed(1)} B/entry), LevelDB ${Math.round(limits.storeEntriesPerSecond).toLocaleString('en-US')}/s` }
    ]
  } finally {
    await rm(root, { recursive: true, force: true })
  }
}

/** user+system CPU of a node process so far, from /proc (ms; NaN where there is no /proc) */
function childCpuMs (p: NodeProcess): number {
  try {
    const stat = readFileSync(`/proc/${p.child.pid ?? 0}/stat`, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return (Number(fields[11]) + Number(fields[12])) * 10 // utime, stime in ticks of 10 ms
  } catch {
    return NaN
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = benchArgs()
  report(args, await initialSync(args, await measureLimits(args)))
}
