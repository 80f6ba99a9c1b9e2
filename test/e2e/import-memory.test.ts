import { test } from 'node:test'
import assert from 'node:assert/strict'
import { rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { tempDir } from '../helpers/temp-dir.js'
import { runCli } from '../helpers/cli.js'
import { runCliMeasured, writeBigFile } from '../helpers/peak-memory.js'
import { initNode } from '../../src/node/init-node.js'
import { NCMEC_NAMESPACE } from '../../src/formats/ncmec-xml.js'
import { VICS_CONTEXT } from '../../src/formats/vics-json.js'

// Finding 12: a streaming parser gathers one text node or string whole before it hands it on,
// so one huge value outside the hash fields made an import hold twice its size. Each test
// imports a real file of about 200 MB through the real CLI (offline, the way an analyst
// does) and reads the child's peak RSS; a small file of the same shape is the baseline.

/** Growth over the baseline import an attack file may cause: the caps hold a few MiB. */
const ALLOWED_GROWTH_MIB = 100
const BIG = 200 * 1024 * 1024
const MD5 = '84f64b65db3192a980783835b078a28b'
const MD5_2 = '13083016c5197ec3250d6728af75ba01'

async function freshNode (root: string, name: string): Promise<string> {
  const dir = join(root, name)
  await initNode({ dir, name, countries: ['NL'], listen: ['/ip4/127.0.0.1/tcp/0'] })
  return dir
}

async function entries (dir: string): Promise<number> {
  const res = await runCli(['hashes', 'list-origins', '--dir', dir, '--json'])
  assert.equal(res.code, 0, res.stderr)
  return (JSON.parse(res.stdout) as Array<{ entries: number }>).reduce((n, o) => n + o.entries, 0)
}

/**
 * Imports the small file (baseline, must succeed), then the big one; the big one must be
 * refused as the format with its line, change nothing, and stay within the allowed growth.
 */
async function assertBounded (format: string, small: { head: string, tail: string }, big: { head: string, fill: string, bytes?: number, tail: string }, line: RegExp): Promise<string> {
  const root = await tempDir()
  const smallFile = join(root, 'small')
  const bigFile = join(root, 'big')
  try {
    await writeFile(smallFile, small.head + small.tail)
    const bytes = big.bytes ?? BIG
    await writeBigFile(bigFile, big.head, big.fill, bytes, big.tail)

    const base = await runCliMeasured(['hashes', 'import', smallFile, '--format', format, '--dir', await freshNode(root, 'base'), '--json'])
    assert.equal(base.code, 0, base.stderr)
    assert.ok((JSON.parse(base.stdout) as { added: number }).added > 0, 'the baseline file imports')

    const dir = await freshNode(root, 'attacked')
    const attack = await runCliMeasured(['hashes', 'import', bigFile, '--format', format, '--dir', dir, '--json'])
    const growth = attack.peakMiB - base.peakMiB
    assert.ok(growth < ALLOWED_GROWTH_MIB, `peak RSS ${attack.peakMiB.toFixed(0)} MiB vs baseline ${base.peakMiB.toFixed(0)} MiB: +${growth.toFixed(0)} MiB for a ${bytes >> 20} MB value (allowed +${ALLOWED_GROWTH_MIB})`)
    assert.equal(attack.code, 2, `refused as a bad file: ${attack.stderr}`)
    assert.match(attack.stderr, /HF_INVALID_FORMAT/)
    assert.match(attack.stderr, line)
    assert.equal(await entries(dir), 0, 'nothing of the refused file is imported')
    return `${format}: baseline import peak ${base.peakMiB.toFixed(0)} MiB; with a ${bytes >> 20} MB value ${attack.peakMiB.toFixed(0)} MiB (+${growth.toFixed(0)})`
  } finally {
    await rm(bigFile, { force: true })
  }
}

const ncmecEntry = (id: number, md5: string): string =>
  `<image><member id="1">Example</member><id>${id}</id><classification>A1</classification><fingerprints><md5>${md5}</md5></fingerprints></image>\n`

test('import memory: an NCMEC XML with a 200 MB text node outside the hash fields is refused at its line without holding it', async (t) => {
  const head = `<?xml version="1.0" encoding="UTF-8"?>\n<queryResult xmlns="${NCMEC_NAMESPACE}">\n<images>\n${ncmecEntry(1, MD5)}`
  const tail = '</images>\n</queryResult>\n'
  t.diagnostic(await assertBounded('ncmec-xml',
    { head, tail },
    // the member name, a field hashfed never reads, on line 5
    { head: `${head}<image><member id="2">`, fill: 'a', tail: `</member><id>2</id><fingerprints><md5>${MD5_2}</md5></fingerprints></image>\n${tail}` },
    /line 5\b/))
})

test('import memory: a VICS JSON with a 200 MB string value is refused at its line without holding it', async (t) => {
  const head = `{"@odata.context":${JSON.stringify(VICS_CONTEXT)},"value":[\n{"MediaID":1,"Category":1,"MD5":"${MD5}"}`
  const tail = '\n]}\n'
  t.diagnostic(await assertBounded('vics-json',
    { head, tail },
    // a Media field hashfed never reads, on line 3
    { head: `${head},\n{"MediaID":2,"MD5":"${MD5_2}","Comments":"`, fill: 'b', tail: `"}${tail}` },
    /line 3\b/))
})

test('import memory: a StopNCII JSON with a 200 MB string in its envelope is refused at its line without holding it', async (t) => {
  const record = (v: string): string => `{"signalType":"VideoMD5","hashValue":"${v}","hashStatus":"Active"}`
  t.diagnostic(await assertBounded('stopncii-json',
    { head: `{"count":1,"hashRecords":[\n${record(MD5)}`, tail: '\n]}\n' },
    // an envelope field before the records, on line 2
    { head: '{"count":1,\n"nextPageToken":"', fill: 'c', tail: `",\n"hashRecords":[\n${record(MD5)}\n]}\n` },
    /line 2\b/))
})

test('import memory: a VICS Media record of millions of small fields is refused at its line without holding it', async (t) => {
  const head = `{"@odata.context":${JSON.stringify(VICS_CONTEXT)},"value":[\n{"MediaID":1,"Category":1,"MD5":"${MD5}"}`
  const tail = '\n]}\n'
  // 8 MB of one Media's fields: 2 million arrays, about 800 MB as objects
  t.diagnostic(await assertBounded('vics-json',
    { head, tail },
    { head: `${head},\n{"MediaID":2,"MD5":"${MD5_2}","Extra":[`, fill: '[1],', bytes: 8 * 1024 * 1024, tail: `[1]]}${tail}` },
    /line 3\b/))
})
