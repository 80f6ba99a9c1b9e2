#!/usr/bin/env node
import '../polyfill.js'
import { Command, CommanderError } from 'commander'
import { isHashfedError, type ErrorCode } from '../errors.js'
type Register = (program: Command) => void

/**
 * Command modules, loaded only when their command is asked for: importing all of them (libp2p,
 * sharp, the GeoIP data…) would cost every invocation a second. Order is the order of `--help`.
 */
const COMMANDS: Array<{ names: string[], load: () => Promise<Register[]> }> = [
  { names: ['init'], load: async () => [(await import('./commands/init.js')).registerInit] },
  { names: ['start'], load: async () => [(await import('./commands/start.js')).registerStart] },
  { names: ['status'], load: async () => [(await import('./commands/status.js')).registerStatus] },
  { names: ['peers'], load: async () => [(await import('./commands/peers.js')).registerPeers] },
  { names: ['federation'], load: async () => [(await import('./commands/federation.js')).registerFederation] },
  // `hashes add-images` lives with the image commands and attaches to `hashes`
  { names: ['hashes'], load: async () => [(await import('./commands/hashes.js')).registerHashes, (await import('./commands/images.js')).registerImageCommands] },
  { names: ['hash', 'check'], load: async () => [(await import('./commands/check.js')).registerCheck] },
  { names: ['match'], load: async () => [(await import('./commands/match.js')).registerMatch] },
  { names: ['tokens'], load: async () => [(await import('./commands/tokens.js')).registerTokens] },
  { names: ['feedback', 'disputes'], load: async () => [(await import('./commands/feedback.js')).registerFeedback] },
  { names: ['reports'], load: async () => [(await import('./commands/reports.js')).registerReports] },
  { names: ['audit'], load: async () => [(await import('./commands/audit.js')).registerAudit] },
  { names: ['config'], load: async () => [(await import('./commands/config.js')).registerConfig] }
]

/** Input the user can fix exits 2 (like usage errors); failures of the node or network exit 1. */
const USER_ERRORS = new Set<ErrorCode>([
  'HF_INVALID_ARGUMENT', 'HF_INVALID_CONFIG', 'HF_INVALID_FEDERATION', 'HF_NODE_EXISTS', 'HF_NODE_NOT_FOUND',
  'HF_INVALID_KEY', 'HF_INVALID_HASH', 'HF_INVALID_FORMAT', 'HF_INVALID_REPORT', 'HF_UNKNOWN_COUNTRY',
  'HF_NOT_FOUND', 'HF_STORE_VERSION', 'HF_FORBIDDEN', 'HF_TOO_LARGE', 'HF_INVALID_IMAGE'
])

/** The program with the commands `argv` needs: the one named, or all of them for help. */
export async function buildProgram (argv: string[] = process.argv): Promise<Command> {
  const program = new Command('hashfed')
    .description('federation node for CSAM hotlines: signed hash lists, URL report routing, hash checks')
    .version('0.1.0')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride() // before the commands are added, so they inherit it
  const asked = argv[2] === 'help' ? argv[3] : argv[2]
  const wanted = COMMANDS.filter(c => c.names.includes(asked ?? ''))
  for (const c of wanted.length > 0 ? wanted : COMMANDS) for (const register of await c.load()) register(program)
  return program
}

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
      process.stderr.write(`error [${err.code}]: ${err.message}\n`)
      process.exitCode = USER_ERRORS.has(err.code) ? 2 : 1
      return
    }
    process.stderr.write(`error [HF_INTERNAL]: ${(err as Error).stack ?? String(err)}\n`)
    process.exitCode = 1
  }
}

await main()
