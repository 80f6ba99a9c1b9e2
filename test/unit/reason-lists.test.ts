import { test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { SYNC_REJECT_REASONS } from '../../src/sync/reject-reasons.js'
import { BATCH_REJECT_REASONS } from '../../src/log/batch.js'
import { OFFENCES, REPORT_OFFENCE_REASONS, REPORT_REJECT_REASONS } from '../../src/reports/rejection.js'
import { CONNECTION_REFUSAL_REASONS } from '../../src/net/connection-refusals.js'
import { OFFENCE_REASONS } from '../../src/node/offence-reasons.js'
import { reasonsOf, type ReasonList } from '../../src/observe/reasons.js'

/** The TypeScript sources of some folders of src/ (tests run from the repository root). */
async function sources (...dirs: string[]): Promise<Array<{ file: string, text: string }>> {
  const out: Array<{ file: string, text: string }> = []
  for (const dir of dirs.map(d => join('src', d)).filter(d => existsSync(d))) {
    for (const name of await readdir(dir)) if (name.endsWith('.ts') && !name.endsWith('.d.ts')) out.push({ file: join(dir, name), text: await readFile(join(dir, name), 'utf8') })
  }
  return out
}

/** Every string literal that `pattern`'s first group captures, with where it was found. */
function literals (files: Array<{ file: string, text: string }>, pattern: RegExp): Map<string, string> {
  const found = new Map<string, string>()
  for (const { file, text } of files) for (const m of text.matchAll(pattern)) found.set(m[1], file)
  return found
}

function assertListed (found: Map<string, string>, list: ReasonList<string>, what: string, except: string[] = []): void {
  assert.ok(found.size > 0, `the scan found ${what} reasons at all`)
  for (const [reason, file] of found) {
    if (except.includes(reason)) continue
    assert.ok(Object.hasOwn(list, reason), `${file} emits the ${what} reason "${reason}", which its list does not document`)
  }
}

function assertDocumented (list: ReasonList<string>): void {
  for (const [reason, doc] of Object.entries(list)) {
    assert.match(reason, /^[a-z][a-z:-]*$/, `"${reason}" is a short stable label`)
    assert.ok(typeof doc === 'string' && doc.length > 10, `"${reason}" has a line that says what it means`)
  }
}

test('every sync rejection reason a batch check, a codec or a session can raise is in SYNC_REJECT_REASONS', async () => {
  const files = await sources('sync', 'log')
  // `stream` is a broken connection: nobody's offence, never counted
  assertListed(literals(files, /reason: '([a-z-]+)'/g), SYNC_REJECT_REASONS, 'sync', ['stream'])
  assertListed(literals(files, /batchError\('([a-z-]+)'/g), BATCH_REJECT_REASONS, 'batch')
  assertListed(literals(files, /this\.reject\([^,]+, [^,]+, '([a-z-]+)'/g), SYNC_REJECT_REASONS, 'replicator')
  for (const r of reasonsOf(BATCH_REJECT_REASONS)) assert.ok(Object.hasOwn(SYNC_REJECT_REASONS, r), `batch reason ${r} is a sync reason`)
  assertDocumented(SYNC_REJECT_REASONS)
})

test('every report refusal the inbox and its handlers raise is in REPORT_REJECT_REASONS; offences are a part of it', async () => {
  const files = await sources('reports', 'courier')
  assertListed(literals(files, /rejection\('([a-z-]+)'/g), REPORT_REJECT_REASONS, 'report')
  // the wire replies of the inbox and the protocol (a local submit's own errors, such as the country resolver's, are no refusal)
  assertListed(literals(files.filter(f => /inbox|protocol/.test(f.file)), /reason: '([a-z-]+)'/g), REPORT_REJECT_REASONS, 'report', ['stream'])
  for (const r of OFFENCES) assert.ok(Object.hasOwn(REPORT_OFFENCE_REASONS, r))
  assertDocumented(REPORT_REJECT_REASONS)
  assertDocumented(REPORT_OFFENCE_REASONS)
})

test('the penalties count exactly the sync reasons and the report offences, prefixed', () => {
  const expected = [...reasonsOf(SYNC_REJECT_REASONS), ...reasonsOf(REPORT_OFFENCE_REASONS).map(r => `report:${r}`)]
  assert.deepEqual(reasonsOf(OFFENCE_REASONS).sort(), expected.sort())
  assertDocumented(OFFENCE_REASONS)
  assertDocumented(CONNECTION_REFUSAL_REASONS)
})

test('the README documents every reason an operator sees as a metric label or in status', async () => {
  const readme = await readFile('README.md', 'utf8')
  const section = (heading: string): string => {
    const at = readme.indexOf(heading)
    assert.ok(at >= 0, `README has "${heading}"`)
    return readme.slice(at, readme.indexOf('\n#', at + heading.length))
  }
  const lists: Array<[string, ReasonList<string>]> = [
    ['#### Sync rejection reasons', SYNC_REJECT_REASONS],
    ['#### Report message rejection reasons', REPORT_REJECT_REASONS],
    ['#### Offence reasons', REPORT_OFFENCE_REASONS],
    ['#### Connection refusal reasons', CONNECTION_REFUSAL_REASONS]
  ]
  for (const [heading, list] of lists) {
    const text = section(heading)
    for (const reason of reasonsOf(list)) assert.ok(text.includes(`\`${reason}\``), `README ${heading} lists \`${reason}\``)
  }
})
