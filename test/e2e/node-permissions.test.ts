import { test } from 'node:test'
import assert from 'node:assert/strict'
import { chmod, lstat, mkdir, readdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { tempDir } from '../helpers/temp-dir.js'
import { runCli, startCliNode } from '../helpers/cli.js'
import { waitFor } from '../helpers/federation.js'
import { nodeDir } from '../../src/config/node-dir.js'
import { readLiveRuntime } from '../../src/context/runtime-file.js'

// Finding 10: `init` into an existing 0755 folder left it 0755 and the LevelDB files 0644, so
// any local user could read reported URLs from the store's log. Every step runs the real CLI
// as a child process with the common umask 022, as an operator's shell has it.

/** Every path under `root` (itself included) whose mode is not 0700 (folders) / 0600 (files). */
async function notPrivate (root: string): Promise<string[]> {
  const bad: string[] = []
  const walk = async (path: string): Promise<void> => {
    const st = await lstat(path)
    const mode = st.mode & 0o777
    if (st.isDirectory()) {
      if (mode !== 0o700) bad.push(`${path} ${mode.toString(8)}`)
      for (const name of await readdir(path)) await walk(join(path, name))
    } else if (!st.isSymbolicLink() && mode !== 0o600) {
      bad.push(`${path} ${mode.toString(8)}`)
    }
  }
  await walk(root)
  return bad
}

async function initInto (dir: string): Promise<void> {
  const res = await runCli(['init', '--dir', dir, '--name', 'EOKM', '--country', 'NL', '--listen', '/ip4/127.0.0.1/tcp/0', '--api-port', '0', '--check-port', '0'])
  assert.equal(res.code, 0, res.stderr)
}

test('node folder: init into an existing 0755 folder makes it 0700 and every file 0600; it stays so after start and writes', async () => {
  process.umask(0o022) // the children inherit it: files would be 0644 unless hashfed says otherwise
  const root = await tempDir()
  const dir = join(root, 'node')
  await mkdir(dir)
  await chmod(dir, 0o755)

  await initInto(dir)
  assert.deepEqual(await notPrivate(dir), [], 'after init')

  const node = startCliNode(dir)
  try {
    assert.ok(await waitFor(async () => await readLiveRuntime(nodeDir(dir)) !== null, 30_000, 100), `the node starts: ${node.output()}`)
    // writes through the running node: a list import (new LevelDB tables and log), a report
    // in our own country, a check token, a new admin token in the config
    const list = join(root, 'list.txt')
    await writeFile(list, Array.from({ length: 2000 }, (_, i) => `md5:${i.toString(16).padStart(32, '0')}`).join('\n') + '\n')
    for (const args of [
      ['hashes', 'import', list, '--format', 'lines'],
      ['reports', 'submit', '--url', 'https://example.nl/a.jpg', '--country', 'NL', '--note', 'private'],
      ['tokens', 'create', '--name', 'hoster1'],
      ['config', 'set-api-token']
    ]) {
      const res = await runCli([...args, '--dir', dir])
      assert.equal(res.code, 0, `${args.join(' ')}: ${res.stderr}`)
    }
    assert.deepEqual(await notPrivate(dir), [], 'while the node runs, after writes')
  } finally {
    assert.equal(await node.stop(), 0, node.output())
  }
  // offline writes open the store in the CLI process itself
  const res = await runCli(['tokens', 'create', '--name', 'hoster2', '--dir', dir])
  assert.equal(res.code, 0, res.stderr)
  assert.deepEqual(await notPrivate(dir), [], 'after stop and an offline write')
})

test('node folder: start refuses a folder other users can open, and starts once it is private', async () => {
  process.umask(0o022)
  const root = await tempDir()
  const dir = join(root, 'node')
  await initInto(dir)
  await chmod(dir, 0o755)

  const refused = startCliNode(dir)
  const exited = await waitFor(async () => refused.child.exitCode !== null && /error/.test(refused.output()), 30_000, 100)
  const code = await refused.stop()
  assert.ok(exited, `start exits by itself: ${refused.output()}`)
  assert.notEqual(code, 0)
  assert.match(refused.output(), /HF_INSECURE_PERMISSIONS/)
  assert.match(refused.output(), /chmod -R go= /)
  assert.equal(await readLiveRuntime(nodeDir(dir)), null, 'nothing was started')
  assert.equal((await lstat(dir)).mode & 0o777, 0o755, 'refused, not silently changed')

  await chmod(dir, 0o700)
  const node = startCliNode(dir)
  try {
    assert.ok(await waitFor(async () => await readLiveRuntime(nodeDir(dir)) !== null, 30_000, 100), `the private folder starts: ${node.output()}`)
  } finally {
    assert.equal(await node.stop(), 0, node.output())
  }
})
