import { basename, resolve } from 'node:path'
import { constants, createReadStream, createWriteStream } from 'node:fs'
import { access, stat } from 'node:fs/promises'
import { Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { Readable } from 'node:stream'
import type { Command } from 'commander'
import { hfError, ErrorCodes, HashfedError, type ErrorCode } from '../../errors.js'
import { FORMAT_NAMES } from '../../formats/format.js'
import type { ImportSummary } from '../../lists/importer.js'
import type { HashListService } from '../../lists/hash-list-service.js'
import type { NodeContext } from '../../context/node-context.js'
import { withNode } from '../node-access.js'
import { DIR_OPTION, resolveDir } from '../options.js'
import { print, printJson, safe, table } from '../output.js'
import { auditLogOf, cliActor } from '../../audit/audit-log.js'
import { importDetails, retractDetails } from '../../audit/audit-details.js'

/** Runs `fn` over an offline node's hash lists (the store is open, the node is not running). */
async function offline<T> (ctx: NodeContext, fn: (svc: HashListService) => Promise<T>): Promise<T> {
  // loaded here: a command that goes through a running node never needs the log code
  const [{ openHashLog }, { HashListService }] = await Promise.all([import('../../log/hash-log.js'), import('../../lists/hash-list-service.js')])
  const log = await openHashLog({ store: ctx.store })
  try {
    return await fn(new HashListService(ctx, log))
  } finally {
    await log.close()
  }
}

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
      // read here, by the user running the CLI: the node takes the bytes, never a path
      const readable = await access(path, constants.R_OK).then(async () => (await stat(path)).isFile(), () => false)
      if (!readable) throw hfError(ErrorCodes.INVALID_ARGUMENT, `cannot read ${path}`)
      const req = { format: opts.format, classification: opts.classification, source: opts.source, algorithm: opts.algorithm }
      const bar = (await import('../progress.js')).progressBar()
      const onProgress = (p: { phase: string, items: number, total?: number }): void => bar.update(p.phase, p.items, p.total)
      let summary: ImportSummary
      try {
        summary = await withNode(resolveDir(opts.dir), {
          remote: async (client) => {
            const query = new URLSearchParams(Object.entries({ ...req, name: basename(path) }).filter(([, v]) => v !== undefined) as Array<[string, string]>)
            for await (const line of client.upload(`/v1/hashes/import?${query.toString()}`, createReadStream(path))) {
              if (line.progress !== undefined) onProgress(line.progress as { phase: string, items: number, total?: number })
              if (line.summary !== undefined) return line.summary as ImportSummary
              if (line.error !== undefined) {
                const e = line.error as { code: ErrorCode, message: string, details?: Record<string, unknown> }
                throw new HashfedError(e.code, e.message, { details: e.details })
              }
            }
            throw new HashfedError('HF_NODE_UNREACHABLE', 'the node closed the import without a summary')
          },
          local: async (ctx) => await offline(ctx, async (svc) => {
            const s = await svc.import(req, () => createReadStream(path), onProgress)
            await auditLogOf(ctx.store).record('hashes.import', importDetails({ ...req, file: path }, s), cliActor())
            return s
          })
        })
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
      const out: Writable = opts.output !== undefined ? createWriteStream(opts.output) : process.stdout
      const req = { format: opts.format, origin: opts.origin, algorithm: opts.algorithm }
      await withNode(resolveDir(opts.dir), {
        remote: async (client) => {
          const q = new URLSearchParams(Object.entries(req).filter(([, v]) => v !== undefined) as Array<[string, string]>)
          const res = await client.raw('GET', `/v1/hashes/export?${q.toString()}`)
          await pipeline(res, out, { end: out !== process.stdout })
        },
        local: async (ctx) => await offline(ctx, async (svc) => {
          await pipeline(Readable.from(svc.export(req)), out, { end: out !== process.stdout })
        })
      })
    })

  hashes.command('retract')
    .description('retract one of our hashes (e.g. a false positive); the retraction replicates like any batch')
    .argument('<ref>', 'ALG:VALUE, e.g. sha256:ab12…')
    .option(...DIR_OPTION)
    .requiredOption('--reason <text>', 'why, e.g. "false positive"')
    .option('--json', 'print JSON')
    .action(async (ref: string, opts: { dir?: string, reason: string, json?: boolean }) => {
      const res = await withNode(resolveDir(opts.dir), {
        remote: async (client) => await client.post<{ retracted: number, seq: number }>('/v1/hashes/retract', { ref, reason: opts.reason }),
        local: async (ctx) => await offline(ctx, async (svc) => {
          const r = await svc.retract(ref, opts.reason)
          await auditLogOf(ctx.store).record('hashes.retract', retractDetails(ref, opts.reason, r), cliActor())
          return r
        })
      })
      if (opts.json === true) return printJson(res)
      print(`retracted in batch ${res.seq}\n`)
    })

  hashes.command('show')
    .description('which origins vouch for a hash, with classification, batch and sequence, retracted or not')
    .argument('<ref>', 'ALG:VALUE')
    .option(...DIR_OPTION)
    .option('--json', 'print JSON')
    .action(async (ref: string, opts: { dir?: string, json?: boolean }) => {
      const res = await withNode(resolveDir(opts.dir), {
        remote: async (client) => await client.get<Awaited<ReturnType<HashListService['show']>>>(`/v1/hashes/show?ref=${encodeURIComponent(ref)}`),
        local: async (ctx) => await offline(ctx, async (svc) => await svc.show(ref))
      })
      if (opts.json === true) return printJson(res)
      print(`${res.algorithm}:${res.value}\n`)
      print(table(res.origins as Array<Record<string, unknown>>, ['name', 'classification', 'seq', 'index', 'retracted', 'source']) + '\n')
    })

  hashes.command('list-origins')
    .description('per origin: current entries, retractions, head sequence and head hash')
    .option(...DIR_OPTION)
    .option('--json', 'print JSON')
    .action(async (opts: { dir?: string, json?: boolean }) => {
      const origins = await withNode(resolveDir(opts.dir), {
        remote: async (client) => (await client.get<{ origins: Array<Record<string, unknown>> }>('/v1/hashes/origins')).origins,
        local: async (ctx) => await offline(ctx, async (svc) => svc.listOrigins())
      })
      if (opts.json === true) return printJson(origins)
      print(table(origins, ['name', 'entries', 'retractions', 'headSeq', 'headHash']) + '\n')
    })
}
