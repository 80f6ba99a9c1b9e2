import { test } from 'node:test'
import assert from 'node:assert/strict'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { parse } from 'csv-parse/sync'
import { tempDir } from '../helpers/temp-dir.js'
import { runCli, startCliNode } from '../helpers/cli.js'
import { waitFor } from '../helpers/federation.js'
import { collect, records } from '../helpers/format-suite.js'
import { getFormat } from '../../src/formats/registry.js'
import { nodeDir } from '../../src/config/node-dir.js'
import { readLiveRuntime } from '../../src/context/runtime-file.js'

// Finding 9: a source such as `=cmd|' /C calc'!A0` was exported as is, and a spreadsheet
// opening the export runs it. Entries whose sources, tags, HMA content ids and ICSE image
// ids start with = + - @ are imported through the CLI, then exported in every CSV format by
// the CLI and by the admin API of the running node: no cell may start with those characters.

const FORMULA = /^[=+\-@\t\r]/
const hex = (bytes: number, fill: number): string => Buffer.alloc(bytes, fill).toString('hex')
// PhotoDNA bytes whose base64 starts with "+" (0xf8 -> 111110 = 62 = "+")
const PDNA = hex(144, 0xf8)

const SOURCES = [
  "=cmd|' /C calc'!A0",
  'hma:@SUM(1+1)*cmd|\' /C calc\'!A0',
  'hma:-2+3+cmd|\' /C calc\'!A0',
  "icse:=cmd|' /C calc'!A0",
  'icse:+1+cmd|\' /C calc\'!A0',
  "'=HYPERLINK(\"http://attacker.example/\")"
]
// a cell quoted by a neutralising writer (ours or another) is read without its quote
const STORED = SOURCES.map(s => s.startsWith("'=") ? s.slice(1) : s)
const q = (cell: string): string => `"${cell.replace(/"/g, '""')}"`
const INPUT = [
  'algorithm,value,classification,tags,source',
  `md5,${hex(16, 1)},baseline,"=HYPERLINK(""http://attacker.example/"")|@calc",${q(SOURCES[0])}`,
  `md5,${hex(16, 2)},baseline,+tag|-tag,${q(SOURCES[1])}`,
  `md5,${hex(16, 3)},national,,${q(SOURCES[2])}`,
  `sha1,${hex(20, 4)},baseline,,${q(SOURCES[3])}`,
  `photodna,${PDNA},national,,${q(SOURCES[4])}`,
  `md5,${hex(16, 5)},baseline,,${q(SOURCES[5])}`
].join('\n') + '\n'

const CSV_FORMATS = [['csv', ','], ['hma-csv', ','], ['icse-csv', ';']] as const

/** Cells of an export a spreadsheet would run as formulas (the header row included). */
function formulaCells (text: string, delimiter: string): string[] {
  const rows = parse(text, { delimiter, relax_column_count: true }) as string[][]
  assert.ok(rows.length > 1, `the export has rows: ${text}`)
  return rows.flat().filter(c => FORMULA.test(c))
}

async function cli (args: string[]): Promise<string> {
  const res = await runCli(args)
  assert.equal(res.code, 0, `hashfed ${args.join(' ')}: ${res.stderr}`)
  return res.stdout
}

async function checkExports (label: string, exportOf: (format: string) => Promise<string>): Promise<Map<string, string>> {
  const out = new Map<string, string>()
  for (const [format, delimiter] of CSV_FORMATS) {
    const text = await exportOf(format)
    assert.deepEqual(formulaCells(text, delimiter), [], `${label} ${format} export:\n${text}`)
    out.set(format, text)
  }
  // each format still carries what it carries: the sources, tags and ids, one quote aside
  assert.match(out.get('csv') as string, /'=cmd\|' \/C calc'!A0/)
  assert.match(out.get('hma-csv') as string, /'@SUM\(1\+1\)/)
  assert.match(out.get('icse-csv') as string, /'=cmd\|' \/C calc'!A0/)
  return out
}

test('CSV exports neutralise formula cells (CLI and admin API, every CSV format); our own import reads them back exactly', async () => {
  const root = await tempDir()
  const dir = join(root, 'node')
  await cli(['init', '--dir', dir, '--name', 'EOKM', '--country', 'NL', '--listen', '/ip4/127.0.0.1/tcp/0', '--api-port', '0', '--check-port', '0'])
  const file = join(root, 'list.csv')
  await writeFile(file, INPUT)
  const summary = JSON.parse(await cli(['hashes', 'import', file, '--format', 'csv', '--dir', dir, '--json'])) as { added: number, rejectedCount: number }
  assert.deepEqual([summary.added, summary.rejectedCount], [6, 0])

  // offline: the CLI writes the export itself
  const offline = await checkExports('CLI', async (format) => await cli(['hashes', 'export', '--format', format, '--dir', dir]))

  // the export reads back as what was imported: sources, tags and hash values unchanged
  const back = records(await collect(getFormat('csv'), offline.get('csv') as string))
  assert.deepEqual(back.map(r => r.source).sort(), [...STORED].sort())
  assert.deepEqual(back.find(r => r.algorithm === 'md5' && r.source === SOURCES[0])?.tags, ['=HYPERLINK("http://attacker.example/")', '@calc'])
  const icse = records(await collect(getFormat('icse-csv'), offline.get('icse-csv') as string))
  const pdna = icse.find(r => r.algorithm === 'photodna')
  assert.equal(pdna !== undefined && Buffer.from(pdna.value).toString('hex'), PDNA, 'a PhotoDNA whose base64 starts with "+" keeps its value')
  assert.deepEqual(icse.map(r => r.source).filter(s => s !== undefined).sort(), [SOURCES[3], SOURCES[4]].sort())
  const again = join(root, 'again')
  await cli(['init', '--dir', again, '--name', 'EOKM', '--country', 'NL', '--listen', '/ip4/127.0.0.1/tcp/0', '--api-port', '0', '--check-port', '0'])
  await writeFile(join(root, 'export.csv'), offline.get('csv') as string)
  await cli(['hashes', 'import', join(root, 'export.csv'), '--format', 'csv', '--dir', again])
  assert.equal(await cli(['hashes', 'export', '--format', 'csv', '--dir', again]), offline.get('csv'), 'csv import -> export -> import -> export is exact')

  // running: the admin API route /v1/hashes/export writes the same
  const node = startCliNode(dir)
  try {
    let adminUrl = ''
    assert.ok(await waitFor(async () => { adminUrl = (await readLiveRuntime(nodeDir(dir)))?.adminUrl ?? ''; return adminUrl !== '' }, 30_000, 100), `the node starts: ${node.output()}`)
    const online = await checkExports('admin API', async (format) => {
      const res = await fetch(`${adminUrl}/v1/hashes/export?format=${format}`)
      assert.equal(res.status, 200, await res.clone().text())
      return await res.text()
    })
    assert.equal(online.get('csv'), offline.get('csv'))
  } finally {
    assert.equal(await node.stop(), 0, node.output())
  }
})
