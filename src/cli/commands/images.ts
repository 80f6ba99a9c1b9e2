import type { Command } from 'commander'
import { hfError, ErrorCodes } from '../../errors.js'
import type { AddHashesRequest, AddHashesSummary } from '../../lists/hash-list-service.js'
import { PDQ_MIN_QUALITY } from '../../check/constants.js'
import { hashesAddOp } from '../../ops/hash-ops.js'
import { withOps } from '../op-runner.js'
import { DIR_OPTION, resolveDir } from '../options.js'
import { print, printJson, safe } from '../output.js'

/** Records per admin API request: ~100 bytes each keeps a request well under the body limit. */
const RECORDS_PER_REQUEST = 20_000

/** vpdq records per request: each carries up to 4096 frames. */
const VIDEOS_PER_REQUEST = 16

export interface AddImagesSummary extends AddHashesSummary {
  /** files given (images, videos, other files) */
  images: number
  hashed: number
  videos: number
  /** files neither image nor video: their exact hashes only */
  otherFiles: number
  /** PDQ hashes not added because their quality is below 50 (flat or tiny images) */
  lowQualityPdqSkipped: number
  rejected: Array<{ file: string, code: string, reason: string }>
}

/** `hashes add-files` (alias `add-images`): registered on the existing `hashes` command. */
export function registerImageCommands (program: Command): void {
  const hashes = program.commands.find(c => c.name() === 'hashes') ?? program.command('hashes')
  hashes.command('add-files')
    .alias('add-images')
    .description('hash files here and add the hashes to our own origin log: SHA-256, SHA-1 and MD5 of any file, PDQ and blockhash of images, vPDQ of videos; only hashes reach the node, never the files')
    .argument('<paths...>', 'files or folders (folders: their image and video files, recursively)')
    .option('--seconds-per-hash <s>', 'vPDQ: hash one video frame every this many seconds (0: every frame)', '1')
    .option('--ffmpeg <path>', 'a system ffmpeg instead of the one shipped in the npm package')
    .option(...DIR_OPTION)
    .option('--classification <c>', 'baseline, national or not-illegal')
    .option('--source <ref>', 'source reference (a case or list id; never a person)')
    .option('--keep-low-quality', `also add PDQ hashes of quality below ${PDQ_MIN_QUALITY} (usually discarded: they match unrelated flat images)`)
    .option('--json', 'print the summary as JSON')
    .action(async (paths: string[], opts: { dir?: string, classification?: string, source?: string, keepLowQuality?: boolean, json?: boolean, secondsPerHash: string, ffmpeg?: string }) => {
      // loaded on use: the hashing and log code is not for `hashes list-origins` or `--help`
      const [{ collectMediaFiles, hashMediaFiles, framesJson }, { formatHashValue }] = await Promise.all([import('../media-files.js'), import('../../log/hash-value.js')])
      const sph = Number(opts.secondsPerHash)
      if (!(Number.isFinite(sph) && sph >= 0)) throw hfError(ErrorCodes.INVALID_ARGUMENT, `--seconds-per-hash is a number >= 0, got "${opts.secondsPerHash}"`)
      const files = await collectMediaFiles(paths)
      const summary: AddImagesSummary = { images: files.length, hashed: 0, videos: 0, otherFiles: 0, lowQualityPdqSkipped: 0, rejected: [], added: 0, updated: 0, alreadyPresent: 0, batches: 0 }
      const records: AddHashesRequest['records'] = []
      const videoRecords: AddHashesRequest['records'] = []
      for (const h of await hashMediaFiles(files, { secondsPerHash: sph, ffmpegPath: opts.ffmpeg })) {
        if (h.kind === 'error') {
          summary.rejected.push({ file: h.file, code: h.error.code, reason: h.error.message })
          continue
        }
        summary.hashed++
        if (h.kind !== 'image') {
          const media = h.kind === 'video' ? { media: 'video' as const } : {}
          for (const r of h.exact) records.push({ algorithm: r.algorithm, value: formatHashValue(r.value), ...media })
          if (h.kind === 'video') {
            summary.videos++
            videoRecords.push({ algorithm: 'vpdq', value: '', media: 'video', frames: framesJson(h.features) })
          } else summary.otherFiles++
          continue
        }
        for (const r of h.image.records) {
          if (r.algorithm === 'pdq' && (r.quality ?? 100) < PDQ_MIN_QUALITY && opts.keepLowQuality !== true) {
            summary.lowQualityPdqSkipped++
            continue
          }
          records.push({ algorithm: r.algorithm, value: formatHashValue(r.value), ...(r.quality !== undefined ? { quality: r.quality } : {}) })
        }
      }
      const meta = { ...(opts.classification !== undefined ? { classification: opts.classification } : {}), ...(opts.source !== undefined ? { source: opts.source } : {}) }
      const add = (s: AddHashesSummary): void => {
        summary.added += s.added
        summary.updated += s.updated
        summary.alreadyPresent += s.alreadyPresent
        summary.batches += s.batches
      }
      if (records.length > 0 || videoRecords.length > 0) {
        await withOps(resolveDir(opts.dir), async (ops) => {
          for (let i = 0; i < records.length; i += RECORDS_PER_REQUEST) add(await ops.run(hashesAddOp, { records: records.slice(i, i + RECORDS_PER_REQUEST), ...meta }))
          for (let i = 0; i < videoRecords.length; i += VIDEOS_PER_REQUEST) add(await ops.run(hashesAddOp, { records: videoRecords.slice(i, i + VIDEOS_PER_REQUEST), ...meta }))
        })
      }
      if (opts.json === true) return printJson(summary)
      print([
        `files           ${summary.images} (${summary.hashed} hashed: ${summary.videos} videos, ${summary.otherFiles} neither image nor video)`,
        `added           ${summary.added}`,
        `updated         ${summary.updated}`,
        `already present ${summary.alreadyPresent}`,
        `low-quality PDQ ${summary.lowQualityPdqSkipped} skipped`,
        `rejected        ${summary.rejected.length}`,
        ...summary.rejected.map(r => safe`  ${r.file}: [${r.code}] ${r.reason}`),
        `batches         ${summary.batches}`
      ].join('\n') + '\n')
    })
}
