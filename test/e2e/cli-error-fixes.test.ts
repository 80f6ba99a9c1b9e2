import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { tempDir } from '../helpers/temp-dir.js'
import { runCli, runtimeOf, startCliNode } from '../helpers/cli.js'
import { createFederation } from '../helpers/federation.js'

test('user errors say what is wrong and exit 2: folder import, missing image, binary file as CSV, start twice', async () => {
  const root = await tempDir()
  const [nl] = await createFederation(root, [{ name: 'EOKM', countries: ['NL'] }])
  const folder = join(root, 'lists')
  await mkdir(folder)

  const dirImport = await runCli(['hashes', 'import', folder, '--format', 'csv', '--dir', nl.dir])
  assert.equal(dirImport.code, 2, dirImport.stderr)
  assert.match(dirImport.stderr, /HF_INVALID_ARGUMENT\]: .*lists is a folder: give one list file/)

  const missing = await runCli(['check', '/no/such.jpg', '--dir', nl.dir])
  assert.equal(missing.code, 2, missing.stderr)
  assert.match(missing.stderr, /\/no\/such\.jpg: no such file or folder/)
  assert.doesNotMatch(missing.stderr, /is not ALG:VALUE/)
  // a hash is still a hash
  const hash = await runCli(['check', 'sha256:' + 'ab'.repeat(32), '--dir', nl.dir])
  assert.equal(hash.code, 0, hash.stderr)

  // a JPEG's first bytes as a CSV file: no raw bytes on the terminal
  const binary = join(root, 'photo.csv')
  await writeFile(binary, Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01, 0x2c, 0x00, 0x0a, 0x07, 0x1b, 0x5b, 0x33, 0x31, 0x6d]))
  const bin = await runCli(['hashes', 'import', binary, '--format', 'csv', '--dir', nl.dir])
  assert.equal(bin.code, 2, bin.stderr)
  assert.match(bin.stderr, /HF_INVALID_FORMAT\]: not a valid csv file at line 1: binary data \(NUL byte\): this is not a text file/)
  assert.doesNotMatch(bin.stderr, /[\u0000-\u0008\u000b-\u001f\u007f]/)

  const node = startCliNode(nl.dir)
  try {
    const info = await runtimeOf(nl.dir, node)
    const second = await runCli(['start', '--dir', nl.dir])
    assert.equal(second.code, 2, second.stderr)
    assert.match(second.stderr, new RegExp(`HF_NODE_RUNNING\\]: the node in .* is already running, pid ${info.pid}`))
    const runningImport = await runCli(['hashes', 'import', folder, '--format', 'csv', '--dir', nl.dir])
    assert.equal(runningImport.code, 2, runningImport.stderr)
    assert.match(runningImport.stderr, /is a folder/)
  } finally {
    assert.equal(await node.stop(), 0)
  }
})

test('init refuses an announce address no other member can dial unless --local; --help says what the default is', async () => {
  const root = await tempDir()
  const derived = await runCli(['init', '--dir', join(root, 'a'), '--name', 'EOKM', '--country', 'NL'])
  assert.equal(derived.code, 2, derived.stderr)
  assert.match(derived.stderr, /announce address \/ip4\/127\.0\.0\.1\/tcp\/4001 \(derived from the listen address\) is on loopback or 0\.0\.0\.0: no other member can dial it/)
  const wildcard = await runCli(['init', '--dir', join(root, 'b'), '--name', 'EOKM', '--country', 'NL', '--announce', '/ip4/0.0.0.0/tcp/4001'])
  assert.equal(wildcard.code, 2, wildcard.stderr)
  const v6 = await runCli(['init', '--dir', join(root, 'b'), '--name', 'EOKM', '--country', 'NL', '--announce', '/ip6/::1/tcp/4001'])
  assert.equal(v6.code, 2, v6.stderr)
  // nothing was written by the refusals
  const local = await runCli(['init', '--dir', join(root, 'b'), '--name', 'EOKM', '--country', 'NL', '--local', '--json'])
  assert.equal(local.code, 0, local.stderr)
  assert.deepEqual((JSON.parse(local.stdout) as { announce: string[] }).announce, ['/ip4/127.0.0.1/tcp/4001'])
  const pub = await runCli(['init', '--dir', join(root, 'c'), '--name', 'EOKM', '--country', 'NL', '--announce', '/ip4/198.51.100.7/tcp/4001'])
  assert.equal(pub.code, 0, pub.stderr)
  const help = await runCli(['init', '--help'])
  assert.match(help.stdout.replace(/\s+/g, ' '), /0\.0\.0\.0 read as 127\.0\.0\.1, which needs --local/)
})
