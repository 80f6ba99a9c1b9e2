import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { join } from 'node:path'
import { createReadStream } from 'node:fs'
import { tempDir } from '../helpers/temp-dir.js'
import { Store } from '../../src/store/store.js'
import { generateIdentityKey, identityFromKeyBytes } from '../../src/identity/identity.js'
import { openHashLog, type HashLog } from '../../src/log/hash-log.js'
import { importHashes, type ImportProgress } from '../../src/lists/importer.js'
import { exportHashes } from '../../src/lists/exporter.js'
import { getFormat } from '../../src/formats/registry.js'
import { isHashfedError } from '../../src/errors.js'

const me = identityFromKeyBytes(await generateIdentityKey())
const ME = me.peerId.toString()
const shaHex = (s: string): string => createHash('sha256').update(s).digest('hex')
const md5Hex = (s: string): string => createHash('md5').update(s).digest('hex')
const lines = getFormat('lines')
const csv = getFormat('csv')

async function fresh (): Promise<{ store: Store, log: HashLog }> {
  const store = await Store.open(join(await tempDir(), 'store'), { create: true })
  return { store, log: await openHashLog({ store }) }
}

/** A file given as text, delivered in awkward chunks (line breaks fall mid-chunk). */
const text = (s: string) => () => (async function * () {
  for (let i = 0; i < s.length; i += 7) yield Buffer.from(s.slice(i, i + 7))
})()

async function dump (store: Store): Promise<string[]> {
  const out: string[] = []
  for await (const [k, v] of store.db.iterator()) out.push(`${k}=${Buffer.from(v).toString('hex')}`)
  return out
}

async function collect (it: AsyncIterable<string>): Promise<string> {
  let s = ''
  for await (const chunk of it) s += chunk
  return s
}

async function current (log: HashLog): Promise<string[]> {
  const out: string[] = []
  for await (const r of log.currentSet({ origin: ME })) out.push(`${r.record.algorithm}:${Buffer.from(r.record.value).toString('hex')}`)
  return out.sort()
}

test('import writes batches of the given size; re-importing the same file adds nothing', async () => {
  const { store, log } = await fresh()
  const file = Array.from({ length: 25 }, (_, i) => shaHex(String(i))).join('\n') + '\n'
  const progress: ImportProgress[] = []
  const first = await importHashes({ log, identity: me, format: lines, input: text(file), init: { defaults: { classification: 'baseline' } }, batchEntries: 10, onProgress: p => progress.push(p) })
  assert.deepEqual([first.added, first.alreadyPresent, first.batches, first.rejectedCount, first.items], [25, 0, 3, 0, 25])
  assert.equal(log.head(ME)?.seq, 3)
  assert.equal(log.head(ME)?.current, 25)
  assert.deepEqual(progress.at(-1), { phase: 'write', items: 25, total: 25 })
  assert.ok(progress.some(p => p.phase === 'check'))
  assert.equal((await log.show('sha256', Buffer.from(shaHex('3'), 'hex')))[0].record.classification, 'baseline')

  const before = await dump(store)
  const again = await importHashes({ log, identity: me, format: lines, input: text(file), batchEntries: 10, init: { defaults: { classification: 'baseline' } } })
  assert.deepEqual([again.added, again.alreadyPresent, again.batches], [0, 25, 0])
  assert.deepEqual(await dump(store), before)
  assert.equal((await log.verifyOrigin(ME)).ok, true)
  await store.close()
})

test('rejected lines are reported with their numbers; duplicates within a file count as already present', async () => {
  const { store, log } = await fresh()
  const file = [
    shaHex('a'), // 1
    'not-a-hash', // 2
    shaHex('b'), // 3
    '', // 4 (blank, skipped)
    shaHex('a'), // 5 duplicate of line 1
    'sha256:' + shaHex('c').slice(0, 60), // 6 too short
    md5Hex('d') // 7 md5 by length
  ].join('\n')
  const s = await importHashes({ log, identity: me, format: lines, input: text(file), batchEntries: 2 })
  assert.deepEqual(s.rejected.map(r => r.line), [2, 6])
  assert.ok(s.rejected.every(r => r.reason.length > 0))
  assert.deepEqual([s.added, s.alreadyPresent, s.rejectedCount], [3, 1, 2])
  assert.deepEqual(await current(log), [`md5:${md5Hex('d')}`, `sha256:${shaHex('a')}`, `sha256:${shaHex('b')}`].sort())
  await store.close()
})

test('a file that is not the format fails with HF_INVALID_FORMAT and leaves the store byte for byte as it was', async () => {
  const { store, log } = await fresh()
  await importHashes({ log, identity: me, format: lines, input: text(shaHex('kept') + '\n') })
  const before = await dump(store)
  // valid hashes first, then binary garbage far into the file: pass 1 finds it before any write
  const bad = Array.from({ length: 30 }, (_, i) => shaHex(`x${i}`)).join('\n') + '\nabc\u0000def\n'
  await assert.rejects(importHashes({ log, identity: me, format: lines, input: text(bad), batchEntries: 5 }), (e: unknown) => isHashfedError(e, 'HF_INVALID_FORMAT'))
  await assert.rejects(importHashes({ log, identity: me, format: lines, input: text('{"value": []}\n') }), (e: unknown) => isHashfedError(e, 'HF_INVALID_FORMAT'))
  await assert.rejects(importHashes({ log, identity: me, format: csv, input: text('colour,value\nred,' + shaHex('y') + '\n') }), (e: unknown) => isHashfedError(e, 'HF_INVALID_FORMAT'))
  assert.deepEqual(await dump(store), before)
  assert.equal(log.head(ME)?.seq, 1)
  await store.close()
})

test('import -> export -> import round-trips exactly, and export filters by origin and algorithm', async () => {
  const { store, log } = await fresh()
  const file = [
    'algorithm,value,quality,classification,iwf_category,vics_category,age_band,media,tags,source',
    `sha256,${shaHex('1')},,baseline,A,1,3-6,image,t1|t2,case-9`,
    `md5,${md5Hex('2')},,national,,,,video,,`,
    `pdq,${shaHex('3')},77,not-illegal,,,,,,`
  ].join('\n') + '\n'
  const s = await importHashes({ log, identity: me, format: csv, input: text(file) })
  assert.equal(s.added, 3)
  const exported = await collect(exportHashes({ log, format: csv, origin: ME }))

  const other = await fresh()
  const s2 = await importHashes({ log: other.log, identity: me, format: csv, input: text(exported) })
  assert.equal(s2.added, 3)
  assert.equal(await collect(exportHashes({ log: other.log, format: csv })), exported)
  const [shown] = await other.log.show('sha256', Buffer.from(shaHex('1'), 'hex'))
  assert.deepEqual({ ...shown.record, value: undefined }, { algorithm: 'sha256', value: undefined, classification: 'baseline', iwfCategory: 'A', vicsCategory: 1, ageBand: '3-6', media: 'image', tags: ['t1', 't2'], source: 'case-9' })

  const md5Only = await collect(exportHashes({ log, format: lines, algorithm: 'md5' }))
  assert.equal(md5Only, `md5:${md5Hex('2')}\n`)
  assert.equal(await collect(exportHashes({ log, format: lines, origin: 'someone-else' })), '')
  await store.close()
  await other.store.close()
})

test('NCMEC deletions retract every hash imported with that entry id', async () => {
  const { store, log } = await fresh()
  const ncmec = getFormat('ncmec-xml')
  const fixture = join(process.cwd(), 'test/fixtures/formats/ncmec-queryresult.xml')
  const s = await importHashes({ log, identity: me, format: ncmec, input: () => createReadStream(fixture) })
  assert.ok(s.added > 0)
  assert.equal(s.retracted, 0) // the fixture deletes ids this node never imported: nothing to do
  const of5001: string[] = []
  for await (const r of log.currentSet({ origin: ME })) if (r.record.source === 'ncmec:5001') of5001.push(`${r.record.algorithm}:${Buffer.from(r.record.value).toString('hex')}`)
  assert.ok(of5001.length >= 2)

  const deletion = (id: string): string => `<?xml version="1.0"?><queryResult xmlns="https://hashsharing.ncmec.org/hashsharing/v2"><images count="1"><deletedImage><member id="42">M</member><timestamp>2024-03-01T00:00:00Z</timestamp><id>${id}</id></deletedImage></images></queryResult>`
  const del = await importHashes({ log, identity: me, format: ncmec, input: text(deletion('5001')) })
  assert.equal(del.retracted, of5001.length)
  const left = await current(log)
  assert.equal(left.length, s.added - of5001.length)
  assert.ok(of5001.every(h => !left.includes(h)))
  for (const h of of5001) {
    const [alg, value] = h.split(':')
    const [p] = await log.show(alg as 'md5', Buffer.from(value, 'hex'))
    assert.deepEqual(p.retracted?.seq, log.head(ME)?.seq)
  }
  assert.deepEqual(log.listOrigins().map(o => o.retractions), [of5001.length])

  // the same deletion again finds nothing left to retract
  const again = await importHashes({ log, identity: me, format: ncmec, input: text(deletion('5001')) })
  assert.deepEqual([again.retracted, again.batches], [0, 0])
  assert.equal((await log.verifyOrigin(ME)).ok, true)
  await store.close()
})

test('export without an origin writes a hash several origins vouch for once', async () => {
  const { store, log } = await fresh()
  const peer = identityFromKeyBytes(await generateIdentityKey())
  const peerLog = await fresh()
  await importHashes({ log: peerLog.log, identity: peer, format: lines, input: text(`${shaHex('shared')}\n${shaHex('theirs')}\n`) })
  for await (const signed of peerLog.log.readRange(peer.peerId.toString(), 1)) {
    assert.equal((await log.applyRemote(signed, { isMember: () => true })).status, 'stored')
  }
  await importHashes({ log, identity: me, format: lines, input: text(`${shaHex('shared')}\n${shaHex('mine')}\n`) })
  const all = (await collect(exportHashes({ log, format: lines }))).trim().split('\n').sort()
  assert.deepEqual(all, [shaHex('shared'), shaHex('theirs'), shaHex('mine')].map(h => `sha256:${h}`).sort())
  assert.equal((await collect(exportHashes({ log, format: lines, origin: ME }))).trim().split('\n').length, 2)
  assert.equal((await log.show('sha256', Buffer.from(shaHex('shared'), 'hex'))).length, 2)
  await store.close()
  await peerLog.store.close()
})
