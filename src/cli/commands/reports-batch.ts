import { readFile } from 'node:fs/promises'
import { InvalidArgumentError, type Command } from 'commander'
import { MAX_SUBMIT_BATCH, reportsSubmitBatchOp, type BatchItemResult } from '../../ops/report-ops.js'
import { withOps } from '../op-runner.js'
import { DIR_OPTION, resolveDir } from '../options.js'
import { print, printJson, safe } from '../output.js'

/** Reports of a file: a JSON array, or NDJSON (one report a line; blank lines skipped). */
export function parseReportsFile (text: string): unknown[] {
  const trimmed = text.trim()
  if (trimmed.startsWith('[')) {
    try { return JSON.parse(trimmed) as unknown[] } catch (err) { throw new InvalidArgumentError(`not a JSON array: ${(err as Error).message}`) }
  }
  const items: unknown[] = []
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return
    // a line that is not JSON stays an item, so it is refused with its line number and the rest go on
    try { items.push(JSON.parse(line)) } catch { items.push(`line ${i + 1}: not JSON`) }
  })
  return items
}

/** `reports submit-batch --file reports.ndjson`: many reports, sent in requests of MAX_SUBMIT_BATCH. */
export function registerReportsBatch (reports: Command): void {
  reports.command('submit-batch')
    .description(`sign and route many reports from a JSON array or NDJSON file ("-": stdin), ${MAX_SUBMIT_BATCH} a request; each is checked on its own`)
    .option(...DIR_OPTION)
    .requiredOption('--file <path>', 'the reports, each as `reports submit` takes them (url, country, hoster, …)')
    .option('--json', 'print JSON')
    .action(async (opts: { dir?: string, file: string, json?: boolean }) => {
      const text = opts.file === '-' ? await new Response(process.stdin as unknown as ReadableStream).text() : await readFile(opts.file, 'utf8')
      const items = parseReportsFile(text)
      if (items.length === 0) throw new InvalidArgumentError('the file holds no reports')
      const results: BatchItemResult[] = []
      await withOps(resolveDir(opts.dir), async (ops) => {
        for (let from = 0; from < items.length; from += MAX_SUBMIT_BATCH) {
          const out = await ops.run(reportsSubmitBatchOp, { reports: items.slice(from, from + MAX_SUBMIT_BATCH) })
          for (const r of out.results) results.push({ ...r, index: r.index + from })
        }
      })
      const refused = results.filter(r => 'error' in r)
      if (refused.length > 0) process.exitCode = 2
      if (opts.json === true) return printJson({ submitted: results.length - refused.length, refused: refused.length, results })
      print(`${results.length - refused.length} reports submitted, ${refused.length} refused\n`)
      for (const r of refused) if ('error' in r) print(safe`item ${r.index + 1}: error [${r.error.code}]: ${r.error.message}` + '\n')
    })
}
