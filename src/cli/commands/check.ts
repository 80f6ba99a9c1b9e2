import { stat } from 'node:fs/promises'
import type { Command } from 'commander'
import { hfError, ErrorCodes } from '../../errors.js'
import { formatHashValue, parseHashRef } from '../../log/hash-value.js'
import type { CheckQuery, CheckResult } from '../../check/check-service.js'
import { checkOp, checkVideoOp } from '../../ops/check-ops.js'
import { withOps } from '../op-runner.js'
import { DIR_OPTION, resolveDir } from '../options.js'
import { print, printError, printJson, safe, table } from '../output.js'
import { collectMediaFiles, framesJson, hashMediaFiles, type MediaHashes } from '../media-files.js'
import type { VideoCheckMatch } from '../../check/check-service.js'

/** An argument meant as a file: a path separator or an image/video extension, and no `alg:` prefix. */
function looksLikePath (item: string): boolean {
  if (/^[a-z0-9-]+:[^/\\]/i.test(item)) return false
  return /[/\\]/.test(item) || /\.(jpe?g|png|gif|webp|mp4|mov|webm|mkv|avi)$/i.test(item)
}

/** Hashes per check: within the node's check.maxHashes default (10,000). */
const CLI_CHECK_CHUNK = 5000

function printResults (labelled: Array<{ label: string, result: CheckResult }>): void {
  for (const { label, result } of labelled) {
    const quality = result.quality !== undefined ? ` (quality ${result.quality}${result.lowQuality === true ? ', LOW: weak evidence' : ''})` : ''
    print(safe`${label}  ${result.algorithm}:${result.value}` + quality + '\n')
    if (result.matches.length === 0) {
      print('  no match\n')
      continue
    }
    const rows = result.matches.flatMap(m => m.origins.map(o => ({
      distance: m.distance,
      origin: o.name,
      classification: o.classification,
      batch: `${o.batch.seq}#${o.batch.index}`,
      value: m.value === result.value ? '(same)' : `${m.algorithm}:${m.value}`,
      note: [o.lowQuality === true ? 'low-quality PDQ' : '', m.transform ?? '', m.frame !== undefined ? `video frame ${m.frame.frameNumber} at ${m.frame.timestamp.toFixed(3)} s` : ''].filter(x => x !== '').join(', ') || undefined
    })))
    print(table(rows).replace(/^/gm, '  ') + '\n')
  }
}

function printVideos (label: string, videos: VideoCheckMatch[], frames: number): void {
  print(safe`${label}  vpdq (${frames} frames hashed)` + '\n')
  if (videos.length === 0) { print('  no match\n'); return }
  const rows = videos.flatMap(v => v.origins.map(o => ({
    compare: `${v.comparePct}%`,
    query: `${v.queryPct}%`,
    segment: `${v.segment.first.toFixed(3)}-${v.segment.last.toFixed(3)} s`,
    origin: o.name,
    classification: o.classification,
    batch: `${o.batch.seq}#${o.batch.index}`,
    value: `vpdq:${v.value}`
  })))
  print(table(rows).replace(/^/gm, '  ') + '\n')
}

const FFMPEG_OPTION = ['--ffmpeg <path>', 'a system ffmpeg instead of the one shipped in the npm package (config video.ffmpegPath for the node)'] as const
const SPH_OPTION = ['--seconds-per-hash <s>', 'vPDQ: hash one frame every this many seconds (0: every frame)', '1'] as const

function secondsPerHash (text: string): number {
  const n = Number(text)
  if (!(Number.isFinite(n) && n >= 0)) throw hfError(ErrorCodes.INVALID_ARGUMENT, `--seconds-per-hash is a number >= 0, got "${text}"`)
  return n
}

function hexOf (h: Extract<MediaHashes, { exact: unknown }>): Record<string, string> {
  return Object.fromEntries(h.exact.map(r => [r.algorithm, formatHashValue(r.value)]))
}

export function registerCheck (program: Command): void {
  program.command('hash')
    .description('print SHA-256, SHA-1 and MD5 of any file, with PDQ (and quality) and blockhash for images; --vpdq prints a video\'s vPDQ frames in Meta\'s text form. Nothing is stored, no node needed')
    .argument('<files...>', 'files or folders (folders: their image and video files, recursively)')
    .option('--vpdq', 'print each video\'s vPDQ frames as Meta\'s reference does: frame,quality,pdq-hex,timestamp')
    .option(...SPH_OPTION)
    .option(...FFMPEG_OPTION)
    .option('--json', 'print JSON')
    .action(async (paths: string[], opts: { json?: boolean, vpdq?: boolean, secondsPerHash: string, ffmpeg?: string }) => {
      const files = await collectMediaFiles(paths)
      const hashed = await hashMediaFiles(files, { video: opts.vpdq === true, secondsPerHash: secondsPerHash(opts.secondsPerHash), ffmpegPath: opts.ffmpeg })
      if (opts.vpdq === true) {
        const { formatVpdqText } = await import('../../hashing/video/vpdq-text.js')
        const videos = hashed.map(h => h.kind === 'video' ? { file: h.file, ...h.video, frames: framesJson(h.features) } : { file: h.file, error: h.kind === 'error' ? h.error : { code: ErrorCodes.INVALID_VIDEO, message: `not a video (${h.kind})` } })
        if (opts.json === true) printJson(files.length === 1 && 'frames' in videos[0] ? videos[0].frames : videos)
        else {
          for (const h of hashed) {
            if (h.kind === 'video') print((files.length > 1 ? safe`# ${h.file}` + '\n' : '') + formatVpdqText(h.features))
            else printError(safe`${h.file}: not a video` + '\n')
          }
        }
        if (hashed.some(h => h.kind !== 'video')) process.exitCode = 2
        return
      }
      const rows = hashed.map(h => {
        if (h.kind === 'error') return { file: h.file, error: h.error }
        if (h.kind !== 'image') return { file: h.file, kind: h.kind, hashes: hexOf(h) }
        return {
          file: h.file,
          kind: 'image',
          format: h.image.format,
          width: h.image.width,
          height: h.image.height,
          hashes: Object.fromEntries(h.image.records.map(r => [r.algorithm, formatHashValue(r.value)])),
          pdqQuality: h.image.byAlgorithm.pdq.quality
        }
      })
      if (opts.json === true) printJson(rows)
      else {
        for (const r of rows) {
          if ('error' in r && r.error !== undefined) {
            printError(safe`${r.file}: error [${r.error.code}]: ${r.error.message}` + '\n')
            continue
          }
          print('format' in r ? safe`${r.file} (${r.format} ${r.width}x${r.height})` + '\n' : safe`${r.file}` + '\n')
          for (const [alg, value] of Object.entries(r.hashes ?? {})) {
            const q = 'pdqQuality' in r ? r.pdqQuality : undefined
            print(`  ${alg.padEnd(10)} ${value}${alg === 'pdq' ? `  quality ${q ?? '-'}${(q ?? 100) < 50 ? ' (low: usually discarded)' : ''}` : ''}\n`)
          }
        }
      }
      if (rows.some(r => 'error' in r)) process.exitCode = 2
    })

  program.command('check')
    .description('check files (images, videos, any file) or hashes against every enabled origin\'s list: exact hashes, PDQ/blockhash near-match with rotations and mirrors, vPDQ for videos (analysts; hosters use the check API)')
    .argument('<items...>', 'files or folders, or ALG:VALUE (e.g. sha256:ab12…, pdq:…)')
    .option(...DIR_OPTION)
    .option(...SPH_OPTION)
    .option(...FFMPEG_OPTION)
    .option('--json', 'print JSON')
    .action(async (items: string[], opts: { dir?: string, json?: boolean, secondsPerHash: string, ffmpeg?: string }) => {
      // arguments in order: an existing path is hashed (a folder: its images and videos), anything else is ALG:VALUE
      const parts: Array<{ files: string[] } | { ref: string }> = []
      for (const item of items) {
        if (await stat(item).then(() => true, () => false)) parts.push({ files: await collectMediaFiles([item]) })
        else if (looksLikePath(item)) throw hfError(ErrorCodes.INVALID_ARGUMENT, safe`${item}: no such file or folder (and not a hash: ALG:VALUE, e.g. sha256:ab12…)`, { field: 'items' })
        else parts.push({ ref: item })
      }
      const hashed = new Map((await hashMediaFiles(parts.flatMap(p => 'files' in p ? p.files : []), { secondsPerHash: secondsPerHash(opts.secondsPerHash), ffmpegPath: opts.ffmpeg })).map(h => [h.file, h]))
      const labelled: Array<{ label: string, query: CheckQuery }> = []
      const videos: Array<{ label: string, exact: CheckQuery[], frames: ReturnType<typeof framesJson> }> = []
      for (const part of parts) {
        if ('ref' in part) {
          const { algorithm, value } = parseHashRef(part.ref)
          labelled.push({ label: `${algorithm}:${formatHashValue(value).slice(0, 12)}…`, query: { algorithm, value: formatHashValue(value) } })
          continue
        }
        for (const file of part.files) {
          const h = hashed.get(file)
          if (h === undefined) continue
          if (h.kind === 'error') throw hfError(h.error.code === ErrorCodes.TOO_LARGE ? ErrorCodes.TOO_LARGE : ErrorCodes.INVALID_IMAGE, `${h.file}: ${h.error.message}`)
          if (h.kind === 'video') {
            videos.push({ label: file, exact: h.exact.map(r => ({ algorithm: r.algorithm, value: formatHashValue(r.value) })), frames: framesJson(h.features) })
            continue
          }
          const records = h.kind === 'image' ? h.image.records : h.exact
          for (const r of records) labelled.push({ label: file, query: { algorithm: r.algorithm, value: formatHashValue(r.value), ...(r.quality !== undefined ? { quality: r.quality } : {}) } })
        }
      }
      const queries = labelled.map(l => l.query)
      // on a stopped node the match index is built from its store first
      const { results, videoResults } = await withOps(resolveDir(opts.dir), async (ops) => {
        const out: CheckResult[] = []
        for (let i = 0; i < queries.length; i += CLI_CHECK_CHUNK) out.push(...(await ops.run(checkOp, { hashes: queries.slice(i, i + CLI_CHECK_CHUNK) })).results)
        const vs = []
        for (const v of videos) vs.push(await ops.run(checkVideoOp, { exact: v.exact as Array<{ algorithm: 'sha256' | 'sha1' | 'md5', value: string }>, frames: v.frames }))
        return { results: out, videoResults: vs }
      })
      if (opts.json === true) {
        return printJson([
          ...labelled.map((l, i) => ({ item: l.label, ...results[i] })),
          ...videos.map((v, i) => ({ item: v.label, kind: 'video', results: videoResults[i].results, videos: videoResults[i].videos, frames: videoResults[i].frames }))
        ])
      }
      printResults(labelled.map((l, i) => ({ label: l.label, result: results[i] })))
      videos.forEach((v, i) => {
        const r = videoResults[i]
        printResults((r.results as CheckResult[]).map(result => ({ label: v.label, result })))
        printVideos(v.label, r.videos as VideoCheckMatch[], r.frames)
      })
    })
}
