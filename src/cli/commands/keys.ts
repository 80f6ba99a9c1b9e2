import { access, chmod, constants, copyFile, readFile, rm } from 'node:fs/promises'
import { resolve } from 'node:path'
import type { Command } from 'commander'
import { hfError, ErrorCodes } from '../../errors.js'
import { keysRevokeOp, keysRotateOp, keysStatusOp } from '../../ops/key-ops.js'
import { nodeDir } from '../../config/node-dir.js'
import { KEY_FILE_MODE } from '../../identity/key-file.js'
import { withOps } from '../op-runner.js'
import { DIR_OPTION, resolveDir } from '../options.js'
import { print, printJson, safe, table } from '../output.js'

export function registerKeys (program: Command): void {
  const keys = program.command('keys').description('the origin\'s signing keys: rotate, revoke after a compromise, the recovery key (README "Key lifecycle")')

  keys.command('status')
    .description('every origin\'s signing keys by seq; revocations (an alarm) and the revoked batches kept as evidence')
    .option(...DIR_OPTION)
    .option('--json', 'print JSON')
    .action(async (opts: { dir?: string, json?: boolean }) => {
      const res = await withOps(resolveDir(opts.dir), async (ops) => await ops.run(keysStatusOp, {}))
      if (opts.json === true) return printJson(res)
      const lines = [table(res.origins.map(o => ({ origin: o.name, key: o.currentKey, rotations: o.epochs.length - 1, revocations: o.revocations.length, revokedBatches: o.revokedBatches.length })))]
      for (const o of res.origins) {
        for (const r of o.revocations) lines.push(safe`ALARM ${o.name}: revoked from batch ${r.firstBadSeq} by its recovery key; ${o.revokedBatches.length} batches kept as evidence`)
      }
      print(lines.join('\n') + '\n')
    })

  keys.command('rotate')
    .description('make a new signing key (in the node folder\'s keys/) and publish the rotation in our log; back up keys/ afterwards')
    .option(...DIR_OPTION)
    .option('--json', 'print JSON')
    .action(async (opts: { dir?: string, json?: boolean }) => {
      const res = await withOps(resolveDir(opts.dir), async (ops) => await ops.run(keysRotateOp, {}))
      if (opts.json === true) return printJson(res)
      print(safe`rotated: batch ${res.seq} hands the signing key on to ${res.newKey}; back up ${res.keyFile}` + '\n')
    })

  keys.command('revoke')
    .description('after a compromise: revoke the signing key from a batch on, signed by the offline recovery key; every member cuts the batches from there')
    .option(...DIR_OPTION)
    .requiredOption('--recovery-key <file>', 'the recovery key file (from `keys recovery-export`)')
    .option('--from-seq <n>', 'first compromised batch (default: the one after this node\'s own head)', (v) => Number.parseInt(v, 10))
    .option('--json', 'print JSON')
    .action(async (opts: { dir?: string, recoveryKey: string, fromSeq?: number, json?: boolean }) => {
      const recoveryKey = (await readFile(resolve(opts.recoveryKey))).toString('base64')
      const res = await withOps(resolveDir(opts.dir), async (ops) => await ops.run(keysRevokeOp, { recoveryKey, ...(opts.fromSeq !== undefined ? { fromSeq: opts.fromSeq } : {}) }))
      if (opts.json === true) return printJson(res)
      print(safe`revoked from batch ${res.firstBadSeq}; new signing key ${res.newKey}; sent to ${res.notified} members (hashfed reports outbox shows delivery)` + '\n')
    })

  keys.command('recovery-export')
    .description('move the recovery key out of the node folder (to offline storage): copies it, then deletes it here')
    .option(...DIR_OPTION)
    .requiredOption('--out <file>', 'where to write it (refuses to overwrite)')
    .action(async (opts: { dir?: string, out: string }) => {
      const dir = nodeDir(resolveDir(opts.dir))
      if (!await access(dir.recoveryKey).then(() => true, () => false)) throw hfError(ErrorCodes.NOT_FOUND, `${dir.recoveryKey} is not here (exported already?)`)
      await copyFile(dir.recoveryKey, resolve(opts.out), constants.COPYFILE_EXCL)
      await chmod(resolve(opts.out), KEY_FILE_MODE)
      await rm(dir.recoveryKey)
      print(safe`recovery key written to ${resolve(opts.out)} and removed from the node folder: keep it offline` + '\n')
    })

  keys.command('recovery-restore')
    .description('put an exported recovery key back into the node folder (e.g. on a rebuilt machine)')
    .option(...DIR_OPTION)
    .requiredOption('--from <file>', 'the exported recovery key')
    .action(async (opts: { dir?: string, from: string }) => {
      const dir = nodeDir(resolveDir(opts.dir))
      await copyFile(resolve(opts.from), dir.recoveryKey, constants.COPYFILE_EXCL)
      await chmod(dir.recoveryKey, KEY_FILE_MODE)
      print(safe`recovery key restored to ${dir.recoveryKey}` + '\n')
    })
}
