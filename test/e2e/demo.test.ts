import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { waitFor } from '../helpers/federation.js'

const DEMO = resolve('dist/scripts/demo.js')

interface Run {
  output: () => string
  exited: Promise<number | null>
  kill: (signal: NodeJS.Signals) => void
}

/** `npm run demo` without its build step (the suite has just built; a rebuild would race other test files). */
function runDemo (args: string[]): Run {
  const child = spawn(process.execPath, [DEMO, ...args], { env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  child.stdout.on('data', (d: Buffer) => { out += d.toString() })
  child.stderr.on('data', (d: Buffer) => { out += d.toString() })
  const exited = new Promise<number | null>((res) => child.once('exit', (code) => res(code)))
  return { output: () => out, exited, kill: (s) => child.kill(s) }
}

function folderOf (output: string): string {
  const m = /Everything lives in (\S+)/.exec(output)
  assert.ok(m !== null, `the demo names its folder:\n${output}`)
  return m[1]
}

const alive = (pid: number): boolean => { try { process.kill(pid, 0); return true } catch { return false } }

test('npm run demo -- --exit: creates, connects, replicates, routes a report, returns its receipt and statuses, and cleans up', async () => {
  const run = runDemo(['--exit'])
  const code = await run.exited
  const out = run.output()
  assert.equal(code, 0, out)
  // replication of EOKM's list to both others
  assert.match(out, /replicated to DE-hotline: 24 hashes from EOKM, signature verified/)
  assert.match(out, /replicated to GB-hotline: 24 hashes from EOKM, signature verified/)
  assert.match(out, /EOKM\s+24\s+0\s+1\s+[0-9a-f]{64}/, 'list-origins at GB shows EOKM\'s list')
  // the report goes to EOKM only, the receipt and the three statuses come back in order
  assert.match(out, /report [0-9a-f-]{36}: for EOKM \(NL, geoip\)/)
  assert.doesNotMatch(out, /GB-hotline[^\n]*receipt|for GB-hotline|for DE-hotline/, 'the report goes to EOKM only')
  assert.match(out, /receipt: EOKM signed that it holds the report/)
  const seen = [...out.matchAll(/DE-hotline sees "([a-z-]+)"/g)].map(m => m[1])
  assert.deepEqual(seen, ['assessed', 'notice-sent', 'removed'])
  assert.match(out, /Example Hosting BV\s+1\s+0\s+1\s+\S+\s+\S+/, 'stats by hoster show the removal')
  // the peer table and the dashboards
  assert.match(out, /DE-hotline\s+12D3KooW\S+\s+DE\s+yes/)
  assert.match(out, /GB-hotline\s+12D3KooW\S+\s+GB\s+yes/)
  assert.equal([...out.matchAll(/^ {4}\S+\s+http:\/\/127\.0\.0\.1:\d+\/$/gm)].length, 3, 'three dashboard addresses')
  assert.match(out, /demo complete/)
  // stopped cleanly and removed its folder
  assert.doesNotMatch(out, /exited uncleanly|unexpected failure/)
  assert.equal(existsSync(folderOf(out)), false, 'the temp folder is removed')
})

test('Ctrl-C while the demo runs stops every node and removes the folder', async () => {
  const run = runDemo([])
  try {
    assert.ok(await waitFor(() => /all three are connected/.test(run.output()), 60_000, 100), run.output())
    const folder = folderOf(run.output())
    const pids = ['EOKM', 'DE-hotline', 'GB-hotline'].map(n => (JSON.parse(readFileSync(join(folder, n, 'runtime.json'), 'utf8')) as { pid: number }).pid)
    assert.ok(pids.every(alive))
    run.kill('SIGINT')
    const code = await run.exited
    assert.equal(code, 0, run.output())
    assert.match(run.output(), /Ctrl-C: stopping the three nodes/)
    assert.doesNotMatch(run.output(), /exited uncleanly/)
    assert.equal(existsSync(folder), false)
    assert.deepEqual(pids.filter(alive), [], 'no node process is left running')
  } finally {
    run.kill('SIGKILL')
  }
})
