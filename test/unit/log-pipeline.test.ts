// Appends that overlap: the next is planned while the previous write is in flight (an
// import's pipeline). Real LevelDB; the failing write is a store closed mid-import.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { join } from 'node:path'
import { tempDir } from '../helpers/temp-dir.js'
import { Store } from '../../src/store/store.js'
import { generateIdentityKey, identityFromKeyBytes } from '../../src/identity/identity.js'
import { openHashLog, verifyLogStore, type HashLog } from '../../src/log/hash-log.js'
import type { HashRecord } from '../../src/log/entry.js'
import { importHashes } from '../../src/lists/importer.js'
import { getFormat } from '../../src/formats/registry.js'

const me = identityFromKeyBytes(await generateIdentityKey())
const ME = me.peerId.toString()
const sha = (s: string): Uint8Array => new Uint8Array(createHash('sha256').update(s).digest())
const rec = (s: string, extra: Partial<HashRecord> = {}): HashRecord => ({ algorithm: 'sha256', value: sha(s), ...extra })

async function fresh (batchEntries?: number): Promise<{ store: Store, log: HashLog, path: string }> {
  const path = join(await tempDir(), 'store')
  const store = await Store.open(path, { create: true })
  return { store, log: await openHashLog({ store, batchEntries }), path }
}

async function currentCount (log: HashLog): Promise<number> {
  let n = 0
  for await (const _ of log.currentSet({ origin: ME })) n++
  return n
}

test('appends issued together chain in order; a later one that changes rows of a write in flight sees them', async () => {
  const { store, log } = await fresh()
  const a = log.append(me, [{ op: 'add', record: rec('a', { source: 'case-1' }) }, { op: 'add', record: rec('b') }, { op: 'add', record: rec('c') }])
  // not awaited: each of these reads rows (or the `sources` index) the write before it changes
  const b = log.append(me, [{ op: 'retract', algorithm: 'sha256', value: sha('b'), reason: 'false positive' }, { op: 'add', record: rec('c') }, { op: 'add', record: rec('d') }])
  const c = log.append(me, [{ op: 'retract-source', source: 'case-1', reason: 'case closed' }, { op: 'add', record: rec('b', { classification: 'baseline' }) }])
  const [ra, rb, rc] = await Promise.all([a, b, c])
  assert.deepEqual([ra.added, ra.batches[0].seq], [3, 1])
  assert.deepEqual([rb.retracted, rb.unchanged, rb.added, rb.batches[0].seq], [1, 1, 1, 2])
  assert.deepEqual([rc.retracted, rc.added, rc.batches[0].seq], [1, 1, 3])
  const head = log.head(ME)
  assert.deepEqual([head?.seq, head?.entries, head?.current, head?.retracted], [3, 7, 3, 1]) // a retracted; b re-added; c, d
  assert.equal(await currentCount(log), 3)
  const report = await log.verify()
  assert.equal(report.ok, true, JSON.stringify(report))
  await log.close()
  await store.close()
})

test('a write that fails fails the import: memory keeps the last stored head, and the store holds whole batches only and verifies', async () => {
  const { store, log, path } = await fresh()
  const file = Array.from({ length: 200 }, (_, i) => createHash('sha256').update(String(i)).digest('hex')).join('\n') + '\n'
  let closing: Promise<void> | undefined
  const input = () => (async function * () { yield Buffer.from(file) })()
  const imported = importHashes({
    log,
    identity: me,
    format: getFormat('lines'),
    input,
    batchEntries: 10,
    // closing the store mid-import makes the writes from here on fail (LevelDB not open)
    onProgress: p => { if (p.phase === 'write' && p.items === 50 && closing === undefined) closing = store.close() }
  })
  await assert.rejects(imported)
  await closing
  const inMemory = log.head(ME)
  assert.ok(inMemory !== undefined && inMemory.seq >= 1 && inMemory.seq < 20, `head at ${String(inMemory?.seq)}`)

  const reopened = await Store.open(path)
  const report = await verifyLogStore(reopened)
  assert.equal(report.ok, true, JSON.stringify(report))
  const again = await openHashLog({ store: reopened })
  const stored = again.head(ME)
  assert.ok(stored !== undefined)
  // the head the log held equals the head on disk: nothing planned on a failed write moved it
  assert.deepEqual([stored.seq, stored.entries, stored.current, Buffer.from(stored.hash).toString('hex')],
    [inMemory.seq, inMemory.entries, inMemory.current, Buffer.from(inMemory.hash).toString('hex')])
  assert.equal(stored.entries, stored.seq * 10)
  assert.equal(await currentCount(again), stored.entries)
  // and the import can be run again to the end on the reopened store
  const summary = await importHashes({ log: again, identity: me, format: getFormat('lines'), input, batchEntries: 10 })
  assert.deepEqual([summary.added, summary.alreadyPresent], [200 - stored.entries, stored.entries])
  assert.equal(again.head(ME)?.current, 200)
  assert.equal((await again.verify()).ok, true)
  await again.close()
  await reopened.close()
})
