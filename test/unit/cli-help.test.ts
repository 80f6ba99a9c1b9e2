import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { HELP_TABLE } from '../../src/cli/program.js'
import { helpRows } from '../../src/cli/help-table.js'
import { runCli } from '../helpers/cli.js'

test('the built help table is what the command declarations say, and `hashfed --help` lists every command from it', async () => {
  const rows = await helpRows()
  assert.deepEqual(JSON.parse(await readFile(HELP_TABLE, 'utf8')), rows, 'npm run build wrote the table from these declarations')
  assert.ok(rows.length >= 13)
  const help = await runCli(['--help'])
  assert.equal(help.code, 0, help.stderr)
  for (const r of rows) assert.match(help.stdout, new RegExp(`^  ${r.term.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s`, 'm'), `${r.name} listed`)
  // a command's own help still loads that command with its options
  const one = await runCli(['hashes', 'import', '--help'])
  assert.equal(one.code, 0, one.stderr)
  assert.match(one.stdout, /--format <format>/)
})
