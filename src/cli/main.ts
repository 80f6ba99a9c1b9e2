#!/usr/bin/env node
import '../polyfill.js'
import { CommanderError } from 'commander'
import { buildProgram } from './program.js'
import { isHashfedError, type ErrorCode } from '../errors.js'
import { printError } from './output.js'

/** Input the user can fix exits 2 (like usage errors); failures of the node or network exit 1. */
const USER_ERRORS = new Set<ErrorCode>([
  'HF_INVALID_ARGUMENT', 'HF_INVALID_CONFIG', 'HF_INVALID_FEDERATION', 'HF_NODE_EXISTS', 'HF_NODE_RUNNING', 'HF_NODE_NOT_FOUND',
  'HF_INVALID_KEY', 'HF_INVALID_HASH', 'HF_INVALID_FORMAT', 'HF_INVALID_REPORT', 'HF_UNKNOWN_COUNTRY',
  'HF_NOT_FOUND', 'HF_STORE_VERSION', 'HF_FORBIDDEN', 'HF_TOO_LARGE', 'HF_INVALID_IMAGE', 'HF_INSECURE_PERMISSIONS'
])

async function main (): Promise<void> {
  const program = await buildProgram()
  try {
    await program.parseAsync(process.argv)
  } catch (err) {
    if (err instanceof CommanderError) {
      process.exitCode = err.exitCode === 0 ? 0 : 2
      return
    }
    if (isHashfedError(err)) {
      // messages can quote remote or file text: controls are escaped like every other output
      printError(`error [${err.code}]: ${err.message}\n`)
      process.exitCode = USER_ERRORS.has(err.code) ? 2 : 1
      return
    }
    printError(`error [HF_INTERNAL]: ${(err as Error).stack ?? String(err)}\n`)
    process.exitCode = 1
  }
}

await main()
