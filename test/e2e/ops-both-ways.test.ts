import { test } from 'node:test'
import assert from 'node:assert/strict'
import { join, resolve } from 'node:path'
import { writeFile } from 'node:fs/promises'
import { tempDir } from '../helpers/temp-dir.js'
import { runCli, type CliResult } from '../helpers/cli.js'
import { startNode } from '../helpers/crash.js'

// Every CLI data command, with the node stopped (the CLI opens the node's components itself)
// and running (the CLI asks its admin API): the same bad input must fail with the same code
// and the same words, and the same good input must give the same answer.

const SHA = (c: string): string => c.repeat(64)
const IMAGE = resolve('test/fixtures/pdq/bridge-1-original.jpg')
const UNKNOWN_REPORT = '00000000-0000-4000-8000-000000000000'

function badInputs (dir: string, list: string): string[][] {
  const d = ['--dir', dir]
  return [
    ['hashes', 'import', list, ...d, '--format', 'txt'],
    ['hashes', 'import', list, ...d, '--format', 'lines', '--classification', 'illegal'],
    ['hashes', 'import', list, ...d, '--format', 'lines', '--algorithm', 'crc32'],
    ['hashes', 'import', join(dir, 'no-such-list.txt'), ...d, '--format', 'lines'],
    ['hashes', 'export', ...d, '--format', 'txt'],
    ['hashes', 'export', ...d, '--format', 'lines', '--origin', 'nobody'],
    ['hashes', 'retract', 'sha256:zz', ...d, '--reason', 'test'],
    ['hashes', 'retract', `sha256:${SHA('a')}`, ...d, '--reason', ''],
    ['hashes', 'show', 'nonsense', ...d],
    ['hashes', 'add-images', IMAGE, ...d, '--classification', 'illegal'],
    ['hashes', 'list-origins', ...d, '--bogus'],
    ['reports', 'submit', ...d, '--url', ''],
    ['reports', 'submit', ...d, '--url', 'https://example.nl/a', '--media', 'film'],
    ['reports', 'submit', ...d, '--url', 'https://example.nl/a', '--country', 'XX'],
    ['reports', 'submit', ...d, '--url', 'javascript:alert(1)', '--country', 'NL'],
    ['reports', 'list', ...d, '--status', 'lost'],
    ['reports', 'list', ...d, '--limit', '0'],
    ['reports', 'list', ...d, '--limit', 'many'],
    ['reports', 'show', UNKNOWN_REPORT, ...d],
    ['reports', 'show', 'x'.repeat(65), ...d],
    ['reports', 'update', UNKNOWN_REPORT, ...d, '--status', 'gone'],
    ['reports', 'update', UNKNOWN_REPORT, ...d, '--status', 'removed'],
    ['reports', 'stats', ...d, '--by', 'colour'],
    ['reports', 'stats', ...d, '--since', 'yesterday-ish'],
    ['tokens', 'create', ...d, '--name', 'Jane Doe <jane@example.org>'],
    ['tokens', 'create', ...d, '--name', 'x'.repeat(65)],
    ['tokens', 'revoke', 'nobody', ...d],
    ['match', 'disable', 'nobody', ...d],
    ['match', 'enable', 'x'.repeat(200), ...d],
    ['feedback', ...d, '--ref', `sha256:${SHA('a')}`, '--verdict', 'maybe'],
    ['feedback', ...d, '--ref', 'sha256:zz', '--verdict', 'disputed', '--reason', 'x'],
    ['check', 'sha256:zz', ...d],
    ['audit', ...d, '--since', 'yesterday'],
    ['audit', ...d, '--limit', '0'],
    ['federation', 'add', ...d, '--name', '', '--peer-id', '12D3KooWxyz'],
    ['federation', 'add', ...d, '--name', 'BE', '--peer-id', 'not-a-peer-id']
  ]
}

function goodReads (dir: string): string[][] {
  const d = ['--dir', dir, '--json']
  return [
    ['hashes', 'list-origins', ...d],
    ['hashes', 'show', `sha256:${SHA('a')}`, ...d],
    ['reports', 'list', ...d],
    ['reports', 'list', '--outbound', '--limit', '5', ...d],
    ['tokens', 'list', ...d],
    ['federation', 'list', ...d],
    ['disputes', 'list', '--all', ...d],
    ['check', `sha256:${SHA('a')}`, `sha256:${SHA('9')}`, ...d],
    ['peers', ...d],
    ['audit', ...d]
  ]
}

async function runAll (commands: string[][]): Promise<CliResult[]> {
  const out: CliResult[] = []
  for (const args of commands) out.push(await runCli(args))
  return out
}

test('every CLI data command fails with the same code and message, and reads the same, with the node stopped and running', async () => {
  const root = await tempDir()
  const dir = join(root, 'nl')
  const init = await runCli(['init', '--dir', dir, '--name', 'EOKM', '--country', 'NL', '--listen', '/ip4/127.0.0.1/tcp/0', '--api-port', '0', '--check-port', '0'])
  assert.equal(init.code, 0, init.stderr)
  const list = join(root, 'list.txt')
  await writeFile(list, [SHA('a'), SHA('b'), 'c'.repeat(40)].join('\n') + '\n')
  // something to read: a list, a report, a token
  for (const args of [['hashes', 'import', list, '--format', 'lines'], ['reports', 'submit', '--url', 'https://example.nl/a', '--country', 'NL'], ['tokens', 'create', '--name', 'hoster-1']]) {
    const res = await runCli([...args, '--dir', dir])
    assert.equal(res.code, 0, `${args.join(' ')}: ${res.stderr}`)
  }

  const bad = badInputs(dir, list)
  const stoppedBad = await runAll(bad)
  const stoppedReads = await runAll(goodReads(dir))
  const node = await startNode(dir)
  let runningBad: CliResult[]
  let runningReads: CliResult[]
  const api: Array<{ code: string, message: string }> = []
  try {
    runningBad = await runAll(bad)
    runningReads = await runAll(goodReads(dir))
    // the admin API answers a bad request in the same words as the CLI
    const ask = async (method: string, path: string, body?: unknown): Promise<void> => {
      const res = await fetch(node.adminUrl + path, { method, headers: body !== undefined ? { 'content-type': 'application/json' } : { 'x-hashfed-request': '1' }, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) })
      assert.equal(res.status >= 400, true, path)
      api.push(((await res.json()) as { error: { code: string, message: string } }).error)
    }
    await ask('POST', '/v1/hashes/import?format=txt')
    await ask('GET', '/v1/hashes/export?format=txt')
    await ask('GET', '/v1/reports?limit=0')
    await ask('POST', '/v1/reports', { url: 'https://example.nl/a', media: 'film' })
    await ask('POST', '/v1/feedback', { ref: `sha256:${SHA('a')}`, verdict: 'maybe' })
  } finally {
    assert.equal(await node.stop(), 0)
  }

  for (let i = 0; i < bad.length; i++) {
    const what = bad[i].filter(a => a !== dir).join(' ')
    assert.notEqual(stoppedBad[i].code, 0, `${what} fails with the node stopped`)
    assert.match(stoppedBad[i].stderr, /error \[HF_[A-Z_]+\]: |error: /, what)
    assert.doesNotMatch(stoppedBad[i].stderr, /HF_INTERNAL/, what)
    assert.deepEqual({ code: runningBad[i].code, stderr: runningBad[i].stderr }, { code: stoppedBad[i].code, stderr: stoppedBad[i].stderr }, what)
  }
  const cliError = (i: number): string => stoppedBad[i].stderr.trim()
  const lineOf = (e: { code: string, message: string }): string => `error [${e.code}]: ${e.message}`
  assert.equal(lineOf(api[0]), cliError(0), 'hashes import --format txt: API and CLI')
  assert.equal(cliError(0), 'error [HF_INVALID_ARGUMENT]: format: "txt" is not one of lines, csv, ncmec-xml, vics-json, icse-csv, hma-csv, stopncii-json')
  assert.equal(lineOf(api[1]), cliError(4), 'hashes export --format txt')
  assert.equal(lineOf(api[2]), cliError(16), 'reports list --limit 0')
  assert.equal(lineOf(api[3]), cliError(12), 'reports submit --media film')
  assert.equal(lineOf(api[4]), cliError(29), 'feedback --verdict maybe')

  const reads = goodReads(dir)
  for (let i = 0; i < reads.length; i++) {
    const what = reads[i].filter(a => a !== dir).join(' ')
    assert.equal(stoppedReads[i].code, 0, `${what}: ${stoppedReads[i].stderr}`)
    assert.equal(runningReads[i].code, 0, `${what}: ${runningReads[i].stderr}`)
    assert.deepEqual(JSON.parse(runningReads[i].stdout), JSON.parse(stoppedReads[i].stdout), what)
  }
})
