import { test } from 'node:test'
import assert from 'node:assert/strict'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { tempDir } from '../helpers/temp-dir.js'
import { runCli } from '../helpers/cli.js'
import { startNode } from '../helpers/crash.js'
import { createFederation, waitFor } from '../helpers/federation.js'
import type { ReportView } from '../../src/reports/report-view.js'

// Finding 7: a member's report note and hoster, and an origin's hash source, reached the
// terminal raw: ESC[2J cleared the analyst's screen, OSC 8 planted a link, OSC 52 wrote the
// clipboard, BEL rang, CR overwrote the line, C1 CSI and bidi overrides hid or reordered text.
// Here DE sends such text to EOKM for real (a report over libp2p, a hash list by replication,
// a status note back) and every listing, as the real CLI prints it, must hold no raw control.

const ESC = '\u001b'
const BEL = '\u0007'
const NOTE = `${ESC}[2J${ESC}[H${ESC}]8;;https://evil.example/${BEL}click here${ESC}]8;;${BEL}${ESC}]52;c;ZXZpbA==${BEL}\rstatus     removed\nnote        all fine${BEL}`
const HOSTER = 'Evil\u009b2J\u202eCorp' // C1 CSI and RIGHT-TO-LEFT OVERRIDE: local submit accepts both
const SOURCE = `case-1${ESC}]52;c;ZXZpbA==${BEL}${ESC}[8m\r`
const MD5 = 'md5:' + '0f'.repeat(16)

/** Control characters a terminal must never receive raw; our own newlines excepted. */
const RAW_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]/

async function printed (args: string[]): Promise<string> {
  const res = await runCli(args)
  assert.equal(res.code, 0, `hashfed ${args.join(' ')}: ${res.stderr}`)
  const at = RAW_CONTROL.exec(res.stdout + res.stderr)
  assert.equal(at, null, `hashfed ${args.join(' ')} printed a raw U+${at?.[0].charCodeAt(0).toString(16).padStart(4, '0')}:\n${JSON.stringify(res.stdout)}`)
  return res.stdout
}

test('CLI output: control characters in a member\'s report, status note and hash source are printed escaped, JSON stays exact', async () => {
  const root = await tempDir()
  const [nl, de] = await createFederation(root, [{ name: 'EOKM', countries: ['NL'] }, { name: 'DE', countries: ['DE'] }])
  const list = join(root, 'list.csv')
  await writeFile(list, `algorithm,value,source\nmd5,${'0f'.repeat(16)},"${SOURCE}"\n`)
  assert.equal((await runCli(['hashes', 'import', list, '--format', 'csv', '--dir', de.dir])).code, 0)
  const submitted = await runCli(['reports', 'submit', '--dir', de.dir, '--url', 'https://cdn.example.nl/a.jpg', '--country', 'NL', '--hoster', HOSTER, '--note', NOTE, '--json'])
  assert.equal(submitted.code, 0, submitted.stderr)
  const id = (JSON.parse(submitted.stdout) as ReportView).id

  // port 0: each learns the other's real address once both run
  const a = await startNode(nl.dir)
  const b = await startNode(de.dir)
  try {
    assert.ok(await waitFor(async () => {
      const res = await runCli(['reports', 'show', id, '--dir', nl.dir, '--json'])
      return res.code === 0
    }, 30_000, 200), `EOKM receives DE's report: ${b.output()}`)
    assert.ok(await waitFor(async () => {
      const res = await runCli(['hashes', 'show', MD5, '--dir', nl.dir, '--json'])
      return res.code === 0 && (JSON.parse(res.stdout) as { origins: unknown[] }).origins.length > 0
    }, 30_000, 200), 'DE\'s list replicates to EOKM')
    assert.equal((await runCli(['reports', 'update', id, '--dir', nl.dir, '--status', 'assessed', '--note', NOTE])).code, 0)
    assert.ok(await waitFor(async () => {
      const res = await runCli(['reports', 'show', id, '--dir', de.dir, '--json'])
      return res.code === 0 && (JSON.parse(res.stdout) as ReportView).status === 'assessed'
    }, 30_000, 200), 'EOKM\'s status note reaches DE')

    // through the running nodes' admin APIs
    for (const dir of [nl.dir, de.dir]) {
      const shown = await printed(['reports', 'show', id, '--dir', dir])
      assert.ok(shown.includes('\\x1b[2J') && shown.includes('\\x07') && shown.includes('\\x0d') && shown.includes('\\x9b') && shown.includes('\\u202e'), `escapes are visible:\n${shown}`)
      assert.doesNotMatch(shown, /^status\s+removed/m, 'a newline in the note cannot fake a line')
      await printed(['reports', 'list', '--dir', dir])
      const stats = await printed(['reports', 'stats', '--by', 'hoster', '--dir', dir])
      assert.ok(stats.includes('Evil\\x9b2J\\u202eCorp'), stats)
      await printed(['status', '--dir', dir])
      await printed(['peers', '--dir', dir])
      await printed(['audit', '--dir', dir])
      await printed(['hashes', 'show', MD5, '--dir', dir])
    }
    assert.ok((await printed(['hashes', 'show', MD5, '--dir', nl.dir])).includes('case-1\\x1b]52;c;ZXZpbA==\\x07'))

    // --json: valid JSON that reads back as the exact text, with no raw control on the wire
    const json = await printed(['reports', 'show', id, '--dir', nl.dir, '--json'])
    const view = JSON.parse(json) as ReportView
    assert.equal(view.note, NOTE)
    assert.equal(view.hoster, HOSTER)
  } finally {
    const codes = [await a.stop(), await b.stop()]
    assert.deepEqual(codes, [0, 0], `both nodes stop cleanly:\n${a.output()}\n${b.output()}`)
  }
  // offline: the CLI reads the stores itself
  for (const dir of [nl.dir, de.dir]) {
    await printed(['reports', 'show', id, '--dir', dir])
    await printed(['reports', 'stats', '--by', 'hoster', '--dir', dir])
    await printed(['hashes', 'show', MD5, '--dir', dir])
    await printed(['status', '--dir', dir])
  }
})
