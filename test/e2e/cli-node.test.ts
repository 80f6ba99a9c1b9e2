import { test } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { createServer, type AddressInfo } from 'node:net'
import { readFile, writeFile, stat } from 'node:fs/promises'
import { tempDir } from '../helpers/temp-dir.js'
import { plainAddress, runCli, runtimeOf, startCliNode } from '../helpers/cli.js'
import { waitFor } from '../helpers/federation.js'
import type { NodeStatus } from '../../src/node/node-status.js'

/** A node folder whose servers bind port 0: the real addresses are in runtime.json once it runs. */
async function initVia (dir: string, name: string, country: string): Promise<{ peerId: string }> {
  const res = await runCli(['init', '--dir', dir, '--name', name, '--country', country, '--listen', '/ip4/127.0.0.1/tcp/0', '--api-port', '0', '--check-port', '0', '--json'])
  assert.equal(res.code, 0, res.stderr)
  const out = JSON.parse(res.stdout) as { peerId: string }
  assert.match(out.peerId, /^12D3KooW/)
  return { peerId: out.peerId }
}

test('init, start, federation add on the running nodes with their real addresses, and status --json through the real CLI', async () => {
  const root = await tempDir()
  const nlDir = join(root, 'nl')
  const deDir = join(root, 'de')
  const nl = await initVia(nlDir, 'EOKM', 'NL')
  const de = await initVia(deDir, 'DE-hotline', 'DE')

  assert.equal(((await stat(join(nlDir, 'identity.key'))).mode & 0o777), 0o600, 'key file is private')
  const keyBytes = await readFile(join(nlDir, 'identity.key'))
  const again = await runCli(['init', '--dir', nlDir, '--name', 'EOKM', '--country', 'NL'])
  assert.equal(again.code, 2)
  assert.match(again.stderr, /HF_NODE_EXISTS/)
  assert.deepEqual(await readFile(join(nlDir, 'identity.key')), keyBytes, 'existing key untouched')

  const a = startCliNode(nlDir)
  const b = startCliNode(deDir)
  try {
    const [nlRt, deRt] = await Promise.all([runtimeOf(nlDir, a), runtimeOf(deDir, b)])
    for (const rt of [nlRt, deRt]) {
      assert.ok(rt.listen.length > 0 && rt.listen.every(l => !/\/tcp\/0(\/|$)/.test(l)), `real libp2p ports in runtime.json: ${rt.listen.join(' ')}`)
      assert.doesNotMatch(rt.adminUrl, /:0$/)
    }
    // a command that edits data goes through the running node, which applies it at once
    for (const [dir, other, rt, cc, name] of [[nlDir, de, deRt, 'DE', 'DE-hotline'], [deDir, nl, nlRt, 'NL', 'EOKM']] as const) {
      const add = await runCli(['federation', 'add', '--dir', dir, '--name', name, '--peer-id', other.peerId, '--country', cc, '--addr', plainAddress(rt.listen[0])])
      assert.equal(add.code, 0, add.stderr)
    }
    let status: NodeStatus | undefined
    const connected = await waitFor(async () => {
      const res = await runCli(['status', '--dir', nlDir, '--json'])
      if (res.code !== 0) return false
      status = JSON.parse(res.stdout) as NodeStatus
      return status.members.find(m => m.name === 'DE-hotline')?.connected === true
    }, 20_000, 200)
    assert.ok(connected, `EOKM sees DE connected; logs:\n${a.output()}`)
    assert.equal(status?.running, true)
    assert.equal(status?.peerId, nl.peerId)
    assert.deepEqual(status?.countries, ['NL'])
    assert.ok(status?.listen.some(l => plainAddress(l) === plainAddress(nlRt.listen[0])))
    assert.equal(typeof status?.store.batches, 'number')
    // a command that edits data goes through the running node: no lock error
    const list = await runCli(['federation', 'list', '--dir', nlDir, '--json'])
    assert.equal(list.code, 0, list.stderr)
    assert.equal((JSON.parse(list.stdout) as unknown[]).length, 2)
    assert.doesNotMatch(a.output(), /12D3KooW\S*"key"|privateKey/, 'key never logged')
  } finally {
    assert.equal(await a.stop(), 0, 'SIGTERM stops cleanly')
    await b.stop()
  }
  const offline = await runCli(['status', '--dir', nlDir, '--json'])
  assert.equal(offline.code, 0, offline.stderr)
  const s = JSON.parse(offline.stdout) as NodeStatus
  assert.equal(s.running, false)
  assert.equal(s.peerId, nl.peerId, 'peer ID kept after restart of the CLI')
})

test('bad federation and config files exit 2 with a message naming the problem', async () => {
  const root = await tempDir()
  const dir = join(root, 'nl')
  const { peerId } = await initVia(dir, 'EOKM', 'NL')
  const fedPath = join(dir, 'federation.json')
  const fed = JSON.parse(await readFile(fedPath, 'utf8')) as { members: Array<Record<string, unknown>> }
  const other = await initVia(join(root, 'be'), 'BE', 'BE')

  const cases: Array<[string, unknown, RegExp]> = [
    ['unknown field', { ...fed, members: [{ ...fed.members[0], colour: 'red' }] }, /members\.0: unknown field "colour"/],
    ['malformed peer ID', { ...fed, members: [...fed.members, { name: 'BE', peerId: 'QmNotAPeer', countries: ['BE'] }] }, /members\.1\.peerId: not an Ed25519 libp2p peer ID/],
    ['country claimed twice', { ...fed, members: [...fed.members, { name: 'BE', peerId: other.peerId, countries: ['NL'] }] }, /country NL is also claimed by members\.0/],
    ['duplicate member', { ...fed, members: [...fed.members, { ...fed.members[0], countries: [] }] }, /duplicate member "EOKM"/],
    ['bad country code', { ...fed, members: [{ ...fed.members[0], countries: ['XX'] }] }, /"XX" is not an ISO 3166-1 alpha-2 country code/]
  ]
  for (const [what, content, message] of cases) {
    await writeFile(fedPath, JSON.stringify(content))
    const res = await runCli(['status', '--dir', dir])
    assert.equal(res.code, 2, `${what}: exit code`)
    assert.match(res.stderr, /HF_INVALID_FEDERATION/, what)
    assert.match(res.stderr, message, what)
  }
  await writeFile(fedPath, JSON.stringify(fed))
  assert.equal((await runCli(['status', '--dir', dir])).code, 0)

  const cfgPath = join(dir, 'config.json')
  const cfg = JSON.parse(await readFile(cfgPath, 'utf8')) as Record<string, unknown>
  await writeFile(cfgPath, JSON.stringify({ ...cfg, api: { port: 'eighty' } }))
  let res = await runCli(['start', '--dir', dir])
  assert.equal(res.code, 2)
  assert.match(res.stderr, /HF_INVALID_CONFIG.*api\.port/s)
  await writeFile(cfgPath, '{ not json')
  res = await runCli(['status', '--dir', dir])
  assert.equal(res.code, 2)
  assert.match(res.stderr, /config\.json: not valid JSON/)
  res = await runCli(['status', '--dir', join(root, 'nowhere')])
  assert.equal(res.code, 2)
  assert.match(res.stderr, /HF_NODE_NOT_FOUND/)
  assert.ok(peerId.length > 0)
})

test('a configured port that another process holds: start exits 2 with one line naming the address and the config key', async () => {
  const root = await tempDir()
  // the test holds a port (bound to port 0 and read back) that each node is then configured with
  const holder = createServer()
  await new Promise<void>(resolve => holder.listen(0, '127.0.0.1', resolve))
  const taken = (holder.address() as AddressInfo).port
  try {
    const cases: Array<[string, string[], RegExp]> = [
      ['libp2p', ['--local', '--listen', `/ip4/127.0.0.1/tcp/${taken}`, '--api-port', '0', '--check-port', '0'], new RegExp(`libp2p cannot listen on /ip4/127\\.0\\.0\\.1/tcp/${taken}: the port is already in use .*change listen in config\\.json`)],
      ['admin API', ['--listen', '/ip4/127.0.0.1/tcp/0', '--api-port', String(taken), '--check-port', '0'], new RegExp(`the admin API cannot listen on 127\\.0\\.0\\.1:${taken}: the port is already in use .*api\\.host/api\\.port`)],
      ['check API', ['--listen', '/ip4/127.0.0.1/tcp/0', '--api-port', '0', '--check-port', String(taken)], new RegExp(`the check API cannot listen on 127\\.0\\.0\\.1:${taken}.*check\\.port.*EADDRINUSE`)]
    ]
    for (const [what, ports, message] of cases) {
      const dir = join(root, what.replace(' ', '-'))
      const init = await runCli(['init', '--dir', dir, '--name', 'EOKM', '--country', 'NL', ...ports])
      assert.equal(init.code, 0, init.stderr)
      const res = await runCli(['start', '--dir', dir])
      assert.equal(res.code, 2, `${what}: exit code; ${res.stderr}`)
      const lines = res.stderr.trim().split('\n')
      assert.equal(lines.length, 1, `${what}: one line, no stack: ${res.stderr}`)
      assert.match(lines[0], /^error \[HF_INVALID_CONFIG\]: /, what)
      assert.match(lines[0], message, what)
    }
  } finally {
    holder.close()
  }
})
