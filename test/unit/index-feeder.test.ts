import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { tempDir } from '../helpers/temp-dir.js'
import { Store } from '../../src/store/store.js'
import { generateIdentityKey, identityFromKeyBytes } from '../../src/identity/identity.js'
import { openHashLog } from '../../src/log/hash-log.js'
import { buildBatch, decodeBatch } from '../../src/log/batch.js'
import { entryToProto } from '../../src/log/entry-codec.js'
import { algorithmFromEnum, ALGORITHMS, type AlgorithmName } from '../../src/log/hash-value.js'
import { entryFrames, framesFromProto, vpdqValue } from '../../src/log/vpdq-value.js'
import type { HashRecord, LogEntry } from '../../src/log/entry.js'
import { pb } from '../../src/proto/index.js'
import { createMatchIndex, type MatchIndex } from '../../src/match/match-index.js'
import { IndexFeeder } from '../../src/match/index-feeder.js'
import { VideoMatcher } from '../../src/match/video-matcher.js'
import { BenignIndex } from '../../src/match/benign-index.js'
import { DEFAULT_VPDQ_RULE } from '../../src/hashing/video/vpdq-match.js'

const alice = identityFromKeyBytes(await generateIdentityKey())
const bob = identityFromKeyBytes(await generateIdentityKey())
const sha = (s: string): Uint8Array => new Uint8Array(createHash('sha256').update(s).digest())
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')

function video (seed: string): HashRecord {
  const frames = entryFrames([0, 1, 2, 3].map(i => ({ hash: sha(`${seed}-${i}`), quality: 90, frameNumber: i, timestamp: i })))
  return { algorithm: 'vpdq', value: vpdqValue(frames), frames, media: 'video' }
}

/** The index as the feeder built it before batch-scan: every batch decoded by protobufjs and replayed. */
async function referenceIndex (log: Awaited<ReturnType<typeof openHashLog>>, videos: VideoMatcher): Promise<MatchIndex> {
  const index = createMatchIndex()
  for (const head of log.heads()) {
    for await (const signed of log.readRange(head.origin, 1, head.seq)) {
      const batch = decodeBatch(signed)
      for (const e of batch.entries) {
        const algorithm = algorithmFromEnum(e.algorithm ?? 0)
        const value = e.value as Uint8Array
        if (e.op === pb.HashEntry.Op.ADD) index.add(head.origin, algorithm, value, batch.seq)
        else index.remove(head.origin, algorithm, value)
        if (algorithm === 'vpdq') {
          if (e.op === pb.HashEntry.Op.ADD) videos.add(head.origin, value, framesFromProto(e.vpdq ?? {}))
          else videos.remove(head.origin, value)
        }
      }
    }
  }
  index.optimize()
  return index
}

test('the index loaded at start equals the stored current sets and a protobufjs replay of every batch', async () => {
  const store = await Store.open(join(await tempDir(), 'store'), { create: true })
  const log = await openHashLog({ store, batchEntries: 4 })
  const values: Array<{ algorithm: AlgorithmName, value: Uint8Array }> = []
  const note = (r: { algorithm: AlgorithmName, value: Uint8Array }): void => { values.push({ algorithm: r.algorithm, value: r.value }) }
  try {
    // alice: adds of every kind over several batches, a retract, a re-add in a later batch, a retract-source
    const adds: HashRecord[] = [
      ...Array.from({ length: 9 }, (_, i): HashRecord => ({ algorithm: 'sha256', value: sha(`s${i}`), source: i < 3 ? 'case-1' : 'case-2', classification: 'baseline', tags: ['t'] })),
      ...Array.from({ length: 5 }, (_, i): HashRecord => ({ algorithm: 'pdq', value: new Uint8Array(randomBytes(32)), quality: 90 })),
      { algorithm: 'md5', value: new Uint8Array(16).fill(3) },
      video('v1'),
      video('v2')
    ]
    adds.forEach(note)
    await log.append(alice, adds.map(record => ({ op: 'add' as const, record })))
    await log.append(alice, [
      { op: 'retract', algorithm: 'sha256', value: sha('s5'), reason: 'false positive' },
      { op: 'retract', algorithm: 'vpdq', value: adds[15].value, reason: 'false positive' },
      { op: 'retract-source', source: 'case-1', reason: 'case closed' }
    ])
    await log.append(alice, [{ op: 'add', record: { algorithm: 'sha256', value: sha('s5'), classification: 'national' } }])
    // bob, from a peer: shares two of alice's values, retracts one of his own
    const bobEntries: LogEntry[] = [
      { op: 'add', record: { algorithm: 'sha256', value: sha('s4') } },
      { op: 'add', record: adds[9] },
      { op: 'add', record: { algorithm: 'sha256', value: sha('b1') } },
      { op: 'add', record: video('v3') }
    ]
    note({ algorithm: 'sha256', value: sha('b1') })
    note(video('v3'))
    const b1 = buildBatch({ identity: bob, seq: 1, prevHash: new Uint8Array(0), entries: bobEntries.map(entryToProto) })
    const b2 = buildBatch({ identity: bob, seq: 2, prevHash: b1.hash, entries: [entryToProto({ op: 'retract', algorithm: 'sha256', value: sha('b1'), reason: 'duplicate' })] })
    for (const b of [b1, b2]) assert.equal((await log.applyRemote(b.signed, { isMember: () => true })).status, 'stored')

    const videos = new VideoMatcher(DEFAULT_VPDQ_RULE, () => true)
    const index = createMatchIndex()
    const stats = await new IndexFeeder({ index, videos, hashLog: log }).start()
    const refVideos = new VideoMatcher(DEFAULT_VPDQ_RULE, () => true)
    const reference = await referenceIndex(log, refVideos)

    assert.equal(stats.entries, log.heads().reduce((n, h) => n + h.entries, 0))
    assert.deepEqual(index.counts(), reference.counts())
    for (const { algorithm, value } of values) {
      assert.deepEqual(index.lookup(algorithm, value), reference.lookup(algorithm, value), `${algorithm}:${hex(value)}`)
    }
    // every current (origin, value) is in the index with the seq of its row, and nothing else is
    const current = new Map<string, Array<{ origin: string, seq: number }>>()
    for await (const c of log.currentSet()) {
      const key = `${c.record.algorithm}:${hex(c.record.value)}`
      current.set(key, [...(current.get(key) ?? []), { origin: c.origin, seq: c.seq }])
    }
    let refs = 0
    for (const algorithm of ALGORITHMS) refs += index.counts()[algorithm].refs
    assert.equal(refs, [...current.values()].reduce((n, l) => n + l.length, 0))
    for (const [key, origins] of current) {
      const [algorithm, valueHex] = key.split(':') as [AlgorithmName, string]
      const got = index.lookup(algorithm, Buffer.from(valueHex, 'hex')).map(r => ({ origin: r.origin, seq: r.seq }))
      assert.deepEqual(new Set(got.map(r => JSON.stringify(r))), new Set(origins.map(r => JSON.stringify(r))), key)
    }
    assert.deepEqual(index.lookup('sha256', sha('s5'))[0]?.seq, log.head(alice.peerId.toString())?.seq, 're-added in the last batch')
    assert.deepEqual(index.lookup('sha256', sha('s0')), [], 'retracted by source')
    // the near-match part and the videos match the reference too
    for (const { algorithm, value } of values.filter(v => v.algorithm === 'pdq')) {
      assert.deepEqual(index.near('pdq', value), reference.near('pdq', value))
      assert.equal(index.near('pdq', value)[0]?.distance, 0)
    }
    assert.equal(videos.size, refVideos.size)
    for (const v of ['v1', 'v2', 'v3']) {
      const frames = video(v).frames ?? []
      assert.deepEqual(videos.query(frames), refVideos.query(frames), v)
    }
    assert.deepEqual(videos.query(video('v2').frames ?? []).map(m => m.valueHex), [hex(video('v2').value)])
    assert.deepEqual(videos.query(video('v1').frames ?? []), [], 'retracted video')
  } finally {
    await log.close()
    await store.close()
  }
})

test('addAt adds the value inside a larger buffer as add does, and refuses a range of the wrong length or past the end', () => {
  const viaAdd = createMatchIndex()
  const viaAddAt = createMatchIndex()
  const buffer = new Uint8Array(randomBytes(100))
  const origin = alice.peerId.toString()
  assert.equal(viaAdd.add(origin, 'sha256', buffer.slice(7, 39), 3), true)
  assert.equal(viaAddAt.addAt(origin, 'sha256', buffer, 7, 32, 3), true)
  assert.equal(viaAddAt.addAt(origin, 'sha256', buffer, 7, 32, 4), false, 'already vouched: takes the newer seq')
  assert.deepEqual(viaAddAt.lookup('sha256', buffer.slice(7, 39)), [{ origin, seq: 4 }])
  assert.deepEqual(viaAdd.lookup('sha256', buffer.slice(7, 39)), [{ origin, seq: 3 }])
  assert.equal(viaAddAt.addAt(origin, 'pdq', buffer, 50, 32, 1), true)
  assert.equal(viaAddAt.near('pdq', buffer.slice(50, 82))[0]?.distance, 0)
  for (const [offset, length] of [[0, 31], [80, 32], [-1, 32], [1.5, 32]]) {
    assert.throws(() => viaAddAt.addAt(origin, 'sha256', buffer, offset, length, 1), (err: unknown) => (err as { code?: string }).code === 'HF_INVALID_HASH')
  }
  assert.equal(viaAddAt.size('sha256'), 1)
})

test('benign entries loaded at start: set and withdrawn as the log says, with their reasons, never touching the vouches', async () => {
  const store = await Store.open(join(await tempDir(), 'store'), { create: true })
  const log = await openHashLog({ store, batchEntries: 4 })
  try {
    await log.append(alice, [{ op: 'add', record: { algorithm: 'sha256', value: sha('listed') } }])
    await log.append(alice, [
      { op: 'benign', algorithm: 'sha256', value: sha('theme'), reason: 'WordPress default theme image' },
      { op: 'benign', algorithm: 'sha256', value: sha('icon'), reason: 'stock icon' },
      { op: 'benign', algorithm: 'sha256', value: sha('listed'), reason: 'a benign mark beside a vouch' }
    ])
    await log.append(alice, [{ op: 'benign', algorithm: 'sha256', value: sha('icon'), reason: 'mistake', withdraw: true }])
    const benign = new BenignIndex()
    const index = createMatchIndex()
    await new IndexFeeder({ index, hashLog: log, benign }).start()
    const origin = alice.peerId.toString()
    assert.deepEqual(benign.list().map(b => [b.ref, b.origin, b.reason]).sort(), [
      [`sha256:${hex(sha('listed'))}`, origin, 'a benign mark beside a vouch'],
      [`sha256:${hex(sha('theme'))}`, origin, 'WordPress default theme image']
    ].sort())
    assert.deepEqual(index.lookup('sha256', sha('listed')).map(r => r.origin), [origin], 'a benign entry is no retraction')
    assert.deepEqual(index.lookup('sha256', sha('theme')), [], 'nor a vouch')
  } finally {
    await log.close()
    await store.close()
  }
})
