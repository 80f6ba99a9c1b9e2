// Build step (`npm run build`): writes the top-level help table from the real command
// declarations, so `hashfed --help` prints the same help without loading every command module.
import '../polyfill.js'
import { writeFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { buildProgram, HELP_TABLE, type HelpRow } from './program.js'

/** The rows of the top-level help, from the fully loaded program. */
export async function helpRows (): Promise<HelpRow[]> {
  const program = await buildProgram(['node', 'hashfed'], { table: false })
  const help = program.createHelp()
  return program.commands.map(cmd => ({ name: cmd.name(), term: help.subcommandTerm(cmd), description: cmd.description() }))
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  writeFileSync(HELP_TABLE, JSON.stringify(await helpRows(), null, 2) + '\n')
}
