import { basename, resolve } from 'node:path'
import { constants, createReadStream, createWriteStream } from 'node:fs'
import { access, stat } from 'node:fs/promises'
import type { Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { Readable } from 'node:stream'
import type { Command } from 'commander'
import { hfError, ErrorCodes } from '../../errors.js'
import { FORMAT_NAMES } from '../../formats/format.js'
import type { ImportSummary } from '../../lists/importer.js'
import { hashesExportOp, hashesImportOp, hashesOriginsOp, hashesRetractOp, hashesShowOp } from '../../ops/hash-ops.js'
import { withOps } from '../op-runner.js'
import { registerBenign } from './benign.js'
import { DIR_OPTION, resolveDir } from '../options.js'
import { print, printJson, safe, table } from '../output.js'

function printSummary (s: ImportSummary): void {
  print([
    `added           ${s.added}`,
    `updated         ${s.updated}`,
    `already present ${s.alreadyPresent}`,
    `retracted       ${s.retracted}`,
    `rejected        ${s.rejectedCount}`,
    `batches         ${s.batches}`,
    ...s.rejected.map(r => safe`  line ${r.line}: ${r.reason}`),
    ...(s.rejectedCount > s.rejected.length ? [`  … and ${s.rejectedCount - s.rejected.length} more`] : [])
  ].join('\n') + '\n')
}

export function registerHashes (program: Command): void {
  const hashes = program.command('hashes').description('this node\'s hash lists: import, export, retract, show, origins')

  hashes.command('import')
    .description('import a hash list file into our own origin log as signed batches (the whole file is checked first: a malformed file changes nothing)')
    .argument('<file>', 'the file to import')
    .option(...DIR_OPTION)
    .requiredOption('--format <format>', `one of ${FORMAT_NAMES.join(', ')}`)
    .option('--classification <c>', 'default classification: baseline, national or not-illegal')
    .option('--source <ref>', 'default source reference (a case or list id; never a person)')
    .option('--algorithm <alg>', '`lines` only: algorithm of every line (default: detected by length)')
    .option('--json', 'print the summary as JSON')
    .action(async (file: string, opts: { dir?: string, format: string, classification?: string, source?: string, algorithm?: string, json?: boolean }) => {
      const path = resolve(file)
      const input = { format: opts.format, classification: opts.classification, source: opts.source, algorithm: opts.algorithm, name: path }
      // read here, by the user running the CLI: the node takes the bytes, never a path
      const kind = await access(path, constants.R_OK).then(async () => (await stat(path)).isDirectory() ? 'folder' : 'file', (err: NodeJS.ErrnoException) => err.code === 'ENOENT' ? 'missing' : 'unreadable')
      if (kind === 'folder') throw hfError(ErrorCodes.INVALID_ARGUMENT, `${path} is a folder: give one list file (e.g. ${path}/list.csv)`, { field: 'file' })
      if (kind !== 'file') throw hfError(ErrorCodes.INVALID_ARGUMENT, `cannot read ${path}: ${kind === 'missing' ? 'no such file' : 'permission denied'}`, { field: 'file' })
      const bar = (await import('../progress.js')).progressBar()
      let summary: ImportSummary
      try {
        // the audit log names the file: its path on this machine, or to a node's API its name
        summary = await withOps(resolveDir(opts.dir), async (ops) => await ops.run(hashesImportOp, { ...input, name: ops.running ? basename(path) : path }, {
          // 256 KiB reads (the default is 64 KiB): a million-line file is read twice, and each read costs the same whatever its size
          upload: { open: () => createReadStream(path, { highWaterMark: 256 * 1024 }) },
          progress: (p) => bar.update(p.phase, p.items, p.total)
        }))
      } finally {
        bar.stop()
      }
      if (opts.json === true) printJson(summary)
      else printSummary(summary)
    })

  hashes.command('export')
    .description('write the current set (adds minus retracts) in a format')
    .option(...DIR_OPTION)
    .requiredOption('--format <format>', `one of ${FORMAT_NAMES.join(', ')}`)
    .option('--origin <member>', 'only this member\'s list (name or peer ID)')
    .option('--algorithm <alg>', 'only this algorithm')
    .option('-o, --output <file>', 'write to a file instead of stdout')
    .action(async (opts: { dir?: string, format: string, origin?: string, algorithm?: string, output?: string }) => {
      const input = { format: opts.format, origin: opts.origin, algorithm: opts.algorithm }
      await withOps(resolveDir(opts.dir), async (ops) => {
        const chunks = await ops.run(hashesExportOp, input)
        // made once the export has begun: a refused one leaves no empty file behind
        const out: Writable = opts.output !== undefined ? createWriteStream(opts.output) : process.stdout
        await pipeline(Readable.from(chunks), out, { end: out !== process.stdout })
      })
    })

  registerBenign(hashes)

  hashes.command('retract')
    .description('retract one of our hashes (e.g. a false positive); the retraction replicates like any batch')
    .argument('<ref>', 'ALG:VALUE, e.g. sha256:ab12…')
    .option(...DIR_OPTION)
    .requiredOption('--reason <text>', 'why, e.g. "false positive"')
    .option('--json', 'print JSON')
    .action(async (ref: string, opts: { dir?: string, reason: string, json?: boolean }) => {
      const res = await withOps(resolveDir(opts.dir), async (ops) => await ops.run(hashesRetractOp, { ref, reason: opts.reason }))
      if (opts.json === true) return printJson(res)
      print(`retracted in batch ${res.seq}\n`)
    })

  hashes.command('show')
    .description('which origins vouch for a hash, with classification, batch and sequence, retracted or not')
    .argument('<ref>', 'ALG:VALUE')
    .option(...DIR_OPTION)
    .option('--json', 'print JSON')
    .action(async (ref: string, opts: { dir?: string, json?: boolean }) => {
      const res = await withOps(resolveDir(opts.dir), async (ops) => await ops.run(hashesShowOp, { ref }))
      if (opts.json === true) return printJson(res)
      print(`${res.algorithm}:${res.value}\n`)
      print(table(res.origins as Array<Record<string, unknown>>, ['name', 'classification', 'seq', 'index', 'retracted', 'source']) + '\n')
    })

  hashes.command('list-origins')
    .description('per origin: current entries, retractions, head sequence and head hash')
    .option(...DIR_OPTION)
    .option('--json', 'print JSON')
    .action(async (opts: { dir?: string, json?: boolean }) => {
      const { origins } = await withOps(resolveDir(opts.dir), async (ops) => await ops.run(hashesOriginsOp, {}))
      if (opts.json === true) return printJson(origins)
      print(table(origins, ['name', 'entries', 'retractions', 'headSeq', 'headHash']) + '\n')
    })
}
