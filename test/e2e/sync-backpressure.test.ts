import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { tempDir } from '../helpers/temp-dir.js'
import { createFederation, startMember, waitFor } from '../helpers/federation.js'
import { headsOf, randomAdds } from '../helpers/hashes.js'
import type { HashfedNode } from '../../src/daemon/hashfed-node.js'

// A fresh node pulls a log several times larger than libp2p's 4 MiB stream read buffer in one
// session: the receiver pauses the stream while it verifies and stores, instead of letting the
// sender overflow the buffer (which reset the session every ~4 MiB and left the rest to the
// next periodic sync, 30 s later: 300k entries took ~2 minutes instead of ~2 seconds).

const running: HashfedNode[] = []
after(async () => { for (const n of running) await n.stop() })

test('a fresh node pulls a 12 MiB log in one session, without a stream reset', { timeout: 120_000 }, async () => {
  const root = await tempDir()
  const [aM, bM] = await createFederation(root, [{ name: 'A', countries: ['NL'] }, { name: 'B', countries: ['DE'] }])
  const { node: a } = await startMember(aM)
  running.push(a)
  for (let i = 0; i < 30; i++) await a.hashLog.append(a.ctx.identity, randomAdds(10_000))
  let bytes = 0
  for await (const b of a.hashLog.readRange(aM.peerId, 1)) bytes += b.length
  assert.ok(bytes > 3 * 4 * 1024 * 1024, `the log is ${bytes} bytes`)

  const t0 = Date.now()
  // no periodic sync within the test: what arrives came in the sessions of the connection itself
  const { node: b, log } = await startMember(bM, undefined, { sync: { periodicMs: 600_000 } })
  running.push(b)
  assert.ok(await waitFor(() => b.hashLog.head(aM.peerId)?.seq === 30, 100_000, 50), 'synced without waiting for a periodic sync')
  const ms = Date.now() - t0
  assert.deepEqual(headsOf(b)[aM.peerId], headsOf(a)[aM.peerId])
  assert.equal((await b.hashLog.verifyOrigin(aM.peerId)).ok, true)
  assert.equal(b.replicator.peerState(aM.peerId).lastError, null)
  assert.equal(log.find(l => /overflow|exceeded limit/i.test(String(l.err ?? ''))), undefined, 'no buffer overflow logged')
  process.stdout.write(`# sync: 300k entries (${(bytes / 1048576).toFixed(1)} MiB) pulled by a fresh node in ${ms} ms (node start included)\n`)
})
