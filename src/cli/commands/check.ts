import { stat } from 'node:fs/promises'
import type { Command } from 'commander'
import { hfError, ErrorCodes } from '../../errors.js'
import { formatHashValue, parseHashRef } from '../../log/hash-value.js'
import type { CheckQuery, CheckResult } from '../../check/check-service.js'
import { checkOp } from '../../ops/check-ops.js'
import { withOps } from '../op-runner.js'
import { DIR_OPTION, resolveDir } from '../options.js'
import { print, printError, printJson, safe, table } from '../output.js'
import { collectImageFiles, hashFiles } from '../image-files.js'

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
      note: o.lowQuality === true ? 'low-quality PDQ' : undefined
    })))
    print(table(rows).replace(/^/gm, '  ') + '\n')
  }
}

export function registerCheck (program: Command): void {
  program.command('hash')
    .description('print SHA-256, SHA-1, MD5, PDQ (with quality) and blockhash of image files (JPEG, PNG, GIF, WebP); nothing is stored, no node needed')
    .argument('<files...>', 'image files or folders (folders: their image files, recursively)')
    .option('--json', 'print JSON')
    .action(async (paths: string[], opts: { json?: boolean }) => {
      const hashed = await hashFiles(await collectImageFiles(paths))
      const rows = hashed.map(h => 'error' in h
        ? { file: h.file, error: h.error }
        : {
            file: h.file,
            format: h.hashes.format,
            width: h.hashes.width,
            height: h.hashes.height,
            hashes: Object.fromEntries(h.hashes.records.map(r => [r.algorithm, formatHashValue(r.value)])),
            pdqQuality: h.hashes.byAlgorithm.pdq.quality
          })
      if (opts.json === true) printJson(rows)
      else {
        for (const r of rows) {
          if ('error' in r && r.error !== undefined) {
            printError(safe`${r.file}: error [${r.error.code}]: ${r.error.message}` + '\n')
            continue
          }
          print(safe`${r.file} (${r.format} ${r.width}x${r.height})` + '\n')
          for (const [alg, value] of Object.entries(r.hashes ?? {})) {
            print(`  ${alg.padEnd(10)} ${value}${alg === 'pdq' ? `  quality ${r.pdqQuality ?? '-'}${(r.pdqQuality ?? 100) < 50 ? ' (low: usually discarded)' : ''}` : ''}\n`)
          }
        }
      }
      if (rows.some(r => 'error' in r)) process.exitCode = 2
    })

  program.command('check')
    .description('check images or hashes against every enabled origin\'s list, exactly and by PDQ/blockhash near-match (analysts; hosters use the check API)')
    .argument('<items...>', 'image files, or ALG:VALUE (e.g. sha256:ab12…, pdq:…)')
    .option(...DIR_OPTION)
    .option('--json', 'print JSON')
    .action(async (items: string[], opts: { dir?: string, json?: boolean }) => {
      // arguments in order: an existing path is hashed (a folder: its images), anything else is ALG:VALUE
      const parts: Array<{ files: string[] } | { ref: string }> = []
      for (const item of items) {
        if (await stat(item).then(() => true, () => false)) parts.push({ files: await collectImageFiles([item]) })
        else parts.push({ ref: item })
      }
      const hashed = new Map((await hashFiles(parts.flatMap(p => 'files' in p ? p.files : []))).map(h => [h.file, h]))
      const labelled: Array<{ label: string, query: CheckQuery }> = []
      for (const part of parts) {
        if ('ref' in part) {
          const { algorithm, value } = parseHashRef(part.ref)
          labelled.push({ label: `${algorithm}:${formatHashValue(value).slice(0, 12)}…`, query: { algorithm, value: formatHashValue(value) } })
          continue
        }
        for (const file of part.files) {
          const h = hashed.get(file)
          if (h === undefined) continue
          if ('error' in h) throw hfError(h.error.code === ErrorCodes.TOO_LARGE ? ErrorCodes.TOO_LARGE : ErrorCodes.INVALID_IMAGE, `${h.file}: ${h.error.message}`)
          for (const r of h.hashes.records) labelled.push({ label: file, query: { algorithm: r.algorithm, value: formatHashValue(r.value), ...(r.quality !== undefined ? { quality: r.quality } : {}) } })
        }
      }
      const queries = labelled.map(l => l.query)
      // on a stopped node the match index is built from its store first
      const results = await withOps(resolveDir(opts.dir), async (ops) => {
        const out: CheckResult[] = []
        for (let i = 0; i < queries.length; i += CLI_CHECK_CHUNK) out.push(...(await ops.run(checkOp, { hashes: queries.slice(i, i + CLI_CHECK_CHUNK) })).results)
        return out
      })
      if (opts.json === true) return printJson(labelled.map((l, i) => ({ item: l.label, ...results[i] })))
      printResults(labelled.map((l, i) => ({ label: l.label, result: results[i] })))
    })
}
