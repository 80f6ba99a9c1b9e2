import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { tempDir } from '../helpers/temp-dir.js'
import { createFederation, nodePool, startMember, waitFor, CapturedLog } from '../helpers/federation.js'
import type { HashfedNode } from '../../src/daemon/hashfed-node.js'
import { nodeDir } from '../../src/config/node-dir.js'
import { Store } from '../../src/store/store.js'
import { pb } from '../../src/proto/index.js'

const { start, stop } = nodePool()
const started = new Set<HashfedNode>()
after(async () => { await Promise.all([...started].map(async n => await n.stop())) })

const SET_ASIDE = 'a courier row does not decode; kept aside in the store and skipped'
/** Field 1 (string) claiming 255 bytes that are not there: no protobuf reader gets through it. */
const JUNK = Uint8Array.of(0x0a, 0xff, 0x01, 0x02)

async function inbound (node: HashfedNode): Promise<string[]> {
  return (await node.reports.list({ direction: 'inbound' })).map(r => r.id).sort()
}

test('damaged outbox rows in a real store: set aside with their bytes, counted in status, logged once; the rest is delivered', async () => {
  const root = await tempDir()
  const [nlM, deM] = await createFederation(root, [{ name: 'EOKM', countries: ['NL'] }, { name: 'DE', countries: ['DE'] }])
  // DE queues three reports for EOKM while EOKM is down, then stops
  let de = await start(deM)
  const ids: string[] = []
  for (let i = 0; i < 3; i++) ids.push((await de.reports.submit({ url: `https://example.nl/damaged/${i}`, country: 'NL' })).id)
  assert.equal(de.reports.outboxDepth(), 3)
  await stop(de)

  // damage on disk: one item's bytes no longer decode, and a foreign row decodes but names no peer
  const store = await Store.open(nodeDir(deM.dir).store)
  const rows: Array<[string, Uint8Array]> = []
  for await (const [key, raw] of store.sub.outbox.iterator()) rows.push([key, raw])
  assert.equal(rows.length, 3)
  const [damagedKey] = rows[0]
  const damagedSubject = pb.OutboxItem.decode(rows[0][1]).subject
  await store.sub.outbox.put(damagedKey, JUNK)
  const foreign = pb.OutboxItem.encode({ id: 'report-foreign', target: Uint8Array.of(1, 2, 3), message: {}, subject: 'none' }).finish()
  await store.sub.outbox.put('report-foreign', foreign)
  await store.close()

  const nl = await start(nlM)
  const log = new CapturedLog({ node: 'DE' })
  de = (await startMember(deM, log)).node
  started.add(de)
  assert.ok(await waitFor(() => de.reports.outboxDepth() === 0, 30_000), 'the undamaged items are delivered')
  const delivered = ids.filter(id => id !== damagedSubject).sort()
  assert.ok(await waitFor(async () => (await inbound(nl)).length === 2, 30_000))
  assert.deepEqual(await inbound(nl), delivered)

  // kept aside as found, out of the outbox
  const aside = new Map<string, Uint8Array>()
  for await (const [key, raw] of de.ctx.store.sub.aside.iterator()) aside.set(key, raw)
  assert.equal(aside.size, 2)
  const keptDamaged = [...aside].find(([k]) => k.startsWith('outbox!') && k.endsWith(`!${damagedKey}`))
  assert.ok(keptDamaged !== undefined, `the damaged row is kept under its key (${[...aside.keys()].join(', ')})`)
  assert.deepEqual(Buffer.from(keptDamaged[1]), Buffer.from(JUNK))
  assert.ok([...aside].some(([k, v]) => k.endsWith('!report-foreign') && Buffer.compare(v, foreign) === 0))
  assert.equal(await de.ctx.store.count('outbox'), 0)

  // raised in status, in-process and over the admin API, and logged once each
  assert.deepEqual((await de.status()).courier, { pending: 0, setAside: 2 })
  const res = await fetch(`${de.adminUrl}/v1/status`, { signal: AbortSignal.timeout(10_000) })
  assert.deepEqual((await res.json() as { courier: unknown }).courier, { pending: 0, setAside: 2 })
  assert.equal(log.lines.filter(l => l.msg === SET_ASIDE).length, 2)

  // a restart finds nothing new to set aside and still reports the evidence
  await de.stop()
  started.delete(de)
  const log2 = new CapturedLog({ node: 'DE' })
  de = (await startMember(deM, log2)).node
  started.add(de)
  assert.equal(de.reports.courier.status().setAside, 2)
  assert.equal(log2.lines.filter(l => l.msg === SET_ASIDE).length, 0)
  // the report whose item was damaged stays outbound and undelivered: visible, not lost
  assert.equal((await de.reports.show(damagedSubject)).status, 'queued')
  await stop(nl)
})

test('a damaged receipt in `seen`: set aside, the redelivered message is stored and receipted again', async () => {
  const root = await tempDir()
  const [nlM, deM] = await createFederation(root, [{ name: 'EOKM', countries: ['NL'] }, { name: 'DE', countries: ['DE'] }])
  const nl = await start(nlM)
  const de = await start(deM)
  const { id } = await de.reports.submit({ url: 'https://example.nl/seen/1', country: 'NL' })
  assert.ok(await waitFor(() => de.reports.outboxDepth() === 0, 30_000))
  const seen: string[] = []
  for await (const key of nl.ctx.store.sub.seen.keys()) seen.push(key)
  assert.equal(seen.length, 1)
  await nl.ctx.store.sub.seen.put(seen[0], JUNK)

  // as if DE had lost the receipt: the same signed report goes out again
  const stored = await de.reports.reports.get(id)
  await de.reports.outbox.send(nlM.peerId, { report: stored!.report! }, { subject: id })
  assert.ok(await waitFor(() => de.reports.outboxDepth() === 0, 30_000), 'receipted despite the damaged row')
  assert.equal(nl.reports.courier.status().setAside, 1)
  assert.equal((await nl.status()).courier.setAside, 1)
  const again = await nl.ctx.store.sub.seen.get(seen[0])
  assert.ok(again !== undefined && pb.Signed.decode(again).signature.length > 0, 'a fresh receipt is kept')
  assert.deepEqual(await inbound(nl), [id], 'stored once')
  await stop(de)
  await stop(nl)
})
