import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { tempDir } from '../helpers/temp-dir.js'
import { runCli } from '../helpers/cli.js'
import { createFederation, startMember, waitFor, type TestMember } from '../helpers/federation.js'
import { frameAsPng, reencodeSmaller } from '../helpers/ffmpeg-pipe.js'
import { digests } from '../../src/hashing/digests.js'
import type { HashfedNode } from '../../src/daemon/hashfed-node.js'
import type { ImageCheckResult, VideoCheckResult } from '../../src/check/check-service.js'
import { BRIDGE_FILES } from '../helpers/bridge-variants.js'

const VIDEO = 'test/fixtures/vpdq/chair-19-sd-bar.mp4'
const OTHER = 'test/fixtures/vpdq/doorknob-hd-no-bar.mp4'
const BRIDGE = 'test/fixtures/pdq/'
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')

async function post<T> (node: HashfedNode, token: string, path: string, body: Uint8Array): Promise<{ status: number, body: T & { error?: { code: string } } }> {
  const res = await fetch(node.checkUrl + path, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/octet-stream' }, body: Buffer.from(body) })
  return { status: res.status, body: await res.json() as T & { error?: { code: string } } }
}

describe('videos across a federation: EOKM adds a video, DE matches it (also re-encoded and by a frame), retraction stops it', () => {
  let members: TestMember[]
  let eokm: HashfedNode, de: HashfedNode
  const tokens: Record<string, string> = {}
  let video: Uint8Array
  let vpdqValue: string

  before(async () => {
    members = await createFederation(await tempDir(), [{ name: 'EOKM', countries: ['NL'] }, { name: 'DE', countries: ['DE'] }])
    ;[eokm, de] = await Promise.all(members.map(async x => (await startMember(x)).node))
    assert.ok(await waitFor(() => [eokm, de].every(n => n.members.connectedPeers().length === 1), 15_000), 'connected')
    tokens.de = (await de.check.tokens.create('de-host')).token
    tokens.eokm = (await eokm.check.tokens.create('eokm-host')).token
    video = new Uint8Array(await readFile(VIDEO))
  })

  after(async () => { await Promise.all([eokm, de].map(async n => await n?.stop())) })

  it('add-files adds a video\'s exact hashes and its vpdq entry; DE matches the file, a smaller re-encoded copy and one of its frames', async () => {
    const add = await runCli(['hashes', 'add-files', '--dir', members[0].dir, '--classification', 'baseline', '--json', VIDEO])
    assert.equal(add.code, 0, add.stderr)
    const summary = JSON.parse(add.stdout) as { added: number, videos: number }
    assert.equal(summary.videos, 1)
    assert.equal(summary.added, 4, 'sha256, sha1, md5, vpdq')
    const origin = members[0].peerId
    assert.ok(await waitFor(() => de.hashLog.head(origin)?.seq === 2, 15_000), 'replicated')
    assert.equal(de.match.videos.size, 1, 'the video is in DE\'s frame index')

    const same = await post<VideoCheckResult>(de, tokens.de, '/v1/check/video', video)
    assert.equal(same.status, 200, JSON.stringify(same.body))
    const sha = same.body.results.find(r => r.algorithm === 'sha256')
    assert.equal(sha?.value, hex(digests(video).sha256))
    assert.equal(sha?.matches[0]?.origins[0].name, 'EOKM')
    assert.equal(same.body.videos.length, 1)
    const v = same.body.videos[0]
    vpdqValue = v.value
    assert.equal(v.comparePct, 100)
    assert.equal(v.queryPct, 100)
    assert.equal(v.classification, 'baseline')
    assert.equal(v.origins[0].name, 'EOKM')
    assert.equal((v.origins[0] as { media?: string }).media, 'video')
    assert.ok(v.segment.first === 0 && v.segment.last > 0, JSON.stringify(v.segment))
    assert.equal((v.origins[0] as { frames?: unknown }).frames, undefined, 'the frames are not sent back')

    // a re-upload: smaller, lower bitrate, made in memory with the bundled FFmpeg
    const copy = await reencodeSmaller(video)
    assert.ok(copy.length < video.length / 4, `re-encoded to ${copy.length} bytes`)
    const re = await post<VideoCheckResult>(de, tokens.de, '/v1/check/video', copy)
    assert.equal(re.status, 200, JSON.stringify(re.body))
    assert.ok(re.body.results.every(r => r.matches.length === 0), 'the bytes differ')
    assert.equal(re.body.videos.length, 1, 'the vPDQ match survives re-encoding')
    assert.ok(re.body.videos[0].comparePct >= 80, `comparePct ${re.body.videos[0].comparePct}`)

    // any file: its exact hashes, nothing decoded
    const file = await post<{ results: VideoCheckResult['results'] }>(de, tokens.de, '/v1/check/file', video)
    assert.equal(file.status, 200, JSON.stringify(file.body))
    assert.deepEqual(file.body.results.map(r => [r.algorithm, r.matches.length]), [['sha256', 1], ['sha1', 1], ['md5', 1]])
    const text = await post<{ results: VideoCheckResult['results'] }>(de, tokens.de, '/v1/check/file', Buffer.from('just some text'))
    assert.equal(text.status, 200)
    assert.ok(text.body.results.every(r => r.matches.length === 0))
    const notVideo = await post(de, tokens.de, '/v1/check/video', Buffer.from('just some text'))
    assert.equal(notVideo.status, 400, JSON.stringify(notVideo.body))
    assert.equal(notVideo.body.error?.code, 'HF_INVALID_VIDEO')

    // another video does not match
    const other = await post<VideoCheckResult>(de, tokens.de, '/v1/check/video', new Uint8Array(await readFile(OTHER)))
    assert.equal(other.status, 200)
    assert.deepEqual(other.body.videos, [])

    // frame-to-image: a still taken from the video matches the stored video's frame
    const still = await post<ImageCheckResult>(de, tokens.de, '/v1/check/image', await frameAsPng(video, 30))
    assert.equal(still.status, 200, JSON.stringify(still.body))
    const pdq = still.body.results.find(r => r.algorithm === 'pdq')
    const frame = pdq?.matches.find(m => m.algorithm === 'vpdq')
    assert.ok(frame !== undefined, JSON.stringify(pdq))
    assert.equal(frame.value, vpdqValue)
    assert.ok(frame.frame !== undefined && frame.frame.timestamp >= 0)

    // the analyst's CLI says the same through DE's admin API
    const cli = await runCli(['check', '--dir', members[1].dir, '--json', VIDEO])
    assert.equal(cli.code, 0, cli.stderr)
    const rows = JSON.parse(cli.stdout) as Array<{ kind?: string, videos?: Array<{ value: string, comparePct: number }> }>
    assert.equal(rows.find(r => r.kind === 'video')?.videos?.[0]?.value, vpdqValue)
  })

  it('a second video upload per token waits for the first: 429 while one is in progress', async () => {
    const [a, b] = await Promise.all([post(de, tokens.de, '/v1/check/video', video), post(de, tokens.de, '/v1/check/video', video)])
    assert.deepEqual([a.status, b.status].sort(), [200, 429])
  })

  it('retracting the vpdq entry stops the video matching everywhere', async () => {
    const retract = await runCli(['hashes', 'retract', `vpdq:${vpdqValue}`, '--reason', 'test retraction', '--dir', members[0].dir])
    assert.equal(retract.code, 0, retract.stderr)
    assert.ok(await waitFor(() => de.match.videos.size === 0, 15_000), 'retraction replicated')
    assert.equal(eokm.match.videos.size, 0)
    for (const node of [eokm, de]) {
      const res = await post<VideoCheckResult>(node, node === de ? tokens.de : tokens.eokm, '/v1/check/video', video)
      assert.equal(res.status, 200)
      assert.deepEqual(res.body.videos, [])
    }
  })

  it('each of the bridge image\'s seven rotations and mirrors matches the original with its transform', async () => {
    const add = await runCli(['hashes', 'add-images', '--dir', members[0].dir, '--json', BRIDGE + 'bridge-1-original.jpg'])
    assert.equal(add.code, 0, add.stderr)
    const original = new Uint8Array(await readFile(BRIDGE + BRIDGE_FILES.original))
    const origin = members[0].peerId
    const seq = eokm.hashLog.head(origin)?.seq
    assert.ok(await waitFor(() => de.hashLog.head(origin)?.seq === seq, 15_000), 'replicated')
    const direct = await post<ImageCheckResult>(de, tokens.de, '/v1/check/image', original)
    const stored = direct.body.results.find(r => r.algorithm === 'pdq')?.matches[0]
    assert.ok(stored !== undefined && stored.transform === undefined && stored.distance === 0)
    for (const [transform, file] of Object.entries(BRIDGE_FILES).filter(([t]) => t !== 'original')) {
      const res = await post<ImageCheckResult>(de, tokens.de, '/v1/check/image', new Uint8Array(await readFile(BRIDGE + file)))
      assert.equal(res.status, 200)
      const m: ImageCheckResult['results'][number]['matches'][number] | undefined = res.body.results.find(r => r.algorithm === 'pdq')?.matches.find(x => x.value === stored.value)
      assert.ok(m !== undefined, `${transform}: no match`)
      assert.equal(m.transform, transform, file)
    }
  })
})
