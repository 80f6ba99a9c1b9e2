import { test } from 'node:test'
import assert from 'node:assert/strict'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { tempDir } from '../helpers/temp-dir.js'
import { addToFederation, createMembers, waitFor } from '../helpers/federation.js'
import { runCli } from '../helpers/cli.js'
import { startNode } from '../helpers/crash.js'

test('separate `hashfed start` processes: a list imported at EOKM replicates, a retraction follows', async () => {
  const root = await tempDir()
  const members = await createMembers(root, [{ name: 'EOKM', countries: ['NL'] }, { name: 'DE', countries: ['DE'] }, { name: 'GB', countries: ['GB'] }])
  for (const m of members) await addToFederation(m, members)
  const values = Array.from({ length: 2000 }, () => randomBytes(32).toString('hex'))
  const file = join(root, 'list.txt')
  await writeFile(file, values.join('\n') + '\n')

  // each comes up on ports the system assigns, then the others learn its address
  const procs = await Promise.all(members.map(async m => await startNode(m.dir)))
  try {
    const imported = await runCli(['hashes', 'import', file, '--format', 'lines', '--classification', 'baseline', '--dir', members[0].dir, '--json'])
    assert.equal(imported.code, 0, imported.stderr)
    assert.equal((JSON.parse(imported.stdout) as { added: number }).added, 2000)

    const heldEverywhere = async (): Promise<boolean> => {
      for (const m of members.slice(1)) {
        const res = await runCli(['hashes', 'list-origins', '--dir', m.dir, '--json'])
        if (res.code !== 0) return false
        const rows = JSON.parse(res.stdout) as Array<{ name: string, entries: number }>
        if (rows.find(r => r.name === 'EOKM')?.entries !== 2000) return false
      }
      return true
    }
    assert.ok(await waitFor(heldEverywhere, 20_000, 300), 'DE and GB hold EOKM\'s 2000 hashes')

    const again = await runCli(['hashes', 'import', file, '--format', 'lines', '--dir', members[0].dir, '--json'])
    assert.equal((JSON.parse(again.stdout) as { added: number, alreadyPresent: number }).added, 0, 're-import adds nothing')

    const retract = await runCli(['hashes', 'retract', `sha256:${values[7]}`, '--reason', 'false positive', '--dir', members[0].dir])
    assert.equal(retract.code, 0, retract.stderr)
    const retractedAtGb = async (): Promise<boolean> => {
      const res = await runCli(['hashes', 'show', `sha256:${values[7]}`, '--dir', members[2].dir, '--json'])
      const shown = JSON.parse(res.stdout) as { origins: Array<{ name: string, retracted: { reason: string } | null }> }
      return shown.origins[0]?.retracted?.reason === 'false positive'
    }
    assert.ok(await waitFor(retractedAtGb, 20_000, 300), 'retraction reached GB, history kept')
  } finally {
    for (const p of procs) assert.equal(await p.stop(), 0)
  }
})
