import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { pb } from '../../src/proto/index.js'
import { entryFromProto, entryToProto } from '../../src/log/entry-codec.js'
import { entryFrames, vpdqValue, VPDQ_ENTRY_MAX_FRAMES } from '../../src/log/vpdq-value.js'
import { parseVpdqText } from '../../src/hashing/video/vpdq-text.js'
import { matchVpdqBrute, DEFAULT_VPDQ_RULE } from '../../src/hashing/video/vpdq-match.js'
import { getFormat } from '../../src/formats/registry.js'
import { vpdqRecord } from '../../src/formats/vpdq-formats.js'
import { VideoMatcher } from '../../src/match/video-matcher.js'
import type { HashRecord, ImportItem } from '../../src/log/entry.js'

const FIXTURES = fileURLToPath(new URL('../../../test/fixtures/vpdq/', import.meta.url))
const NAMES = ['chair-19-sd-bar', 'doorknob-hd-no-bar', 'pattern-sd-grey-bar']
const text = (name: string): string => readFileSync(`${FIXTURES}${name}.txt`, 'utf8')
const features = (name: string) => parseVpdqText(text(name))

async function collect<T> (it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = []
  for await (const x of it) out.push(x)
  return out
}
async function * once (s: string): AsyncGenerator<string> { yield s }
async function * records (rs: HashRecord[]): AsyncGenerator<HashRecord> { yield * rs }

test('a vpdq entry round-trips through the proto; its value is the SHA-256 of its frames', () => {
  const record = vpdqRecord(features('chair-19-sd-bar'))
  assert.equal(record.media, 'video')
  assert.ok(record.frames !== undefined && record.frames.length > 0)
  assert.equal(new Set(record.frames.map(f => Buffer.from(f.hash).toString('hex'))).size, record.frames.length, 'deduplicated')
  const wire = pb.HashEntry.decode(pb.HashEntry.encode(entryToProto({ op: 'add', record })).finish())
  const back = entryFromProto(wire)
  assert.equal(back.op, 'add')
  if (back.op !== 'add') return
  assert.deepEqual(Buffer.from(back.record.value), Buffer.from(record.value))
  assert.deepEqual(back.record.frames?.map(f => [f.frameNumber, f.quality, Buffer.from(f.hash).toString('hex'), f.timestamp]), record.frames.map(f => [f.frameNumber, f.quality, Buffer.from(f.hash).toString('hex'), f.timestamp]))
  // a retraction names the value only
  const retract = entryFromProto(pb.HashEntry.decode(pb.HashEntry.encode(entryToProto({ op: 'retract', algorithm: 'vpdq', value: record.value, reason: 'x' })).finish()))
  assert.equal(retract.op, 'retract')
})

test('a peer\'s vpdq entry is refused when its frames do not fit its value, repeat a hash, or exceed the cap', () => {
  const record = vpdqRecord(features('chair-19-sd-bar'))
  const frames = record.frames ?? []
  const encode = (fs: typeof frames, value = vpdqValue(fs)) => ({ op: pb.HashEntry.Op.ADD, algorithm: pb.Algorithm.VPDQ, value, vpdq: { frames: fs.map(f => ({ hash: f.hash, quality: f.quality, frame: f.frameNumber, timestamp: f.timestamp })) } })
  // frames swapped under a known value: the attack of serving other frames for a listed video
  const other = vpdqRecord(features('doorknob-hd-no-bar')).frames ?? []
  assert.throws(() => entryFromProto(encode(other, record.value)), /SHA-256 of its frames/)
  assert.throws(() => entryFromProto(encode([frames[0], { ...frames[0], frameNumber: frames[0].frameNumber + 1 }])), /distinct/)
  assert.throws(() => entryFromProto(encode([])), /at least one frame/)
  const many = Array.from({ length: VPDQ_ENTRY_MAX_FRAMES + 1 }, (_, i) => ({ frameNumber: i, quality: 100, hash: Uint8Array.from({ length: 32 }, (_, k) => (i >> (k % 2 === 0 ? 0 : 8)) & 0xff ^ k), timestamp: i }))
  assert.throws(() => entryFromProto(encode(many)), /at most 4096 frames/)
  assert.equal(entryFrames(many).length, VPDQ_ENTRY_MAX_FRAMES, 'a longer video is cut when added')
  assert.throws(() => entryFromProto({ op: pb.HashEntry.Op.ADD, algorithm: pb.Algorithm.VPDQ, value: record.value }), /at least one frame/)
  assert.throws(() => entryFromProto({ op: pb.HashEntry.Op.ADD, algorithm: pb.Algorithm.PDQ, value: frames[0].hash, vpdq: { frames: [] } }), /frames apply to vpdq/)
})

test('vpdq-text imports Meta\'s text form as one video and exports it back; pytx-vpdq round-trips its signal strings', async () => {
  const format = getFormat('vpdq-text')
  const items = await collect(format.parse(once(text('chair-19-sd-bar') + '\n' + text('pattern-sd-grey-bar'))))
  assert.equal(items.length, 2)
  const recs = items.map(i => (i as Extract<ImportItem, { kind: 'add' }>).record)
  assert.deepEqual(recs[0].value, vpdqRecord(features('chair-19-sd-bar')).value)
  const written = (await collect(format.write?.(records(recs)) ?? once(''))).join('')
  const again = (await collect(format.parse(once(written)))).map(i => (i as Extract<ImportItem, { kind: 'add' }>).record.value)
  assert.deepEqual(again, recs.map(r => r.value))
  await assert.rejects(collect(format.parse(once('0,100,zz,0.000\n'))), /HF_INVALID_FORMAT|not "frame/)

  const pytx = getFormat('pytx-vpdq')
  const line = (await collect(pytx.write?.(records([recs[0]])) ?? once(''))).join('')
  assert.match(line, /^\["[0-9a-f]{64},\d+,[0-9.e+-]+"/)
  const parsed = (await collect(pytx.parse(once(line)))).map(i => (i as Extract<ImportItem, { kind: 'add' }>).record)
  assert.equal(parsed.length, 1)
  assert.equal(parsed[0].frames?.length, recs[0].frames?.length)
  assert.equal((await collect(pytx.write?.(records(parsed)) ?? once(''))).join(''), line, 'stable')
})

test('the video matcher gives Meta\'s verdicts on every pair of reference videos, and forgets retracted or disabled ones', () => {
  let enabled = true
  const m = new VideoMatcher(DEFAULT_VPDQ_RULE, origin => origin !== 'off' || enabled)
  const stored = new Map<string, HashRecord>()
  for (const name of NAMES) {
    const r = vpdqRecord(features(name))
    stored.set(name, r)
    m.add('o1', r.value, r.frames ?? [])
  }
  for (const q of NAMES) {
    const got = m.query(features(q)).map(x => x.valueHex).sort()
    const want = NAMES.filter(s => matchVpdqBrute(features(q), stored.get(s)?.frames ?? []).match).map(s => Buffer.from(stored.get(s)?.value ?? []).toString('hex')).sort()
    assert.deepEqual(got, want, q)
    assert.ok(got.length >= 1, `${q} matches itself`)
  }
  const chair = stored.get('chair-19-sd-bar') as HashRecord
  m.add('off', chair.value, chair.frames ?? [])
  assert.equal(m.query(features('chair-19-sd-bar')).filter(x => x.valueHex === Buffer.from(chair.value).toString('hex')).length, 2, 'two origins vouch')
  enabled = false
  assert.deepEqual(m.query(features('chair-19-sd-bar')).map(x => x.origin), ['o1'], 'a disabled origin leaves the answers')
  m.remove('o1', chair.value)
  assert.deepEqual(m.query(features('chair-19-sd-bar')).filter(x => x.valueHex === Buffer.from(chair.value).toString('hex')), [])
  // frame-to-image: one stored frame's hash finds its video
  const f = (stored.get('pattern-sd-grey-bar')?.frames ?? []).find(x => x.quality >= 50)
  assert.ok(f !== undefined)
  const hits = m.frames(f.hash, 31)
  assert.equal(hits[0]?.valueHex, Buffer.from(stored.get('pattern-sd-grey-bar')?.value ?? []).toString('hex'))
  assert.equal(hits[0]?.distance, 0)
})
