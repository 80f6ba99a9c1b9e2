import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { connect, type Socket } from 'node:net'
import { readFile, writeFile } from 'node:fs/promises'
import { peerIdFromString } from '@libp2p/peer-id'
import { nodeDir } from '../../src/config/node-dir.js'
import { tempDir } from '../helpers/temp-dir.js'
import { addToFederation, createFederation, createMembers, nodePool, waitFor, type TestMember } from '../helpers/federation.js'

/**
 * Outsiders that open TCP connections to a node's libp2p port and send nothing, from many
 * loopback addresses (127.0.0.2 …): each address keeps `perAddress` sockets open and opens a
 * new one the moment the node drops one, as a real attacker does.
 */
class SilentSockets {
  private readonly sockets = new Set<Socket>()
  private stopped = false
  /** sockets the node accepted and still holds (open for a while without a word) */
  held = 0
  /** connections the node closed at once: it had no slot for them */
  refused = 0

  constructor (private readonly port: number, addresses: string[], perAddress: number) {
    for (const a of addresses) for (let i = 0; i < perAddress; i++) this.open(a)
  }

  private open (localAddress: string): void {
    if (this.stopped) return
    const socket = connect({ host: '127.0.0.1', port: this.port, localAddress })
    this.sockets.add(socket)
    const opened = Date.now()
    let counted = false
    // accepted sockets are held open by the node; refused ones are closed at once
    const heldTimer = setTimeout(() => { counted = true; this.held++ }, 500)
    socket.on('error', () => {})
    socket.on('close', () => {
      clearTimeout(heldTimer)
      this.sockets.delete(socket)
      if (counted) this.held--
      else if (Date.now() - opened < 500) this.refused++
      // a slot the node freed is taken again at once; after a refusal, try again shortly
      setTimeout(() => { this.open(localAddress) }, counted ? 0 : 250)
    })
  }

  stop (): void {
    this.stopped = true
    for (const s of this.sockets) s.destroy()
  }
}

/** From its next start the member listens on another port than the one its peers know. */
async function moveToAnotherPort (m: TestMember): Promise<void> {
  const config = JSON.parse(await readFile(nodeDir(m.dir).config, 'utf8')) as { listen: string[] }
  config.listen = ['/ip4/127.0.0.1/tcp/0']
  await writeFile(nodeDir(m.dir).config, JSON.stringify(config, null, 2))
}

const ATTACKERS = Array.from({ length: 49 }, (_, i) => `127.0.0.${i + 2}`)

test('outsiders holding silent connections cannot keep a member from reconnecting', async (t) => {
  const root = await tempDir()
  const [nl, gb] = await createFederation(root, [{ name: 'nl', countries: ['NL'] }, { name: 'gb', countries: ['GB'] }])
  const pool = nodePool()
  const target = await pool.start(nl)
  let member = await pool.start(gb)
  const gbId = peerIdFromString(gb.peerId)
  const connected = (): boolean => target.libp2p.getConnections(gbId).some(c => c.status === 'open')
  assert.ok(await waitFor(connected, 30_000), 'the members connect before the attack')

  // GB goes down; when it comes back it listens on another port, so NL's redials to the
  // address it knows fail and only GB's own dial (inbound at NL, from 127.0.0.1) can reconnect
  await pool.stop(member)
  assert.ok(await waitFor(() => !connected(), 30_000))
  await moveToAnotherPort(gb)

  // the attack: 49 other loopback addresses, 3 silent sockets each, on NL's libp2p port
  const attack = new SilentSockets(nl.port, ATTACKERS, 3)
  after(() => { attack.stop() })
  // the node is saturated: it holds silent sockets and refuses further outsiders
  assert.ok(await waitFor(() => attack.held >= 10 && attack.refused > 0, 30_000), `attack in place: ${attack.held} held, ${attack.refused} refused`)

  member = await pool.start(gb)
  // GB gets in while the attack is still going, well within how long the attack lasts
  const inTime = await waitFor(connected, 30_000)
  const during = { held: attack.held, refused: attack.refused }
  t.diagnostic(`GB reconnected ${inTime ? 'during' : 'NOT during'} the attack: ${during.held} silent sockets held, ${during.refused} refused`)
  assert.ok(inTime, `GB could not reconnect during the attack (${during.held} silent sockets held, ${during.refused} refused)`)
  assert.ok(during.held >= 10, `the attack was still holding ${during.held} sockets when GB connected`)
  const link = member.members.links().find(l => l.peerId === nl.peerId)
  assert.equal(link?.connected, true, 'GB sees NL as connected')
  attack.stop()
})

test('a member added while the node runs is reserved at once: it gets in during a flood', async (t) => {
  const root = await tempDir()
  const [nl, gb] = await createMembers(root, [{ name: 'nl', countries: ['NL'] }, { name: 'gb', countries: ['GB'] }])
  await addToFederation(gb, [nl]) // GB knows NL; NL does not know GB yet
  await moveToAnotherPort(gb)
  const pool = nodePool()
  const target = await pool.start(nl)
  const gbId = peerIdFromString(gb.peerId)
  const connected = (): boolean => target.libp2p.getConnections(gbId).some(c => c.status === 'open')

  const attack = new SilentSockets(nl.port, ATTACKERS, 3)
  after(() => { attack.stop() })
  assert.ok(await waitFor(() => attack.held >= 10 && attack.refused > 0, 30_000), `attack in place: ${attack.held} held, ${attack.refused} refused`)

  // the operator adds GB (as `hashfed federation add` does), with the address GB had
  await target.addMember({ name: 'gb', peerId: gb.peerId, countries: ['GB'], addresses: gb.announce })
  await pool.start(gb)
  const inTime = await waitFor(connected, 30_000)
  t.diagnostic(`GB connected ${inTime ? 'during' : 'NOT during'} the attack: ${attack.held} silent sockets held, ${attack.refused} refused`)
  assert.ok(inTime, `GB could not connect during the attack (${attack.held} silent sockets held)`)
  assert.ok(attack.held >= 10, 'the attack was still in place')
  attack.stop()
})
