import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { tempDir } from '../helpers/temp-dir.js'
import { CapturedLog, createFederation, publishPeer, startMember, waitFor, type TestMember } from '../helpers/federation.js'
import { headsOf, randomAdds } from '../helpers/hashes.js'
import { HostilePeer, brokenChain, chainOf, claimingOrigin, equivocate, forgeSignature, garbageFrame, oversizedBatch, tamperBody, type HostileInit } from '../helpers/hostile-peer.js'
import { parseScrape, valueOf } from '../helpers/prometheus.js'
import { runCli } from '../helpers/cli.js'
import { HashfedNode, type StartNodeInit } from '../../src/daemon/hashfed-node.js'
import { loadNodeFiles } from '../../src/context/node-context.js'
import { decodeBatch } from '../../src/log/batch.js'
import { generateIdentityKey, identityFromKeyBytes } from '../../src/identity/identity.js'
import type { NodeStatus } from '../../src/node/node-status.js'

// A member whose node misbehaves on purpose (HostilePeer: a valid key, the real protocol)
// throws every kind of bad data at node C while the honest origin A keeps publishing. C must
// refuse each, count it per reason (status and /metrics), keep fork evidence, cut the
// hostile member off after repeated offences, and keep A's batches flowing throughout.

const running: Array<{ stop: () => Promise<void> }> = []
after(async () => { for (const n of running.reverse()) await n.stop().catch(() => {}) })

async function start (m: TestMember, extra: Omit<StartNodeInit, 'dir' | 'logger'> = {}, log = new CapturedLog({ node: m.name })): Promise<{ node: HashfedNode, log: CapturedLog }> {
  const started = await startMember(m, log, extra)
  running.push(started.node)
  return started
}

/** A publishes a batch every `everyMs` until stopped; records when each reached C. */
function honestPublisher (a: HashfedNode, c: HashfedNode, everyMs: number): { stop: () => Promise<{ batches: number, maxLagMs: number, medianLagMs: number }> } {
  const origin = a.ctx.identity.peerId.toString()
  const appended = new Map<number, number>()
  const arrived = new Map<number, number>()
  c.hashLog.on('batch', (e) => { if (e.origin === origin) arrived.set(e.seq, Date.now()) })
  let publishing = true
  const loop = (async () => {
    while (publishing) {
      const r = await a.hashLog.append(a.ctx.identity, randomAdds(20))
      for (const b of r.batches) appended.set(b.seq, Date.now())
      await sleep(everyMs)
    }
  })()
  return {
    stop: async () => {
      publishing = false
      await loop
      assert.ok(await waitFor(() => c.hashLog.head(origin)?.seq === a.hashLog.head(origin)?.seq, 20_000), 'C caught up with A')
      const lags = [...appended].map(([seq, at]) => (arrived.get(seq) ?? Infinity) - at).sort((x, y) => x - y)
      return { batches: lags.length, maxLagMs: lags[lags.length - 1], medianLagMs: lags[Math.floor(lags.length / 2)] }
    }
  }
}

test('every forgery and protocol abuse is refused, counted per reason, fork evidence kept; the honest origin keeps replicating', { timeout: 180_000 }, async () => {
  const root = await tempDir()
  const [aM, cM, hM, mM, nM] = await createFederation(root, [
    { name: 'A', countries: ['NL'] }, { name: 'C', countries: ['GB'] }, { name: 'H', countries: ['FR'] },
    { name: 'M', countries: ['DE'] }, { name: 'N', countries: ['BE'] }
  ])
  const { node: a } = await start(aM)
  // a high threshold: this test counts offences; the next one cuts the hostile peer off
  const { node: c, log: cLog } = await start(cM, { penalties: { threshold: 10_000 }, sync: { sessionIdleMs: 2500 } })
  assert.ok(await waitFor(() => c.members.isConnected(aM.peerId), 15_000))

  // M and N never run a node: their logs reach C only through H, signed with their real keys
  const mId = (await loadNodeFiles(mM.dir)).identity
  const nId = (await loadNodeFiles(nM.dir)).identity
  const hId = (await loadNodeFiles(hM.dir)).identity
  const outsider = identityFromKeyBytes(await generateIdentityKey())
  const [m1, m2, m3] = chainOf(mId, 3)
  const [n1] = chainOf(nId, 1)
  const [h1] = chainOf(hId, 1)
  const m1Hash = decodeBatch(m1).hash

  const h = await HostilePeer.start({ member: hM, batches: new Map([[mM.peerId, [m1]], [nM.peerId, [n1]], [hM.peerId, [h1]]]) })
  await publishPeer(hM, h)
  running.push(h)
  assert.ok(await waitFor(() => c.members.isConnected(hM.peerId), 15_000))
  // relayed honestly first: C holds batch 1 of M, N and H
  await h.session(cM)
  assert.ok(await waitFor(() => [mM, nM, hM].every(x => c.hashLog.head(x.peerId)?.seq === 1), 10_000), 'genuine relayed batches are stored')

  const publisher = honestPublisher(a, c, 250)
  const count = (reason: string): number => c.replicator.rejections.count(reason)
  const headM = (seq: number): HostileInit['heads'] => [{ origin: mM.peerId, seq, hash: new Uint8Array(32), entries: 0 }]
  let injected = 0
  const attack = async (name: string, reason: string, setup: Partial<HostileInit>, via: 'session' | 'flood' = 'session'): Promise<void> => {
    const before = count(reason)
    h.set({ frames: undefined, misbehave: undefined, frameDelayMs: undefined, heads: undefined, ...setup })
    if (via === 'session') void h.session(cM)
    else await h.flood(cM, 8)
    assert.ok(await waitFor(() => count(reason) > before, 20_000), `${name}: counted as ${reason} (counts: ${JSON.stringify(Object.fromEntries(c.replicator.rejections.byReason))}; last session errors: ${cLog.lines.filter(l => l.msg === 'sync session failed').slice(-3).map(l => String(l.err)).join(' | ')})`)
    injected++
  }

  await attack('forged signature', 'bad-signature', { heads: headM(2), frames: () => [[forgeSignature(m2)]] })
  await attack('tampered entries', 'bad-signature', { heads: headM(2), frames: () => [[tamperBody(m2)]] })
  await attack('batch claiming another origin', 'bad-signature', { heads: headM(2), frames: () => [[claimingOrigin(hId, mId.peerIdBytes, 2, m1Hash)]] })
  await attack('batch of a non-member', 'not-member', { heads: headM(2), frames: () => chainOf(outsider, 1).map(b => [b]) })
  await attack('bytes that are no batch', 'malformed', { heads: headM(2), frames: () => [[new Uint8Array(randomBytes(200))]] })
  await attack('batch over the size limit', 'too-large', { heads: headM(2), frames: () => [[oversizedBatch(mId, 2, m1Hash)]] })
  await attack('replay of an old batch', 'replay', { heads: headM(2), frames: () => [[m1]] })
  await attack('batch out of order (gap)', 'gap', { heads: headM(3), frames: () => [[m3]] })
  await attack('more batches than requested', 'protocol', { heads: headM(2), frames: () => [[m2, m3]] })
  await attack('empty frames', 'protocol', { heads: headM(2), frames: () => [[], [], []] })
  await attack('frame over MAX_FRAME_BYTES', 'too-large', { heads: headM(2), misbehave: 'oversized-frame' })
  await attack('garbage frame', 'malformed', { heads: headM(2), misbehave: 'garbage' })
  await attack('never-finishing stream', 'timeout', { heads: headM(2), misbehave: 'stall-after-requests' })
  await attack('frames trickling without progress', 'no-progress', { heads: headM(1000), frameDelayMs: 400, frames: () => Array.from({ length: 20 }, () => [forgeSignature(m2)]) })
  await attack('flood of sessions', 'flood', {}, 'flood')
  await attack('broken chain', 'broken-chain', { heads: [{ origin: hM.peerId, seq: 2, hash: new Uint8Array(32), entries: 0 }], frames: () => [[brokenChain(hId, 2)]] })
  const n1b = equivocate(nId, 1, new Uint8Array(0))
  await attack('fork (equivocation)', 'fork', { heads: [{ origin: nM.peerId, seq: 1, hash: decodeBatch(n1b).hash, entries: 0 }], frames: () => [[n1b]] })

  const lag = await publisher.stop()
  // nothing forged was stored: M still has only its genuine batch 1, every chain verifies
  assert.equal(c.hashLog.head(mM.peerId)?.seq, 1)
  assert.deepEqual(c.hashLog.head(mM.peerId)?.hash, m1Hash)
  assert.equal(c.hashLog.head(hM.peerId)?.seq, 1)
  assert.equal(c.hashLog.head(outsider.peerId.toString()), undefined)
  for (const x of [aM, mM, nM, hM]) assert.equal((await c.hashLog.verifyOrigin(x.peerId)).ok, true, x.name)
  // fork evidence: both of N's batches 1, reported by H
  const forks = await c.hashLog.forks()
  assert.equal(forks.length, 1)
  assert.equal(forks[0].origin, nM.peerId)
  assert.equal(forks[0].reportedBy, hM.peerId)
  assert.deepEqual(new Set([forks[0].kept, forks[0].refused].map(b => Buffer.from(decodeBatch(b).hash).toString('hex'))), new Set([n1, n1b].map(b => Buffer.from(decodeBatch(b).hash).toString('hex'))))

  // every offence was H's; the honest peer has none; status and /metrics agree with the counters
  assert.ok(c.replicator.rejections.recent().every(r => r.peer === hM.peerId))
  assert.equal(c.replicator.rejections.ofPeer(aM.peerId), 0)
  const status = await c.status()
  assert.deepEqual(status.rejected.byReason, Object.fromEntries(c.replicator.rejections.byReason))
  assert.equal(status.forks.length, 1)
  const scrape = parseScrape(await c.metrics.scrape())
  for (const [reason, n] of c.replicator.rejections.byReason) assert.equal(valueOf(scrape, 'hashfed_sync_batches_rejected_total', { reason }), n, reason)
  assert.equal(valueOf(scrape, 'hashfed_fork_alarms'), 1)
  for (const reason of ['bad-signature', 'not-member', 'malformed', 'too-large', 'replay', 'gap', 'protocol', 'timeout', 'no-progress', 'flood', 'broken-chain', 'fork']) {
    assert.ok(cLog.find(l => l.msg === 'rejected data from peer' && l.peer === hM.peerId && l.reason === reason) !== undefined, `logged with peer and reason: ${reason}`)
  }

  // and A's batches kept flowing through it all
  assert.ok(lag.batches >= 10, `A published ${lag.batches} batches during the attack`)
  assert.ok(lag.maxLagMs < 10_000, `every batch of A reached C within 10 s (max ${lag.maxLagMs} ms)`)
  assert.deepEqual(headsOf(c)[aM.peerId], headsOf(a)[aM.peerId])
  process.stdout.write(`# hostile: ${injected} attacks injected, rejected by reason ${JSON.stringify(Object.fromEntries(c.replicator.rejections.byReason))}; A published ${lag.batches} batches meanwhile, lag at C median ${lag.medianLagMs} ms, max ${lag.maxLagMs} ms\n`)
})

test('a member that keeps offending is cut off (hung up, refused by the gater), shown in status and metrics, and let back after the penalty', { timeout: 120_000 }, async () => {
  const root = await tempDir()
  const [aM, cM, hM] = await createFederation(root, [{ name: 'A', countries: ['NL'] }, { name: 'C', countries: ['GB'] }, { name: 'H', countries: ['FR'] }])
  const { node: a } = await start(aM)
  // no periodic sessions: every offence here is one H chose to commit. The penalty outlasts any
  // slow machine's checks below; its end is shown afterwards with a short one.
  const { node: c, log: cLog } = await start(cM, { penalties: { threshold: 5, windowMs: 600_000, banMs: 600_000 }, sync: { periodicMs: 600_000 } })
  const h = await HostilePeer.start({ member: hM, batches: new Map(), heads: [] })
  await publishPeer(hM, h)
  running.push(h)
  assert.ok(await waitFor(() => c.members.isConnected(aM.peerId) && h.connectedTo(cM.peerId), 15_000))

  // H opens sessions whose first frame is garbage
  const offences = (): number => c.replicator.rejections.count('malformed')
  const cutAt: number[] = []
  for (let i = 0; i < 10 && !c.penalties.isCutOff(hM.peerId); i++) {
    const before = offences()
    const raw = await h.openRaw(cM)
    await raw.lp.write(garbageFrame())
    assert.ok(await waitFor(() => offences() > before, 10_000), 'each garbage frame is an offence')
    if (c.penalties.isCutOff(hM.peerId)) cutAt.push(offences())
    else assert.ok(offences() < 5, `not cut off before the fifth offence (offences ${offences()})`)
  }
  assert.ok(c.penalties.isCutOff(hM.peerId), 'cut off')
  assert.ok(cutAt[0] >= 5)
  assert.ok(await waitFor(() => !h.connectedTo(cM.peerId), 10_000), 'connection hung up')
  assert.equal(await h.session(cM), 'failed', 'a new connection is refused')
  assert.ok(await waitFor(() => c.components.refusals.counter.count('cut-off') >= 1, 10_000), 'the gater refused it')
  const line = cLog.find(l => l.msg?.toString().startsWith('peer cut off') === true)
  assert.equal(line?.peer, hM.peerId)
  assert.equal(line?.reason, 'malformed')
  assert.equal(line?.offences, 5, 'the fifth offence within the window tipped it')

  // visible in `hashfed status` (through the running node's admin API) and /metrics
  const json = await runCli(['status', '--dir', cM.dir, '--json'])
  assert.equal(json.code, 0, json.stderr)
  const status = JSON.parse(json.stdout) as NodeStatus
  assert.deepEqual(status.penalties.cutOff.map(x => [x.name, x.reason]), [['H', 'malformed']])
  assert.ok(status.penalties.offences >= 5)
  const text = await runCli(['status', '--dir', cM.dir])
  assert.match(text.stdout, /CUT OFF\s+H until/)
  const scrape = parseScrape(await c.metrics.scrape())
  assert.equal(valueOf(scrape, 'hashfed_peer_cut_off', { peer: 'H' }), 1)
  assert.equal(valueOf(scrape, 'hashfed_peer_cut_off', { peer: 'A' }), 0)
  assert.equal(valueOf(scrape, 'hashfed_peer_cutoffs_total'), 1)
  assert.ok((valueOf(scrape, 'hashfed_peer_offences_total', { reason: 'malformed' }) ?? 0) >= 5)

  // the honest member is untouched
  await a.hashLog.append(a.ctx.identity, randomAdds(10))
  assert.ok(await waitFor(() => c.hashLog.head(aM.peerId)?.seq === 1, 10_000))

  // after the penalty H may connect again (and behaving, is served): the same cut-off with a
  // short penalty, so its timer ends it while the test waits for that state
  c.penalties.cutOff(hM.peerId, 'malformed', 500, 5)
  assert.ok(await waitFor(() => !c.penalties.isCutOff(hM.peerId), 15_000), 'the penalty ends')
  h.set({ misbehave: undefined, heads: [] })
  assert.ok(await waitFor(async () => await h.session(cM) === 'completed', 15_000, 300), 'connections allowed again')
  assert.equal((await c.status()).penalties.cutOff.length, 0)
})
