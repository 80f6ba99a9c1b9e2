import { test } from 'node:test'
import assert from 'node:assert/strict'
import { tempDir } from '../helpers/temp-dir.js'
import { runCli } from '../helpers/cli.js'
import { createFederation, nodePool, waitFor } from '../helpers/federation.js'
import type { HashfedNode } from '../../src/daemon/hashfed-node.js'
import type { NodeStatus } from '../../src/node/node-status.js'
import type { MemberStatus } from '../../src/node/peer-status.js'
import { formatStatus } from '../../src/cli/commands/status.js'

const { start, stop } = nodePool()

/** `hashfed peers --json` in a child process: it finds the running node and asks its admin API. */
async function peers (dir: string): Promise<MemberStatus[]> {
  const res = await runCli(['peers', '--dir', dir, '--json'])
  assert.equal(res.code, 0, res.stderr)
  return JSON.parse(res.stdout) as MemberStatus[]
}

async function waitForPeer (dir: string, name: string, check: (p: MemberStatus) => boolean, what: string): Promise<MemberStatus> {
  let last: MemberStatus | undefined
  const ok = await waitFor(async () => {
    last = (await peers(dir)).find(p => p.name === name)
    return last !== undefined && check(last)
  }, 20_000, 100)
  assert.ok(ok, `${what}; last row: ${JSON.stringify(last)}`)
  return last as MemberStatus
}

test('peers --json follows a member going down and coming back, with the outbox toward it', async () => {
  const root = await tempDir()
  const [nlM, deM, gbM] = await createFederation(root, [{ name: 'EOKM', countries: ['NL'] }, { name: 'DE', countries: ['DE'] }, { name: 'IWF', countries: ['GB'] }])
  const nl = await start(nlM)
  let de = await start(deM)
  // IWF never starts: a member that is down from the beginning

  const up = await waitForPeer(nlM.dir, 'DE', p => p.connected && p.lastSyncAt !== null, 'DE connected and synced')
  assert.equal(up.peerId, deM.peerId)
  assert.deepEqual(up.countries, ['DE'])
  assert.equal(up.self, false)
  assert.match(up.address ?? '', new RegExp(`^/ip4/127\\.0\\.0\\.1/tcp/\\d+/p2p/${deM.peerId}$`), 'the open connection\'s remote address')
  assert.deepEqual(up.behind, [])
  assert.equal(up.rejected, 0)
  assert.equal(up.outbox, 0)
  assert.ok(await nl.members.ping(deM.peerId) !== null)
  const rows = await peers(nlM.dir)
  assert.equal(typeof rows.find(p => p.name === 'DE')?.rttMs, 'number', 'round-trip time after a ping')
  assert.deepEqual(rows.map(p => p.name).sort(), ['DE', 'IWF'], 'one row per other member, not ourselves')
  const iwf = rows.find(p => p.name === 'IWF')
  assert.equal(iwf?.connected, false)
  assert.equal(iwf?.lastSyncAt, null)
  assert.equal(iwf?.rttMs, null)

  // DE goes down; a report for a German host waits in EOKM's outbox
  await stop(de)
  const report = await nl.reports.submit({ url: 'https://cdn.example.de/peers-case.jpg', country: 'DE' })
  const down = await waitForPeer(nlM.dir, 'DE', p => !p.connected, 'DE shown down')
  assert.equal(down.outbox, 1, 'the report waits for DE')
  assert.equal(down.rttMs, null)
  assert.equal(down.connectedSince, null)
  const text = await runCli(['peers', '--dir', nlM.dir])
  assert.equal(text.code, 0, text.stderr)
  assert.match(text.stdout, /^NAME\s+PEER\s+COUNTRIES\s+CONNECTED\s+ADDRESS\s+RTT\s+LAST SYNC\s+BEHIND\s+REJECTED\s+OUTBOX$/m)
  // the row says why, in words (the redial after the loss finds the port closed)
  assert.match(text.stdout, /^DE\s+12D3KooW\S+\s+DE\s+no: (disconnected|unreachable): .*\s1$/m)
  assert.match(down.reason ?? '', /^(disconnected|unreachable): /)

  // and comes back: connected again, the outbox drains
  de = await start(deM)
  const back = await waitForPeer(nlM.dir, 'DE', p => p.connected && p.outbox === 0, 'DE back and the report delivered')
  assert.ok(back.connectedSince !== null)
  assert.ok((await de.reports.list({ direction: 'inbound' })).some(r => r.id === report.id))

  // `status` shows the same rows, ourselves included, and the report counts
  const status = await runCli(['status', '--dir', nlM.dir, '--json'])
  assert.equal(status.code, 0, status.stderr)
  const s = JSON.parse(status.stdout) as NodeStatus
  assert.deepEqual(s.members.map(m => [m.name, m.self, m.connected]), [['EOKM', true, false], ['DE', false, true], ['IWF', false, false]])
  assert.equal(s.members.find(m => m.name === 'DE')?.outbox, 0)
  assert.equal(s.reports.outbound, 1)
  assert.equal(s.reports.byStatus.received, 1, 'receipted by DE')
  const statusText = formatStatus(s)
  assert.match(statusText, /^reports\s+0 inbound, 1 outbound, 0 unroutable \(received 1\)$/m)
  assert.match(statusText, /^DE\s+12D3KooW\S+\s+DE\s+yes\s.*\s0$/m, 'the peer row with its outbox column')

  // offline, `peers` reads the store: nothing connected, the outbox still counted
  await stop(de)
  await nl.reports.submit({ url: 'https://cdn.example.de/peers-case-2.jpg', country: 'DE' })
  await stop(nl)
  const offline = await peers(nlM.dir)
  assert.deepEqual(offline.map(p => [p.name, p.connected, p.outbox]), [['DE', false, 1], ['IWF', false, 0]])
})
