#!/usr/bin/env node
// `npm run demo`: a three-hotline federation on 127.0.0.1, driven through the real `hashfed`
// CLI and real `hashfed start` processes, narrated step by step. `--exit` stops at the end
// (the README's promise is tested by test/e2e/demo.test.ts); `--keep` leaves the folder.
import { mkdtemp, rm } from 'node:fs/promises'
import { existsSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { setTimeout as sleep } from 'node:timers/promises'
import { Narrator, seconds } from './demo/narrator.js'
import { NodeProcess, runHashfed, type CliInit } from './demo/hashfed-process.js'
import { nodeDir } from '../src/config/node-dir.js'
import { readLiveRuntime } from '../src/context/runtime-file.js'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..')
const CLI = join(ROOT, 'dist', 'src', 'cli', 'main.js')
const SAMPLE = join(ROOT, 'scripts', 'demo-data', 'sample-hashes.txt')
const STEPS = 7

/** How long any one wait may take before the demo gives up and shows the node logs. */
const WAIT_MS = 30_000

/**
 * RIPE NCC's own address, in Amsterdam: geolocation puts it in NL on every database. The
 * reported URL's host is under `.test` (RFC 2606): nothing is ever contacted, by design.
 */
const NL_IP = '193.0.6.139'
const REPORT_URL = 'http://nl-host.example.test/gallery/4711'
const HOSTER = 'Example Hosting BV'

interface Hotline {
  name: string
  country: string
  /** what the narration calls it */
  label: string
}

const HOTLINES: Hotline[] = [
  { name: 'EOKM', country: 'NL', label: 'EOKM, the Dutch hotline' },
  { name: 'DE-hotline', country: 'DE', label: 'a German hotline' },
  { name: 'GB-hotline', country: 'GB', label: 'a British hotline' }
]

interface DemoNode extends Hotline {
  dir: string
  /** real ports, read from runtime.json once the node runs */
  port: number
  apiPort: number
  peerId: string
  announce: string
  adminUrl: string
  process?: NodeProcess
}

interface ReportJson {
  id: string
  status: string
  target: string | null
  receivedAt: string | null
  timeToRemovalMs: number | null
}

class DemoFailure extends Error {}

const say = new Narrator()
const argv = process.argv.slice(2)
const exitAtEnd = argv.includes('--exit')
const keep = argv.includes('--keep')
if (argv.includes('--help') || argv.includes('-h')) {
  say.line('usage: npm run demo [-- --exit] [-- --keep]\n  --exit  stop the nodes and remove the folder at the end instead of waiting for Ctrl-C\n  --keep  keep the demo folder (keys, stores, logs) after stopping')
  process.exit(0)
}

const cli: CliInit = { cli: CLI, env: { HASHFED_LOG_LEVEL: process.env.HASHFED_LOG_LEVEL ?? 'info' } }
const nodes: DemoNode[] = []
let folder: string | null = null
let shuttingDown: Promise<never> | null = null

// ------------------------------------------------------------------ helpers

async function hashfed (args: string[], opts: { show?: boolean, echo?: boolean } = {}): Promise<string> {
  if (opts.echo !== false) say.command(args)
  const res = await runHashfed(cli, args)
  if (res.code !== 0) throw new DemoFailure(`hashfed ${say.short(args.join(' '))} exited ${res.code}:\n${res.stderr.trim()}`)
  if (opts.show !== false) say.output(res.stdout)
  return res.stdout
}

async function api<T> (node: DemoNode, path: string): Promise<T> {
  const res = await fetch(node.adminUrl + path, { signal: AbortSignal.timeout(5000) })
  if (!res.ok) throw new Error(`GET ${path} at ${node.name}: HTTP ${res.status}`)
  return await res.json() as T
}

/** Polls until `check` gives a value (not undefined); returns it with the time it took. */
async function until<T> (what: string, check: () => Promise<T | undefined>, timeoutMs = WAIT_MS): Promise<{ value: T, ms: number }> {
  const start = Date.now()
  while (Date.now() - start < timeoutMs) {
    const value = await check().catch((err: unknown) => { if (err instanceof DemoFailure) throw err; return undefined })
    if (value !== undefined) return { value, ms: Date.now() - start }
    await sleep(50)
  }
  throw new DemoFailure(`gave up waiting ${seconds(timeoutMs)} for ${what}`)
}

const byName = (name: string): DemoNode => nodes.find(n => n.name === name)!

// ------------------------------------------------------------------ the story

async function createNodes (): Promise<void> {
  say.heading(STEPS, 'Creating three hotline nodes')
  say.say('Each gets its own Ed25519 identity key, config, federation file and LevelDB store; its')
  say.say('servers listen on port 0 of 127.0.0.1, so the system assigns each a port that is free.')
  const planned = HOTLINES.map(h => ({ ...h, dir: join(folder!, h.name) }))
  const args = planned.map(n => ['init', '--dir', n.dir, '--name', n.name, '--country', n.country, '--listen', '/ip4/127.0.0.1/tcp/0',
    '--api-port', '0', '--check-port', '0', '--json'])
  args.forEach(a => say.command(a))
  const outs = await Promise.all(args.map(async a => await hashfed(a, { show: false, echo: false })))
  planned.forEach((n, i) => {
    const res = JSON.parse(outs[i]) as { peerId: string }
    nodes.push({ ...n, peerId: res.peerId, port: 0, apiPort: 0, announce: '', adminUrl: '' })
    say.ok(`${n.name.padEnd(10)} ${n.country}  peer ${short(res.peerId)}`)
  })
}

async function start (): Promise<void> {
  say.heading(STEPS, 'Starting the nodes')
  for (const n of nodes) {
    say.command(['start', '--dir', n.dir])
    n.process = new NodeProcess(cli, n.dir, join(folder!, `${n.name}.log`))
  }
  say.wait('each node writes where it really listens into its runtime.json')
  await Promise.all(nodes.map(async (n) => {
    const { value: rt } = await until(`${n.name} to start`, async () => {
      if (n.process?.running !== true) throw new DemoFailure(`${n.name} stopped while starting`)
      const rt = await readLiveRuntime(nodeDir(n.dir))
      return rt !== null && rt.pid === n.process.child.pid ? rt : undefined
    })
    n.adminUrl = rt.adminUrl
    n.apiPort = Number(new URL(rt.adminUrl).port)
    n.announce = rt.listen.map(a => a.replace(/\/p2p\/.*$/, '')).find(a => a.startsWith('/ip4/127.0.0.1/tcp/')) ?? ''
    n.port = Number(/\/tcp\/(\d+)/.exec(n.announce)?.[1] ?? 0)
    if (n.port === 0) throw new DemoFailure(`${n.name} reports no TCP listen address: ${rt.listen.join(' ')}`)
  }))
  for (const n of nodes) say.ok(`${n.name.padEnd(10)} listening on 127.0.0.1:${n.port}, admin API on 127.0.0.1:${n.apiPort}`)
}

async function introduce (): Promise<void> {
  say.heading(STEPS, 'Introducing them to each other')
  say.say('A node admits only the peer IDs in its federation file, in both directions; in real life')
  say.say('hotlines exchange their peer IDs, countries and addresses out of band. A running node')
  say.say('applies an added member at once. For EOKM:')
  await Promise.all(nodes.map(async (n) => {
    for (const other of nodes) {
      if (other === n) continue
      await hashfed(['federation', 'add', '--dir', n.dir, '--name', other.name, '--peer-id', other.peerId, '--country', other.country, '--addr', other.announce],
        { show: false, echo: n.name === 'EOKM' })
    }
  }))
  say.ok('each of the three lists the other two (and the same was done at DE-hotline and GB-hotline)')
  say.wait('each node dials the others over TCP; Noise authenticates both keys before anything else is said')
  const { ms } = await until('the three nodes to connect to each other', async () => {
    for (const n of nodes) {
      if (n.process?.running !== true) throw new DemoFailure(`${n.name} stopped while starting`)
      const s = await api<{ members: Array<{ self: boolean, connected: boolean }> }>(n, '/v1/status')
      if (s.members.filter(m => !m.self && m.connected).length < 2) return undefined
    }
    return true
  })
  say.ok(`all three are connected to each other (${seconds(ms)}); JSON logs are in $DEMO/<name>.log`)
}

async function publish (): Promise<void> {
  const eokm = byName('EOKM')
  say.heading(STEPS, 'EOKM publishes a hash list; it replicates to the others')
  say.say('A small sample list (made-up values that match nothing) is signed by EOKM as one batch')
  say.say('in its own append-only log. Every node that receives it verifies EOKM\'s signature.')
  const sample = relative(process.cwd(), SAMPLE).startsWith('..') ? SAMPLE : relative(process.cwd(), SAMPLE)
  await hashfed(['hashes', 'import', sample, '--dir', eokm.dir, '--format', 'lines'])
  const expected = readFileSync(SAMPLE, 'utf8').split('\n').filter(l => l.trim() !== '' && !l.startsWith('#')).length
  const t0 = Date.now()
  say.wait(`waiting until DE-hotline and GB-hotline hold EOKM's ${expected} hashes`)
  for (const n of nodes.filter(x => x !== eokm)) {
    await until(`${n.name} to receive EOKM's list`, async () => {
      const { origins } = await api<{ origins: Array<{ origin: string, entries: number }> }>(n, '/v1/hashes/origins')
      return origins.find(o => o.origin === eokm.peerId && o.entries === expected) !== undefined ? true : undefined
    })
    say.ok(`replicated to ${n.name}: ${expected} hashes from EOKM, signature verified (${seconds(Date.now() - t0)} after the import finished)`)
  }
  await hashfed(['hashes', 'list-origins', '--dir', byName('GB-hotline').dir])
}

async function report (): Promise<string> {
  const de = byName('DE-hotline')
  say.heading(STEPS, 'DE-hotline reports a URL hosted in the Netherlands')
  say.say(`The material is served from ${NL_IP}, an address in NL, so the report goes to EOKM and to no`)
  say.say('one else. (The host name is reserved for examples: nothing is contacted, no image exists.)')
  const out = await hashfed(['reports', 'submit', '--dir', de.dir, '--url', REPORT_URL, '--ip', NL_IP, '--hoster', HOSTER, '--media', 'image'])
  const id = /report ([0-9a-f-]{36})/.exec(out)?.[1]
  if (id === undefined) throw new DemoFailure(`reports submit printed no report id: ${out}`)
  const view = await api<ReportJson>(de, `/v1/reports/${id}`)
  if (view.target !== 'EOKM') throw new DemoFailure(`the report was routed to ${view.target ?? 'nobody'}, not EOKM`)
  const { value, ms } = await until('EOKM\'s receipt', async () => {
    const r = await api<ReportJson>(de, `/v1/reports/${id}`)
    return r.receivedAt !== null ? r : undefined
  })
  say.ok(`receipt: EOKM signed that it holds the report (${seconds(ms)}); DE-hotline shows it as "${value.status}"`)
  await hashfed(['reports', 'list', '--dir', byName('EOKM').dir, '--inbound'])
  return id
}

async function handle (id: string): Promise<void> {
  const eokm = byName('EOKM')
  const de = byName('DE-hotline')
  say.heading(STEPS, 'EOKM handles the report; each status flows back to DE-hotline')
  const steps: Array<[string, string]> = [
    ['assessed', 'confirmed as illegal'],
    ['notice-sent', 'notice and takedown request sent to the hoster'],
    ['removed', 'the hoster took it down']
  ]
  for (const [status, note] of steps) {
    await hashfed(['reports', 'update', id, '--dir', eokm.dir, '--status', status, '--note', note], { show: false })
    const { ms } = await until(`DE-hotline to see "${status}"`, async () => {
      const r = await api<ReportJson>(de, `/v1/reports/${id}`)
      return r.status === status ? true : undefined
    })
    say.ok(`DE-hotline sees "${status}" (${seconds(ms)}), signed by EOKM`)
  }
  await hashfed(['reports', 'show', id, '--dir', de.dir])
  say.say('Time to removal, per hoster, as DE-hotline measures it:')
  await hashfed(['reports', 'stats', '--dir', de.dir, '--by', 'hoster'])
}

async function overview (): Promise<void> {
  const eokm = byName('EOKM')
  say.heading(STEPS, 'The federation at a glance')
  say.say('One row per member, as EOKM sees it: connection, round trip, last sync, lag, rejections, outbox.')
  await hashfed(['peers', '--dir', eokm.dir])
  say.line()
  say.line(say.style('  Dashboards (live; open one in a browser on this machine):', 'bold'))
  for (const n of nodes) say.line(`    ${n.name.padEnd(11)} ${say.style(n.adminUrl + '/', 'cyan')}`)
}

// ------------------------------------------------------------------ start and stop

function short (peerId: string): string {
  return `${peerId.slice(0, 8)}…${peerId.slice(-6)}`
}

async function stopAll (): Promise<void> {
  const codes = await Promise.all(nodes.map(async n => await n.process?.stop()))
  const unclean = nodes.filter((_, i) => codes[i] !== undefined && codes[i] !== 0)
  if (unclean.length > 0) say.warn(`${unclean.map(n => n.name).join(', ')} exited uncleanly (see the logs)`)
  if (folder !== null && !keep) await rm(folder, { recursive: true, force: true })
}

function shutdown (reason: 'end' | 'signal' | 'failure'): Promise<never> {
  shuttingDown ??= (async () => {
    say.line()
    say.wait(reason === 'signal' ? 'Ctrl-C: stopping the three nodes' : 'stopping the three nodes')
    await stopAll().catch((err: unknown) => say.error(`stopping failed: ${(err as Error).message}`))
    if (folder !== null) say.ok(keep ? `stopped; the demo folder is kept: ${folder}` : `stopped; removed ${folder}`)
    process.exit(reason === 'failure' ? 1 : 0)
  })()
  return shuttingDown
}

function tail (file: string, lines: number): string {
  if (!existsSync(file)) return '(no log)'
  return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n')
}

async function main (): Promise<void> {
  if (!existsSync(CLI)) {
    say.error(`${CLI} is missing: run \`npm run build\` first (\`npm run demo\` does).`)
    process.exit(1)
  }
  process.on('SIGINT', () => { void shutdown('signal') })
  process.on('SIGTERM', () => { void shutdown('signal') })
  // never leave nodes behind, even on a crash
  process.on('exit', () => { for (const n of nodes) if (n.process?.running === true) n.process.child.kill('SIGTERM') })

  folder = await mkdtemp(join(tmpdir(), 'hashfed-demo-'))
  say.folder = folder
  say.title('hashfed demo: three hotlines federating on this machine', [
    'EOKM (NL), a German hotline (DE) and a British one (GB), each a real `hashfed start` process',
    `with its own key, store and ports on 127.0.0.1. Everything lives in ${folder}`,
    '($DEMO below) and is removed when the demo stops.'
  ])
  const t0 = Date.now()
  try {
    await createNodes()
    await start()
    await introduce()
    await publish()
    const id = await report()
    await handle(id)
    await overview()
  } catch (err) {
    if (shuttingDown !== null) return await shuttingDown
    say.line()
    say.error(err instanceof DemoFailure ? err.message : `unexpected failure: ${(err as Error).stack ?? String(err)}`)
    for (const n of nodes) {
      if (n.process === undefined) continue
      say.line(say.style(`  last lines of ${n.name}'s log:`, 'dim'))
      say.output(tail(n.process.logFile, 8))
    }
    await shutdown('failure')
  }
  say.line()
  say.ok(`demo complete in ${seconds(Date.now() - t0)}: list replicated, report routed, receipt and statuses returned`)
  if (exitAtEnd) {
    await shutdown('end')
  } else {
    say.line(`  The nodes keep running. Try: ${say.style(`npx hashfed status --dir ${folder}/EOKM`, 'bold')}`)
    say.line(`  Press ${say.style('Ctrl-C', 'bold')} to stop them and remove the folder.`)
  }
}

await main()
