#!/usr/bin/env node
import '../polyfill.js'
import { Command, CommanderError } from 'commander'
import { isHashfedError, type ErrorCode } from '../errors.js'
import { registerInit } from './commands/init.js'
import { registerStart } from './commands/start.js'
import { registerStatus } from './commands/status.js'
import { registerFederation } from './commands/federation.js'
import { registerHashes } from './commands/hashes.js'
import { registerReports } from './commands/reports.js'
import { registerPeers } from './commands/peers.js'
import { registerAudit } from './commands/audit.js'
import { registerConfig } from './commands/config.js'
import { registerImageCommands } from './commands/images.js'
import { registerCheck } from './commands/check.js'
import { registerMatch } from './commands/match.js'
import { registerTokens } from './commands/tokens.js'
import { registerFeedback } from './commands/feedback.js'

/** Input the user can fix exits 2 (like usage errors); failures of the node or network exit 1. */
const USER_ERRORS = new Set<ErrorCode>([
  'HF_INVALID_ARGUMENT', 'HF_INVALID_CONFIG', 'HF_INVALID_FEDERATION', 'HF_NODE_EXISTS', 'HF_NODE_NOT_FOUND',
  'HF_INVALID_KEY', 'HF_INVALID_HASH', 'HF_INVALID_FORMAT', 'HF_INVALID_REPORT', 'HF_UNKNOWN_COUNTRY',
  'HF_NOT_FOUND', 'HF_STORE_VERSION', 'HF_FORBIDDEN', 'HF_TOO_LARGE', 'HF_INVALID_IMAGE'
])

export function buildProgram (): Command {
  const program = new Command('hashfed')
    .description('federation node for CSAM hotlines: signed hash lists, URL report routing, hash checks')
    .version('0.1.0')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride() // before the commands are added, so they inherit it
  registerInit(program)
  registerStart(program)
  registerStatus(program)
  registerFederation(program)
  registerHashes(program)
  registerReports(program)
  registerPeers(program)
  registerAudit(program)
  registerConfig(program)
  registerImageCommands(program) // after registerHashes: adds `hashes add-images`
  registerCheck(program)
  registerMatch(program)
  registerTokens(program)
  registerFeedback(program)
  return program
}

async function main (): Promise<void> {
  const program = buildProgram()
  try {
    await program.parseAsync(process.argv)
  } catch (err) {
    if (err instanceof CommanderError) {
      process.exitCode = err.exitCode === 0 ? 0 : 2
      return
    }
    if (isHashfedError(err)) {
      process.stderr.write(`error [${err.code}]: ${err.message}\n`)
      process.exitCode = USER_ERRORS.has(err.code) ? 2 : 1
      return
    }
    process.stderr.write(`error [HF_INTERNAL]: ${(err as Error).stack ?? String(err)}\n`)
    process.exitCode = 1
  }
}

await main()
