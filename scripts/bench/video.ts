// Video benchmark (issue 16): vPDQ hashing rate in frames/s beside FFmpeg's decode-only rate
// of the same video in the same run (goal: >= 0.5 of it at secondsPerHash 0), and the query
// time of a 60-frame video against 10,000 stored 60-frame videos in the frame index (goal:
// p50 <= 20 ms), its answers checked equal to brute force.
//
//   node dist/scripts/bench/video.js [--scale 0.01] [--queries 30]
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { benchArgs, median, percentile, report, type Figure } from './bench-kit.js'
import { hashVideoVpdq, type VpdqFeature } from '../../src/hashing/video/vpdq.js'
import { decodeVideo } from '../../src/hashing/video/decode-video.js'
import { resolveFfmpeg } from '../../src/hashing/video/ffmpeg-path.js'
import { runFfmpeg } from '../../src/hashing/video/ffmpeg-process.js'
import { FrameHashPool, defaultFrameThreads } from '../../src/hashing/video/frame-hash-pool.js'
import { matchVpdqBrute } from '../../src/hashing/video/vpdq-match.js'
import { VpdqFrameIndex } from '../../src/match/vpdq-frame-index.js'

const SCENARIO = 'video'
const FIXTURES = fileURLToPath(new URL('../../../test/fixtures/vpdq/', import.meta.url))
const STORED_VIDEOS = 10_000
const FRAMES_PER_VIDEO = 60

const args = benchArgs({ queries: { type: 'string', default: '30' } })
const queries = Math.max(5, Number(args.values.queries))

/**
 * decode-only (the yardstick) and right after it vPDQ at every frame, then decode plus
 * FFmpeg's RGB conversion (the ceiling any hashing of FFmpeg-converted RGB frames can reach),
 * decode to RGB read on the main thread and by a hashing worker, decode to the decoder's own
 * yuv420p read by a hashing worker as vPDQ now reads it (the transport alone), interleaved
 * `rounds` times; medians of each. The goal's ratio is the median of each round's vPDQ rate
 * over the decode-only rate measured just before it (the two runs nearest in time, so a
 * neighbour's load falls on both alike), with the rounds' spread beside it.
 */
async function hashingRates (name: string, rounds: number): Promise<Figure[]> {
  const bytes = readFileSync(`${FIXTURES}${name}.mp4`)
  const ffmpeg = resolveFfmpeg()
  const times = { decode: [] as number[], convert: [] as number[], pipe: [] as number[], worker: [] as number[], yuvWorker: [] as number[], vpdq: [] as number[], cpu: [] as number[], ratio: [] as number[], ffmpegDecodeCpu: [] as number[], ffmpegVpdqCpu: [] as number[] }
  let frames = 0
  let size = { width: 0, height: 0 }
  const nullRun = async (vf: string[]): Promise<number> => {
    const t0 = performance.now()
    const run = await runFfmpeg(ffmpeg, ['-hide_banner', '-nostdin', '-loglevel', 'error', '-i', 'pipe:0', '-map', '0:v:0', '-vsync', 'passthrough', ...vf, '-f', 'null', '-'], { stdin: bytes, deadlineMs: 600_000 })
    if (run.code !== 0) throw new Error(`ffmpeg decode failed: ${run.stderr}`)
    return performance.now() - t0
  }
  for (let i = 0; i < rounds; i++) {
    let children = childCpuMs()
    times.decode.push(await nullRun([]))
    const decodeCpu = childCpuMs() - children
    let t0 = performance.now()
    const cpu = process.cpuUsage()
    children = childCpuMs()
    frames = (await hashVideoVpdq(bytes, { secondsPerHash: 0 })).features.length
    const used = process.cpuUsage(cpu)
    times.vpdq.push(performance.now() - t0)
    times.cpu.push((used.user + used.system) / 1000 / frames)
    times.ratio.push(times.decode[i] / times.vpdq[i])
    times.ffmpegVpdqCpu.push((childCpuMs() - children) / frames)
    times.ffmpegDecodeCpu.push(decodeCpu / frames)
    t0 = performance.now()
    const decoded = await decodeVideo(bytes, {}, { frameStep: 1 }, () => {})
    times.pipe.push(performance.now() - t0)
    size = { width: decoded.width, height: decoded.height }
    // the transport vPDQ uses: the hashing worker reads FFmpeg's stdout itself (no hashing)
    const pool = new FrameHashPool(defaultFrameThreads())
    try {
      t0 = performance.now()
      await decodeVideo(bytes, {}, { frameStep: 1, reader: async (fd, f) => ({ frames: (await pool.hashStream(fd, { ...f, hash: false })).frames }) }, () => {})
      times.worker.push(performance.now() - t0)
      // the same for the decoder's yuv420p, the frames vPDQ reads when the kernel takes them
      t0 = performance.now()
      const yuv = await decodeVideo(bytes, {}, { frameStep: 1, yuv420p: () => true, reader: async (fd, f) => ({ frames: (await pool.hashStream(fd, { ...f, hash: false })).frames }) }, () => {})
      times.yuvWorker.push(performance.now() - t0)
      if (yuv.format !== 'yuv420p') throw new Error(`${name} is not read as yuv420p`)
    } finally {
      await pool.close()
    }
    // the same conversion decodeVideo asks FFmpeg for (decode-video.ts), output discarded
    times.convert.push(await nullRun(['-vf', `scale=${size.width}:${size.height}:flags=area+accurate_rnd,format=rgb24`]))
  }
  const rate = (ms: number[]): number => frames / (median(ms) / 1000)
  const decodeRate = rate(times.decode)
  const vpdqRate = rate(times.vpdq)
  return [
    { scenario: SCENARIO, name: `FFmpeg decode only (-f null, the decoder's own yuv420p, no conversion), ${name} ${size.width}x${size.height}, ${frames} frames`, value: decodeRate, unit: 'frames/s' },
    { scenario: SCENARIO, name: 'FFmpeg decode + conversion to RGB24 as vPDQ asks for it (-f null): ratio to decode only, the ceiling for hashing RGB frames', value: rate(times.convert) / decodeRate, unit: 'x', beside: `${rate(times.convert).toFixed(0)} frames/s` },
    { scenario: SCENARIO, name: 'FFmpeg decode to RGB24 read from its pipe on the main thread, 64 KiB chunks (no hashing)', value: rate(times.pipe), unit: 'frames/s' },
    { scenario: SCENARIO, name: 'FFmpeg decode to RGB24 read by the hashing worker, blocking reads into the frame buffer, as vPDQ reads (no hashing): ratio to decode only', value: rate(times.worker) / decodeRate, unit: 'x', beside: `${rate(times.worker).toFixed(0)} frames/s` },
    { scenario: SCENARIO, name: 'FFmpeg decode to its own yuv420p (no conversion) read by the hashing worker, as vPDQ reads (no hashing): ratio to decode only', value: rate(times.yuvWorker) / decodeRate, unit: 'x', beside: `${rate(times.yuvWorker).toFixed(0)} frames/s` },
    { scenario: SCENARIO, name: `vPDQ hashing, secondsPerHash 0, ${defaultFrameThreads()} hashing thread(s): ratio to the decode only just before it, median of ${rounds} rounds`, value: median(times.ratio), unit: 'x', goal: 0.5, better: 'higher', beside: `${vpdqRate.toFixed(0)} frames/s; rounds ${spread(times.ratio, 2)}; decode only ${spread(times.decode.map(ms => frames / (ms / 1000)), 0)} frames/s` },
    { scenario: SCENARIO, name: 'same: CPU time of our process (reading the pipe, hashing threads) per frame, median', value: median(times.cpu), unit: 'ms' },
    ...(times.ffmpegVpdqCpu.every(Number.isFinite)
      ? [{ scenario: SCENARIO, name: 'same: CPU time of FFmpeg (probe, decode, yuv420p out) per frame, median', value: median(times.ffmpegVpdqCpu), unit: 'ms', beside: `decode only: ${median(times.ffmpegDecodeCpu).toFixed(2)} ms` }]
      : [])
  ]
}

/** min–max of a list, `digits` after the point */
function spread (xs: number[], digits: number): string {
  return `${Math.min(...xs).toFixed(digits)}–${Math.max(...xs).toFixed(digits)}`
}

/** CPU time (ms) of this process's exited children (FFmpeg), from /proc; NaN elsewhere. */
function childCpuMs (): number {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    // cutime, cstime in clock ticks (100 a second on Linux)
    return (Number(fields[13]) + Number(fields[14])) * 10
  } catch {
    return NaN
  }
}

function randomHash (): Uint8Array {
  const h = new Uint8Array(32)
  for (let i = 0; i < 32; i++) h[i] = Math.floor(Math.random() * 256)
  return h
}

function video (hashes: Uint8Array[]): VpdqFeature[] {
  return hashes.map((hash, i) => ({ frameNumber: i * 30, quality: 100, hash, timestamp: i }))
}

/** A re-encoded copy, roughly: each frame a few bits away from the stored one. */
function nearCopy (v: VpdqFeature[]): VpdqFeature[] {
  return video(v.map(f => {
    const h = Uint8Array.from(f.hash)
    for (let k = Math.floor(Math.random() * 12); k > 0; k--) { const b = Math.floor(Math.random() * 256); h[b >> 3] ^= 1 << (b & 7) }
    return h
  }))
}

function queryTimes (): Figure[] {
  const count = Math.max(100, Math.round(STORED_VIDEOS * args.scale))
  const stored: VpdqFeature[][] = []
  const index = new VpdqFrameIndex()
  const t0 = performance.now()
  for (let v = 0; v < count; v++) {
    stored.push(video(Array.from({ length: FRAMES_PER_VIDEO }, randomHash)))
    index.add(v, stored[v])
  }
  const addMs = performance.now() - t0
  index.query(video([randomHash()])) // builds the multi-index once, outside the timings
  const times: number[] = []
  const cpu: number[] = []
  const checked = Math.min(queries, args.scale < 0.1 ? queries : 3)
  let matches = 0
  for (let q = 0; q < queries; q++) {
    // half the queries are copies of a stored video, half unrelated
    const query = q % 2 === 0 ? nearCopy(stored[Math.floor(Math.random() * count)]) : video(Array.from({ length: FRAMES_PER_VIDEO }, randomHash))
    const s = performance.now()
    const u = process.cpuUsage()
    const got = index.query(query)
    const used = process.cpuUsage(u)
    times.push(performance.now() - s)
    cpu.push((used.user + used.system) / 1000)
    matches += got.length
    if (q < checked) {
      const expected = stored.flatMap((v, id) => { const m = matchVpdqBrute(query, v); return m.match ? [{ id, q: m.queryPct, c: m.comparePct }] : [] })
      const mine = got.map(m => ({ id: m.videoId, q: m.queryPct, c: m.comparePct })).sort((a, b) => a.id - b.id)
      if (JSON.stringify(mine) !== JSON.stringify(expected)) throw new Error(`query ${q}: frame index ${JSON.stringify(mine)} != brute force ${JSON.stringify(expected)}`)
    }
  }
  if (matches < Math.floor(queries / 2)) throw new Error(`only ${matches} matches for ${queries} queries`)
  return [
    { scenario: SCENARIO, name: `add ${count} videos of ${FRAMES_PER_VIDEO} frames to the frame index`, value: (count * FRAMES_PER_VIDEO) / (addMs / 1000), unit: 'frames/s' },
    { scenario: SCENARIO, name: `query a ${FRAMES_PER_VIDEO}-frame video against ${count} stored: p50 (${queries} queries, ${checked} checked = brute force)`, value: median(times), unit: 'ms', goal: 20, better: 'lower' },
    { scenario: SCENARIO, name: 'same: p95', value: percentile(times, 95), unit: 'ms' },
    { scenario: SCENARIO, name: 'same: p50 of the CPU time the query used (wall time minus waiting for a core on a loaded machine)', value: median(cpu), unit: 'ms' }
  ]
}

const figures = [
  ...await hashingRates(args.scale < 0.1 ? 'doorknob-hd-no-bar' : 'chair-19-sd-bar', args.scale < 0.1 ? 1 : 5),
  ...queryTimes()
]
report(args, figures)
