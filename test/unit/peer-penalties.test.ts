import { test } from 'node:test'
import assert from 'node:assert/strict'
import { CapturedLog, waitFor } from '../helpers/federation.js'
import { PeerPenalties } from '../../src/net/peer-penalties.js'
import { OFFENCE_REASONS } from '../../src/node/offence-reasons.js'
import { federationGater } from '../../src/net/federation-gater.js'
import { PENALTY_BAN_MS, PENALTY_THRESHOLD, PENALTY_WINDOW_MS } from '../../src/net/constants.js'
import type { MultiaddrConnection, PeerId } from '@libp2p/interface'

test('a peer is cut off at the threshold of offences within the window, once, and logged with peer and reason', () => {
  const log = new CapturedLog()
  let now = 1_000_000
  const cut: string[] = []
  const p = new PeerPenalties({ reasons: OFFENCE_REASONS, fallback: 'internal', logger: log.logger, threshold: 3, windowMs: 10_000, banMs: 60_000, now: () => now, onCutOff: (peer) => cut.push(peer) })
  assert.equal(p.offence('X', 'malformed'), false)
  now += 6000
  assert.equal(p.offence('X', 'bad-signature'), false)
  now += 6000 // the first offence has left the window
  assert.equal(p.offence('X', 'malformed'), false)
  assert.equal(p.isCutOff('X'), false)
  assert.equal(p.offence('Y', 'malformed'), false, 'offences are per peer')
  now += 1000
  assert.equal(p.offence('X', 'timeout'), true, 'three within 10 s')
  assert.equal(p.isCutOff('X'), true)
  assert.equal(p.isCutOff('Y'), false)
  assert.equal(p.offence('X', 'timeout'), false, 'counted, but no second cut-off while cut off')
  assert.deepEqual(cut, ['X'])
  assert.equal(p.offences.total, 6)
  assert.deepEqual(Object.fromEntries(p.offences.byReason), { malformed: 3, 'bad-signature': 1, timeout: 2 })
  assert.deepEqual(p.list().map(c => [c.peer, c.reason, c.offences, c.until - c.since]), [['X', 'timeout', 3, 60_000]])
  const line = log.find(l => String(l.msg).startsWith('peer cut off'))
  assert.equal(line?.peer, 'X')
  assert.equal(line?.reason, 'timeout')
  p.stop()
})

test('a cut-off ends by itself after banMs (restored callback), or by hand', async () => {
  const restored: string[] = []
  const p = new PeerPenalties({ reasons: OFFENCE_REASONS, fallback: 'internal', logger: new CapturedLog().logger, threshold: 1, banMs: 150, onRestored: (peer) => restored.push(peer) })
  p.offence('X', 'flood')
  assert.equal(p.isCutOff('X'), true)
  assert.ok(await waitFor(() => !p.isCutOff('X'), 15_000))
  assert.deepEqual(restored, ['X'])
  p.cutOff('Y', 'partition test', 60_000)
  assert.equal(p.isCutOff('Y'), true)
  p.restore('Y')
  assert.equal(p.isCutOff('Y'), false)
  assert.deepEqual(restored, ['X', 'Y'])
  assert.equal(p.cutOffsTotal, 2)
  p.stop()
})

test('defaults: 5 offences in 60 s cut off for 5 minutes', () => {
  assert.equal(PENALTY_THRESHOLD, 5)
  assert.equal(PENALTY_WINDOW_MS, 60_000)
  assert.equal(PENALTY_BAN_MS, 300_000)
  const p = new PeerPenalties({ reasons: OFFENCE_REASONS, fallback: 'internal', logger: new CapturedLog().logger })
  for (let i = 0; i < 4; i++) assert.equal(p.offence('X', 'malformed'), false)
  assert.equal(p.offence('X', 'malformed'), true)
  const [c] = p.list()
  assert.equal(c.until - c.since, 300_000)
  p.stop()
})

test('the gater refuses a cut-off member like a non-member, and says why', () => {
  const cut = new Set(['X'])
  const refused: string[] = []
  const gater = federationGater({
    isMember: (id) => id === 'X' || id === 'Y',
    isCutOff: (id) => cut.has(id),
    onRefused: (id) => refused.push(`not-member ${id}`),
    onRefusedCutOff: (id) => refused.push(`cut-off ${id}`)
  })
  const peer = (id: string): PeerId => ({ toString: () => id }) as unknown as PeerId
  const conn = { remoteAddr: { toString: () => '/ip4/127.0.0.1/tcp/1' } } as unknown as MultiaddrConnection
  assert.equal(gater.denyDialPeer?.(peer('X')), true)
  assert.equal(gater.denyDialPeer?.(peer('Y')), false)
  assert.equal(gater.denyInboundEncryptedConnection?.(peer('X'), conn), true)
  assert.equal(gater.denyInboundEncryptedConnection?.(peer('Y'), conn), false)
  assert.equal(gater.denyOutboundEncryptedConnection?.(peer('Z'), conn), true)
  assert.deepEqual(refused, ['cut-off X', 'not-member Z'])
})
