import type { Command } from 'commander'
import { hfError, ErrorCodes } from '../../errors.js'
import { disputesDecideOp } from '../../ops/workbench-ops.js'
import { matchHoldOp, matchReleaseOp, quarantineConfirmOp, quarantineListOp, quarantineReleaseOp, quarantineShowOp, type HoldView } from '../../ops/quarantine-ops.js'
import { withOps } from '../op-runner.js'
import { DIR_OPTION, resolveDir } from '../options.js'
import { print, printJson, table } from '../output.js'

interface Opts { dir?: string, json?: boolean }

/** `hashfed quarantine list|show|confirm|release`: the false-positive quarantine. */
export function registerQuarantine (program: Command): void {
  const q = program.command('quarantine').description('over-matching hashes held on this node, notices about our hashes, and the origin\'s confirmation')
  q.command('list')
    .description('held hashes (hosters, since when, what the origin said) and notices other nodes sent about our hashes')
    .option(...DIR_OPTION).option('--json', 'print JSON')
    .action(async (opts: Opts) => {
      const res = await withOps(resolveDir(opts.dir), async (ops) => await ops.run(quarantineListOp, {}))
      if (opts.json === true) return printJson(res)
      print(table(res.held.map((h: HoldView) => ({ ref: h.ref, kind: h.kind, since: h.since, hosters: h.hosters, matches: h.matches, reason: h.reason, origin: h.originSaid?.decision ?? 'no word' }))) + '\n')
      if (res.notices.length > 0) print('\nnotices about our hashes\n' + table(res.notices.map(n => ({ at: n.at, ref: n.ref, from: n.from, hosters: n.hosters, matches: n.matches }))) + '\n')
    })
  q.command('show').description('one hash: hold, counts, origin\'s word, notices').argument('<ref>', 'ALG:VALUE')
    .option(...DIR_OPTION).option('--json', 'print JSON')
    .action(async (ref: string, opts: Opts) => { printJson(await withOps(resolveDir(opts.dir), async (ops) => await ops.run(quarantineShowOp, { ref }))) })
  q.command('confirm').description('as the origin: the hash is right; releases its holds on every member and raises its thresholds').argument('<ref>', 'ALG:VALUE')
    .requiredOption('--reason <text>', 'why the hash is right').option(...DIR_OPTION).option('--json', 'print JSON')
    .action(async (ref: string, opts: Opts & { reason: string }) => {
      const res = await withOps(resolveDir(opts.dir), async (ops) => await ops.run(quarantineConfirmOp, { ref, reason: opts.reason }))
      if (opts.json === true) return printJson(res)
      print(`confirmed ${res.ref}: sent to ${res.sentTo.length} member(s)\n`)
    })
  q.command('release').description('end the hold on a hash on this node').argument('<ref>', 'ALG:VALUE')
    .option(...DIR_OPTION).option('--json', 'print JSON')
    .action(async (ref: string, opts: Opts) => { printJson(await withOps(resolveDir(opts.dir), async (ops) => await ops.run(quarantineReleaseOp, { ref }))) })
}

/** `hashfed match hold|release` */
export function registerMatchHold (match: Command): void {
  match.command('hold').description('hold one hash on this node (checks answer held) without switching off its origin').argument('<ref>', 'ALG:VALUE')
    .requiredOption('--reason <text>', 'why').option('--until <time>', 'ISO 8601 time the hold ends by itself')
    .option(...DIR_OPTION).option('--json', 'print JSON')
    .action(async (ref: string, opts: Opts & { reason: string, until?: string }) => {
      printJson(await withOps(resolveDir(opts.dir), async (ops) => await ops.run(matchHoldOp, { ref, reason: opts.reason, ...(opts.until !== undefined ? { until: opts.until } : {}) })))
    })
  match.command('release').description('end the hold on a hash on this node').argument('<ref>', 'ALG:VALUE')
    .option(...DIR_OPTION).option('--json', 'print JSON')
    .action(async (ref: string, opts: Opts) => { printJson(await withOps(resolveDir(opts.dir), async (ops) => await ops.run(matchReleaseOp, { ref }))) })
}

/** `hashfed disputes accept`: `disputes decide --decision accepted`, with --benign */
export function registerDisputeAccept (disputes: Command): void {
  disputes.command('accept').description('accept a dispute of our hash: retract it; with --benign also publish it as benign, in one write').argument('<id>', 'feedback id (disputes list)')
    .option('--benign', 'publish the value as benign as well').option('--reason <text>', 'why (default: the dispute\'s reason)')
    .option(...DIR_OPTION).option('--json', 'print JSON')
    .action(async (id: string, opts: Opts & { benign?: boolean, reason?: string }) => {
      printJson(await withOps(resolveDir(opts.dir), async (ops) => await ops.run(disputesDecideOp, { id, decision: 'accepted', ...(opts.benign === true ? { benign: true } : {}), ...(opts.reason !== undefined ? { reason: opts.reason } : {}) })))
    })
}
