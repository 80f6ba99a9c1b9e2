import { test } from 'node:test'
import assert from 'node:assert/strict'
import { tempDir } from '../helpers/temp-dir.js'
import { createFederation, startMember, waitFor } from '../helpers/federation.js'
import { nodeDir } from '../../src/config/node-dir.js'
import { loadFederation, saveFederation, withMember } from '../../src/config/federation.js'
import { backoffDelay } from '../../src/net/member-connections.js'
import { RECONNECT_MAX_MS, RECONNECT_MIN_MS } from '../../src/net/constants.js'
import type { MemberStatus } from '../../src/node/peer-status.js'
import type { HashfedNode } from '../../src/daemon/hashfed-node.js'
import { loadNodeFiles } from '../../src/context/node-context.js'
import { createNodeLibp2p } from '../../src/net/create-libp2p.js'

test('redial backoff: doubles from the minimum, never past the cap, jitter within ±25 %', () => {
  for (const random of [0, 0.5, 0.999]) {
    const delays = Array.from({ length: 40 }, (_, attempt) => backoffDelay(attempt, RECONNECT_MIN_MS, RECONNECT_MAX_MS, random))
    assert.ok(delays[0] >= RECONNECT_MIN_MS * 0.75 && delays[0] <= RECONNECT_MIN_MS * 1.25)
    for (let i = 1; i < delays.length; i++) assert.ok(delays[i] >= delays[i - 1], `non-decreasing at ${i}`)
    assert.ok(delays.every(d => d <= RECONNECT_MAX_MS * 1.25 && d >= RECONNECT_MIN_MS * 0.75))
    assert.equal(delays[39], RECONNECT_MAX_MS * (0.75 + random * 0.5))
  }
  assert.equal(backoffDelay(3, 100, 10_000, 0.5), 800)
})

/** One character of a peer ID changed: still a valid peer ID, of nobody. */
function typo (peerId: string): string {
  const last = peerId.at(-1)
  return peerId.slice(0, -1) + (last === 'A' ? 'B' : 'A')
}

const row = async (node: HashfedNode, name: string): Promise<MemberStatus | undefined> => (await node.status()).members.find(m => m.name === name)

test('a peer ID typo: each end says why in plain words, redials back off, one log line per state change', async () => {
  const root = await tempDir()
  const [nl, de] = await createFederation(root, [{ name: 'EOKM', countries: ['NL'] }, { name: 'DE', countries: ['DE'] }])
  const b = await startMember(de)
  // EOKM's file names DE with one character wrong, at DE's real address
  const path = nodeDir(nl.dir).federation
  const wrong = typo(de.peerId)
  await saveFederation(path, withMember(await loadFederation(path), { name: 'DE', peerId: wrong, countries: ['DE'], addresses: de.announce }))
  const started = Date.now()
  const a = await startMember(nl)
  try {
    // EOKM dials DE and meets another key
    assert.ok(await waitFor(async () => /^wrong peer ID/.test((await row(a.node, 'DE'))?.reason ?? ''), 30_000, 100),
      `EOKM's row: ${JSON.stringify(await row(a.node, 'DE'))}`)
    const nlRow = await row(a.node, 'DE')
    assert.equal(nlRow?.connected, false)
    assert.match(nlRow?.reason ?? '', new RegExp(`^wrong peer ID: expected ${wrong}, got ${de.peerId}`))
    // DE has EOKM's right peer ID, but EOKM does not know DE's key and closes every connection
    assert.ok(await waitFor(async () => /^they refuse our key/.test((await row(b.node, 'EOKM'))?.reason ?? ''), 30_000, 100),
      `DE's row: ${JSON.stringify(await row(b.node, 'EOKM'))}`)
    // let DE redial a few times
    assert.ok(await waitFor(async () => (await a.node.status()).refused.total >= 4, 60_000, 100), 'DE redials')
    const elapsed = Date.now() - started
    const refused = (await a.node.status()).refused.total
    // with delays doubling from RECONNECT_MIN_MS, n dials take at least 0.75 * min * (2^(n-1) - 1) ms (+1: the dial when EOKM's address appeared)
    const maxDials = Math.floor(Math.log2(elapsed / (0.75 * RECONNECT_MIN_MS) + 1)) + 2
    assert.ok(refused <= maxDials, `${refused} refused connections in ${elapsed} ms: at most ${maxDials} with backoff`)

    const logged = (lines: Array<Record<string, unknown>>, member: string): string[] => lines.filter(l => l.member === member && /^member /.test(String(l.msg))).map(l => String(l.msg))
    assert.deepEqual(logged(b.log.lines, 'EOKM'), ['member not connected'], 'DE logs the refusal once, never "member connected"')
    assert.deepEqual(logged(a.log.lines, 'DE'), ['member not connected'])
  } finally {
    await a.node.stop()
    await b.node.stop()
  }
})

test('a member whose node closes every connection right after it opens: "they refuse our key", redials back off (no half-second loop), no "member connected" lines', async () => {
  const root = await tempDir()
  const [nl, de] = await createFederation(root, [{ name: 'EOKM', countries: ['NL'] }, { name: 'DE', countries: ['DE'] }])
  // DE's key on a bare libp2p node that hangs up on every connection once it is open (as a gater that refuses us late would)
  const files = await loadNodeFiles(de.dir)
  const refuser = await createNodeLibp2p({ privateKey: files.identity.privateKey, listen: ['/ip4/127.0.0.1/tcp/0'], gater: {} })
  let opened = 0
  refuser.addEventListener('connection:open', (evt) => { opened++; void evt.detail.close().catch(() => {}) })
  const path = nodeDir(nl.dir).federation
  await saveFederation(path, withMember(await loadFederation(path), { name: 'DE', peerId: de.peerId, countries: ['DE'], addresses: refuser.getMultiaddrs().map(m => m.toString().replace(/\/p2p\/.*$/, '')) }))
  const started = Date.now()
  const a = await startMember(nl)
  try {
    assert.ok(await waitFor(() => opened >= 6, 90_000, 50), `EOKM redials (opened ${opened})`)
    const elapsed = Date.now() - started
    const seen = opened
    const maxDials = Math.floor(Math.log2(elapsed / (0.75 * RECONNECT_MIN_MS) + 1)) + 1
    assert.ok(seen <= maxDials, `${seen} connections in ${elapsed} ms: at most ${maxDials} with backoff (a reset on every open redials each ~${RECONNECT_MIN_MS} ms)`)
    assert.ok(await waitFor(async () => /^they refuse our key/.test((await row(a.node, 'DE'))?.reason ?? ''), 30_000, 100), JSON.stringify(await row(a.node, 'DE')))
    const lines = a.log.lines.filter(l => l.member === 'DE' && /^member /.test(String(l.msg))).map(l => String(l.msg))
    assert.deepEqual(lines, ['member not connected'], 'one line for the state, not one per redial')
  } finally {
    await a.node.stop()
    await refuser.stop()
  }
})
