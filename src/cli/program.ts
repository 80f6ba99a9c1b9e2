import { readFileSync } from 'node:fs'
import { Command } from 'commander'
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
  { names: ['trace'], load: async () => [(await import('./commands/trace.js')).registerTrace] },
  { names: ['members'], load: async () => [(await import('./commands/members.js')).registerMembers] },
  { names: ['keys'], load: async () => [(await import('./commands/keys.js')).registerKeys] },
  { names: ['verify'], load: async () => [(await import('./commands/verify.js')).registerVerify] },
  { names: ['audit'], load: async () => [(await import('./commands/audit.js')).registerAudit] },
  { names: ['quarantine'], load: async () => [(await import('./commands/quarantine.js')).registerQuarantine] },
  { names: ['config'], load: async () => [(await import('./commands/config.js')).registerConfig] }
]

/** One line of the top-level help: written by help-table.ts at build time from the real commands. */
export interface HelpRow { name: string, term: string, description: string }

export const HELP_TABLE = new URL('./help-table.json', import.meta.url)

/** The program with the commands `argv` needs: the one named, or for help the table of all of them. */
export async function buildProgram (argv: string[] = process.argv, opts: { table?: boolean } = {}): Promise<Command> {
  const program = new Command('hashfed')
    .description('federation node for CSAM hotlines: signed hash lists, URL report routing, hash checks')
    .version('0.1.0')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride() // before the commands are added, so they inherit it
  const asked = argv[2] === 'help' ? argv[3] : argv[2]
  const wanted = COMMANDS.filter(c => c.names.includes(asked ?? ''))
  const table = wanted.length === 0 && opts.table !== false ? helpTable() : null
  if (table !== null) {
    // top-level help, a version or an unknown command: the names and descriptions are enough,
    // and loading every command module would cost each such call most of a second
    for (const row of table) program.command(row.name).description(row.description)
    const terms = new Map(table.map(r => [r.name, r.term]))
    const plain = program.createHelp()
    program.configureHelp({ subcommandTerm: (cmd) => terms.get(cmd.name()) ?? plain.subcommandTerm(cmd) })
    return program
  }
  for (const c of wanted.length > 0 ? wanted : COMMANDS) for (const register of await c.load()) register(program)
  return program
}

function helpTable (): HelpRow[] | null {
  try {
    return JSON.parse(readFileSync(HELP_TABLE, 'utf8')) as HelpRow[]
  } catch {
    return null // not built yet: load the commands themselves
  }
}
