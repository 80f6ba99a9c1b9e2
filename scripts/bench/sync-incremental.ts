// Scenario 3: 1,000 new entries on top of N shared ones (100k and 1M): bytes on the wire and
// time from publishing at A to stored at B, beside rsync updating the exported list file
// (append order and sorted) from an `rsync --daemon` on 127.0.0.1 (run inetd-style per connection
// on a port the system assigns; without rsync installed the baseline is left out).
//
//   node dist/scripts/bench/sync-incremental.js [--scale 0.1]
import '../../src/polyfill.js'
import { execFile, execFileSync, spawn, spawnSync } from 'node:child_process'
import { promisify } from 'node:util'
import { createServer, type AddressInfo, type Server } from 'node:net'
import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { decodeBatch } from '../../src/log/batch.js'
import { fileURLToPath } from 'node:url'
import { setTimeout as sleep } from 'node:timers/promises'
import { randomBytes } from 'node:crypto'
import { HashfedNode } from '../../src/daemon/hashfed-node.js'
import { createLogger } from '../../src/util/logger.js'
import { benchArgs, median, report, type BenchArgs, type Figure } from './bench-kit.js'
import { benchFederation, populate, writeContentIds } from './bench-federation.js'
import { publishAddresses } from '../../test/helpers/federation.js'

const NEW_ENTRIES = 1000
const ROUNDS = 5

/** TCP payload bytes sent, summed over both ends of every established connection on these ports. */
function tcpBytes (ports: number[]): number {
  const filter = ports.map(p => `sport = :${p} or dport = :${p}`).join(' or ')
  const out = execFileSync('ss', ['-tinH', 'state', 'established', `( ${filter} )`], { encoding: 'utf8' })
  let total = 0
  for (const m of out.matchAll(/bytes_sent:(\d+)/g)) total += Number(m[1])
  return total
}

/** The origin's list as a `lines` file, in log (append) order or sorted. */
async function exportLines (node: HashfedNode, origin: string, file: string, sorted: boolean): Promise<void> {
  const lines: string[] = []
  for await (const signed of node.hashLog.readRange(origin, 1)) {
    for (const e of decodeBatch(signed).entries) lines.push(`sha256:${Buffer.from(e.value ?? []).toString('hex')}`)
  }
  if (sorted) lines.sort()
  await writeFile(file, lines.join('\n') + '\n')
}

/** rsync of `src` (served by a local daemon) onto `dest`: bytes both ways and seconds. */
async function rsyncOnce (port: number, dest: string): Promise<{ bytes: number, seconds: number }> {
  const start = performance.now()
  // asynchronously: the daemon that answers is served from this process's own event loop
  const { stdout: out } = await promisify(execFile)('rsync', ['--stats', '--no-whole-file', `rsync://127.0.0.1:${port}/lists/list.txt`, dest], { encoding: 'utf8', timeout: 120_000 })
  const seconds = (performance.now() - start) / 1000
  const sent = Number(/Total bytes sent: ([\d,]+)/.exec(out)?.[1].replace(/,/g, '') ?? NaN)
  const received = Number(/Total bytes received: ([\d,]+)/.exec(out)?.[1].replace(/,/g, '') ?? NaN)
  return { bytes: sent + received, seconds }
}

function hasRsync (): boolean {
  return spawnSync('rsync', ['--version'], { stdio: 'ignore' }).status === 0
}

/** An rsync daemon on 127.0.0.1 port 0: each connection is handed to `rsync --daemon` on its stdin (inetd mode). */
async function rsyncDaemon (config: string): Promise<Server> {
  const server = createServer((socket) => {
    const child = spawn('rsync', ['--daemon', `--config=${config}`], { stdio: [socket, socket, 'ignore'] })
    child.once('exit', () => socket.destroy())
  })
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve))
  return server
}

async function measureAt (args: BenchArgs, shared: number): Promise<Figure[]> {
  const root = await mkdtemp(join(tmpdir(), 'hashfed-bench-incr-'))
  const quiet = createLogger({}, { write: () => {} } as never)
  let a: HashfedNode | undefined
  let b: HashfedNode | undefined
  let daemon: Server | undefined
  try {
    const [ma, mb] = await benchFederation(root, ['A', 'B'])
    await populate(ma, shared)
    // measured in the steady state of a node holding N entries: the HMA bank_content_id rows a
    // first start writes in the background (a million random keys, then their compaction) are
    // written before, as an operator's node has long finished them (README "Performance")
    await writeContentIds(ma)
    // B starts as a replica holding the same N entries (a copy of A's store)
    await rm(join(mb.dir, 'store'), { recursive: true })
    await cp(join(ma.dir, 'store'), join(mb.dir, 'store'), { recursive: true })
    a = await HashfedNode.start({ dir: ma.dir, logger: quiet })
    b = await HashfedNode.start({ dir: mb.dir, logger: quiet })
    await Promise.all([a.backgroundSettled(), b.backgroundSettled()])
    await publishAddresses(ma, a)
    await publishAddresses(mb, b)
    for (let i = 0; i < 400 && !(a.members.isConnected(mb.peerId) && b.replicator.peerState(ma.peerId).lastSyncAt !== null); i++) await sleep(25)
    await sleep(300) // let the opening sessions and identify settle
    const origin = ma.peerId

    // rsync baseline files: the list before the new entries
    const srcDir = join(root, 'rsync-src')
    const destAppend = join(root, 'dest-append.txt')
    const destSorted = join(root, 'dest-sorted.txt')
    await mkdir(srcDir)

    const times: number[] = []
    const bytes: number[] = []
    // CPU of this process (both nodes) from publish to stored: on a loaded machine the wall time is mostly waiting
    const cpus: number[] = []
    // round 0 warms up (JIT, first stream); it is not counted
    for (let round = -1; round < ROUNDS; round++) {
      if (round === ROUNDS - 1) {
        // rsync's receiver holds the list as it was before the last 1,000 entries
        await exportLines(a, origin, destAppend, false)
        await exportLines(a, origin, destSorted, true)
      }
      const seq = (b.hashLog.head(origin)?.seq ?? 0) + 1
      const stored = new Promise<number>((resolve) => {
        const on = (e: { origin: string, seq: number }): void => {
          if (e.origin === origin && e.seq === seq) { b!.hashLog.off('batch', on); resolve(performance.now()) }
        }
        b!.hashLog.on('batch', on)
      })
      const before = tcpBytes([ma.port, mb.port])
      const values = randomBytes(32 * NEW_ENTRIES)
      const items = Array.from({ length: NEW_ENTRIES }, (_, i) => ({ op: 'add' as const, record: { algorithm: 'sha256' as const, value: values.subarray(i * 32, i * 32 + 32), classification: 'baseline' as const } }))
      const cpu0 = process.cpuUsage()
      const t0 = performance.now()
      await a.hashLog.append(a.ctx.identity, items)
      const ms = await stored - t0
      const cpu = process.cpuUsage(cpu0)
      await b.replicator.idle()
      await a.replicator.idle()
      await sleep(50)
      if (round < 0) continue
      times.push(ms)
      cpus.push((cpu.user + cpu.system) / 1000)
      bytes.push(tcpBytes([ma.port, mb.port]) - before)
    }

    // rsync: the same 1,000 lines more (the last round's list), append order and sorted
    let appended = { bytes: NaN, seconds: NaN }
    let sorted = { bytes: NaN, seconds: NaN }
    if (hasRsync()) {
      // the daemon stays this user (as root it would become nobody, and the files are owner-only)
      await writeFile(join(root, 'rsyncd.conf'), `use chroot = no\nuid = ${process.getuid?.() ?? 0}\ngid = ${process.getgid?.() ?? 0}\n[lists]\npath = ${srcDir}\nread only = yes\n`)
      daemon = await rsyncDaemon(join(root, 'rsyncd.conf'))
      const rsyncPort = (daemon.address() as AddressInfo).port
      await exportLines(a, origin, join(srcDir, 'list.txt'), false)
      appended = await rsyncOnce(rsyncPort, destAppend)
      await exportLines(a, origin, join(srcDir, 'list.txt'), true)
      sorted = await rsyncOnce(rsyncPort, destSorted)
    }
    const label = `${shared.toLocaleString('en-US')} shared`
    return [
      { scenario: 'incremental sync', name: `${label}: bytes on the wire for 1,000 new entries`, value: median(bytes) / 1024, unit: 'KiB', goal: 100, better: 'lower', beside: Number.isNaN(appended.bytes) ? 'rsync not installed: no baseline' : `rsync ${(appended.bytes / 1024).toFixed(0)} KiB appended, ${(sorted.bytes / 1024).toFixed(0)} KiB sorted` },
      { scenario: 'incremental sync', name: `${label}: publish to stored at the peer (median of ${ROUNDS})`, value: median(times), unit: 'ms', goal: 50, better: 'lower', beside: `CPU ${median(cpus).toFixed(0)} ms (both nodes); ${Number.isNaN(appended.seconds) ? 'rsync not installed: no baseline' : `rsync ${(appended.seconds * 1000).toFixed(0)} ms appended, ${(sorted.seconds * 1000).toFixed(0)} ms sorted (transfer only)`}` }
    ]
  } finally {
    daemon?.close()
    await a?.stop()
    await b?.stop()
    await rm(root, { recursive: true, force: true })
  }
}

export async function incrementalSync (args: BenchArgs): Promise<Figure[]> {
  const sizes = [100_000, 1_000_000].map(n => Math.max(10_000, Math.round(n * args.scale)))
  const figures: Figure[] = []
  for (const n of sizes) figures.push(...await measureAt(args, n))
  return figures
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = benchArgs()
  report(args, await incrementalSync(args))
}
