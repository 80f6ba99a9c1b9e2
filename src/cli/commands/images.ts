import type { Command } from 'commander'
import type { AddHashesRequest, AddHashesSummary } from '../../lists/hash-list-service.js'
import { PDQ_MIN_QUALITY } from '../../check/constants.js'
import { hashesAddOp } from '../../ops/hash-ops.js'
import { withOps } from '../op-runner.js'
import { DIR_OPTION, resolveDir } from '../options.js'
import { print, printJson, safe } from '../output.js'

/** Records per admin API request: ~100 bytes each keeps a request well under the body limit. */
const RECORDS_PER_REQUEST = 20_000

export interface AddImagesSummary extends AddHashesSummary {
  images: number
  hashed: number
  /** PDQ hashes not added because their quality is below 50 (flat or tiny images) */
  lowQualityPdqSkipped: number
  rejected: Array<{ file: string, code: string, reason: string }>
}

/** `hashes add-images`: registered on the existing `hashes` command. */
export function registerImageCommands (program: Command): void {
  const hashes = program.commands.find(c => c.name() === 'hashes') ?? program.command('hashes')
  hashes.command('add-images')
    .description('hash images here (SHA-256, SHA-1, MD5, PDQ, blockhash) and add the hashes to our own origin log; only hashes reach the node, never the images')
    .argument('<paths...>', 'image files or folders (folders: their image files, recursively)')
    .option(...DIR_OPTION)
    .option('--classification <c>', 'baseline, national or not-illegal')
    .option('--source <ref>', 'source reference (a case or list id; never a person)')
    .option('--keep-low-quality', `also add PDQ hashes of quality below ${PDQ_MIN_QUALITY} (usually discarded: they match unrelated flat images)`)
    .option('--json', 'print the summary as JSON')
    .action(async (paths: string[], opts: { dir?: string, classification?: string, source?: string, keepLowQuality?: boolean, json?: boolean }) => {
      // loaded on use: the hashing and log code is not for `hashes list-origins` or `--help`
      const [{ collectImageFiles, hashFiles }, { formatHashValue }] = await Promise.all([import('../image-files.js'), import('../../log/hash-value.js')])
      const files = await collectImageFiles(paths)
      const summary: AddImagesSummary = { images: files.length, hashed: 0, lowQualityPdqSkipped: 0, rejected: [], added: 0, updated: 0, alreadyPresent: 0, batches: 0 }
      const records: AddHashesRequest['records'] = []
      for (const h of await hashFiles(files)) {
        if ('error' in h) {
          summary.rejected.push({ file: h.file, code: h.error.code, reason: h.error.message })
          continue
        }
        summary.hashed++
        for (const r of h.hashes.records) {
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
      if (records.length > 0) {
        await withOps(resolveDir(opts.dir), async (ops) => {
          for (let i = 0; i < records.length; i += RECORDS_PER_REQUEST) add(await ops.run(hashesAddOp, { records: records.slice(i, i + RECORDS_PER_REQUEST), ...meta }))
        })
      }
      if (opts.json === true) return printJson(summary)
      print([
        `images          ${summary.images} (${summary.hashed} hashed)`,
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
