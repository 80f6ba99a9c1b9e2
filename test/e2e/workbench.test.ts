import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { createReadStream } from 'node:fs'
import { mkdir, readFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import type { Page } from 'playwright-core'
import { closeBrowser, launchBrowser, watchedPage } from '../helpers/browser.js'
import { tempDir } from '../helpers/temp-dir.js'
import { runCli } from '../helpers/cli.js'
import { createFederation, createMembers, startMember, waitFor } from '../helpers/federation.js'
import type { HashfedNode } from '../../src/daemon/hashfed-node.js'

const SAMPLE = resolve('scripts/demo-data/sample-hashes.txt')
const ARTIFACTS = resolve('test-artifacts')
const OPERATOR = 'anna.devries'
const HOSTER = 'Slow Hosting BV'
const URLS = ['http://workbench-one.example.test/a/secret-path', 'http://workbench-two.example.test/b/other-path']

const running: HashfedNode[] = []
after(async () => {
  await closeBrowser()
  await Promise.all(running.map(async n => await n.stop()))
})

async function cliJson (args: string[]): Promise<any> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const res = await runCli([...args, '--json'])
  assert.equal(res.code, 0, `hashfed ${args.join(' ')}: ${res.stderr}`)
  return JSON.parse(res.stdout)
}

/** Opens a workbench view and waits until it has loaded (body[data-ready] names it). */
async function open (page: Page, base: string, hash: string, view: string): Promise<void> {
  const url = `${base}/#/${hash}`
  if (page.url() === url) await page.reload()
  else await page.goto(url)
  await page.waitForSelector(`body[data-ready="${view}"]`, { timeout: 15_000 })
}

/** A screenshot into test-artifacts/, after checking the view fits its width (no sideways scrolling at 1280 px or on a laptop). */
async function shot (page: Page, name: string): Promise<void> {
  const { scroll, width } = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, width: window.innerWidth }))
  assert.ok(scroll <= width, `${name}: the page is ${scroll} px wide in a ${width} px window`)
  await mkdir(ARTIFACTS, { recursive: true })
  await page.screenshot({ path: resolve(ARTIFACTS, `workbench-${name}.png`), fullPage: true })
}

async function statusLine (page: Page, pattern: RegExp): Promise<void> {
  await page.waitForFunction((src) => new RegExp(src).test(document.getElementById('wb-status')?.textContent ?? ''), pattern.source, { timeout: 15_000 })
}

test('workbench in Chromium: a report\'s whole life, a dispute accepted into a retraction, a member added and removed, a token created and revoked, the hoster report; each checked through the CLI', async () => {
  const root = await tempDir()
  const members = await createFederation(root, [{ name: 'EOKM', countries: ['NL'] }, { name: 'DE', countries: ['DE'] }])
  const [nlM] = members
  const [nl, de] = await Promise.all(members.map(async m => {
    const { node } = await startMember(m)
    running.push(node)
    return node
  }))
  assert.ok(await waitFor(() => [nl, de].every(n => n.members.connectedPeers().length === 1), 15_000), 'the members connect')
  const summary = await nl.hashLists.import({ format: 'lines' }, () => createReadStream(SAMPLE))
  assert.equal(summary.added, 24)
  assert.ok(await waitFor(() => de.hashLog.head(nlM.peerId)?.entries === 24, 15_000), 'the list replicates to DE')
  const lines = (await readFile(SAMPLE, 'utf8')).split('\n').filter(l => l.startsWith('sha256:'))
  const [disputedRef, lookupRef, keptRef] = lines

  // DE reports two NL-hosted addresses; EOKM handles them
  const first = await de.reports.submit({ url: URLS[0], country: 'NL', hoster: HOSTER, asn: 64500 })
  const second = await de.reports.submit({ url: URLS[1], country: 'NL', hoster: 'Quick Host Ltd' })
  assert.ok(await waitFor(async () => (await nl.reports.list({ direction: 'inbound' })).length === 2, 15_000), 'EOKM receives both reports')
  // DE's analyst disputes one of EOKM's hashes; it reaches EOKM
  await de.check.feedback.send({ ref: disputedRef, verdict: 'disputed', reason: 'default theme image', hoster: 'analyst:DE' })
  await de.check.feedback.send({ ref: keptRef, verdict: 'disputed', reason: 'looks harmless', hoster: 'analyst:DE' })
  assert.ok(await waitFor(async () => (await nl.check.feedback.list()).length === 2, 15_000), 'EOKM receives the disputes')

  const { page, requests, problems } = await watchedPage({ viewport: { width: 1280, height: 860 }, colorScheme: 'light' })
  const base = nl.adminUrl

  // asked once for the operator's name; a change is refused in the page until it is given
  await page.goto(base + '/#/reports')
  await page.waitForSelector('#operator-form:not([hidden])', { timeout: 10_000 })
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'operator-input', 'the name field has focus')
  await page.keyboard.type(OPERATOR)
  await page.keyboard.press('Enter')
  await page.waitForSelector('#operator-form', { state: 'hidden' })
  assert.equal(await page.textContent('#operator-name'), OPERATOR)

  // ---- a report's whole life: assessed, notice sent, removed — by keyboard from the queue
  await open(page, base, 'reports', 'reports')
  const row = `#queue tr[data-report="${first.id}"]`
  await page.waitForSelector(row)
  assert.doesNotMatch(await page.textContent('#queue') ?? '', /secret-path/, 'the queue shows the host only')
  for (const [status, label] of [['assessed', /assessed recorded/], ['notice-sent', /notice sent recorded/], ['removed', /removed recorded/]] as const) {
    await page.focus(`${row} button[data-action="${status}"]`)
    await page.keyboard.press('Enter')
    await statusLine(page, label)
    await page.waitForSelector(`${row} [data-status="${status}"]`)
    assert.equal(await page.evaluate((id) => document.activeElement?.closest('tr')?.getAttribute('data-report'), first.id), first.id, 'the keyboard stays on the report')
  }
  await shot(page, 'queue')
  // a laptop screen: the same queue, still usable without sideways scrolling
  await page.setViewportSize({ width: 1024, height: 700 })
  await shot(page, 'queue-laptop')
  await page.setViewportSize({ width: 1280, height: 860 })
  // the other report: not illegal, with a note, from the report page
  await page.click(`#queue tr[data-report="${second.id}"] a.button-link`)
  await page.waitForSelector('body[data-ready="report"] #update-form')
  assert.equal(await page.isChecked('#update-form input[value="not-illegal"]'), true, 'the queue\'s "Not illegal…" preselects it')
  await page.click('#update-form button[type="submit"]')
  await statusLine(page, /needs a note/)
  await page.fill('#update-note', 'adult content, legal')
  await page.click('#update-form button[type="submit"]')
  await statusLine(page, /not-illegal recorded/)

  // the first report's page: its URL and its signed timeline
  await open(page, base, `report/${first.id}`, 'report')
  assert.match(await page.textContent('#report-view [data-url]') ?? '', /secret-path/)
  const timeline = await page.$$eval('#timeline li', lis => lis.map(li => ({ status: li.getAttribute('data-status'), text: li.textContent ?? '' })))
  assert.deepEqual(timeline.map(t => t.status), ['assessed', 'notice-sent', 'removed'])
  assert.ok(timeline.every(t => /signed by EOKM/.test(t.text)))
  assert.equal(await page.locator('#update-form').count(), 0, 'a closed report has no form')
  await shot(page, 'report')
  const shown = await cliJson(['reports', 'show', first.id, '--dir', nlM.dir])
  assert.equal(shown.status, 'removed')
  assert.deepEqual(shown.timeline.map((t: { status: string }) => t.status), ['assessed', 'notice-sent', 'removed'])
  assert.equal((await cliJson(['reports', 'show', second.id, '--dir', nlM.dir])).status, 'not-illegal')
  assert.ok(await waitFor(async () => (await de.reports.show(first.id)).status === 'removed', 15_000), 'the removal reaches DE')

  // ---- a dispute accepted into a retraction
  await open(page, base, 'disputes', 'disputes')
  const dispute = `#disputes tr[data-ref="${disputedRef}"]`
  await page.waitForSelector(dispute)
  await page.click(`${dispute} button[data-action="accepted"]`)
  await statusLine(page, /reason/)
  await page.fill(`${dispute} input[data-reason]`, 'confirmed: a stock image')
  await page.check(`${dispute} input[data-benign]`)
  await page.click(`${dispute} button[data-action="accepted"]`)
  await statusLine(page, /Dispute accepted: .* retracted and published as benign/)
  await page.waitForSelector(`${dispute} [data-decision="accepted"]`)
  await shot(page, 'disputes')
  // the other one is rejected: the hash stays listed
  const kept = `#disputes tr[data-ref="${keptRef}"]`
  await page.fill(`${kept} input[data-reason]`, 'verified: it is listed rightly')
  await page.click(`${kept} button[data-action="rejected"]`)
  await statusLine(page, /Dispute rejected/)
  await page.waitForSelector(`${kept} [data-decision="rejected"]`)
  const disputes = await cliJson(['disputes', 'list', '--dir', nlM.dir]) as Array<{ id: string, ref: string, current: boolean, decision: { decision: string } | null }>
  const accepted = disputes.find(d => d.ref === disputedRef)
  assert.equal(accepted?.decision?.decision, 'accepted')
  assert.equal(accepted?.current, false)
  const rejected = disputes.find(d => d.ref === keptRef)
  assert.equal(rejected?.decision?.decision, 'rejected')
  assert.equal(rejected?.current, true)
  const again = await runCli(['disputes', 'decide', rejected.id, '--decision', 'accepted', '--reason', 'changed my mind', '--dir', nlM.dir])
  assert.notEqual(again.code, 0, 'a decided dispute is not decided again')
  assert.match(again.stderr, /was rejected/)
  const held = await cliJson(['hashes', 'show', disputedRef, '--dir', nlM.dir])
  assert.ok(held.origins.every((o: { retracted: unknown }) => o.retracted !== null), 'the hash is retracted')
  const benign = await cliJson(['hashes', 'benign', '--list', '--dir', nlM.dir]) as { benign: Array<{ ref: string, reason: string }> }
  assert.deepEqual(benign.benign.filter(b => b.ref === disputedRef).map(b => b.reason), ['dispute accepted: confirmed: a stock image'], 'and published as benign, in the same write')

  // ---- hash lookup and retraction (a confirm step before it)
  await open(page, base, 'hashes', 'hashes')
  await page.fill('#hash-ref', lookupRef)
  await page.keyboard.press('Enter')
  await page.waitForSelector('#hash-origins tr[data-origin="EOKM"] [data-state="listed"]')
  await page.fill('#hash-origins input', 'listed in error')
  await page.click('#hash-origins button[data-action="retract"]')
  await page.click('#hash-origins button[data-confirm="yes"]')
  await page.waitForSelector('#hash-origins tr[data-origin="EOKM"] [data-state="retracted"]')
  await shot(page, 'hashes')
  const looked = await cliJson(['hashes', 'show', lookupRef, '--dir', nlM.dir])
  assert.ok(looked.origins.every((o: { retracted: unknown }) => o.retracted !== null))

  // ---- a member added and removed
  const [beM] = await createMembers(root, [{ name: 'BE', countries: ['BE'] }])
  await open(page, base, 'members', 'members')
  await page.fill('#member-name', 'BE')
  await page.fill('#member-peer', beM.peerId)
  await page.fill('#member-countries', 'be')
  await page.fill('#member-addresses', '/ip4/127.0.0.1/tcp/9')
  await page.click('#member-form button[type="submit"]')
  await page.waitForSelector('#wb-members tr[data-member="BE"]')
  const fed = await cliJson(['federation', 'list', '--dir', nlM.dir])
  assert.deepEqual(fed.find((m: { name: string }) => m.name === 'BE')?.countries, ['BE'])
  await shot(page, 'members')
  // the workbench offers removal because the node's OpenAPI lists the operation
  const openapi = await (await fetch(base + '/openapi.json')).json() as { paths: Record<string, { post?: { summary?: string } }> }
  assert.ok(Object.entries(openapi.paths).some(([p, m]) => p.startsWith('/v1/federation') && m.post !== undefined && /remove/i.test(`${p} ${m.post.summary ?? ''}`)), 'the node offers federation.remove')
  await page.locator('#wb-members tr[data-member="BE"] button[data-action="remove"]').click()
  await page.click('#wb-members button[data-confirm="yes"]')
  await page.waitForSelector('#wb-members tr[data-member="BE"]', { state: 'detached' })
  const after = await cliJson(['federation', 'list', '--dir', nlM.dir])
  assert.equal(after.some((m: { name: string }) => m.name === 'BE'), false, 'BE removed, as the CLI sees it')

  // ---- a hoster token created, used, and revoked
  await open(page, base, 'tokens', 'tokens')
  await page.fill('#token-name', 'slow-hosting')
  await page.click('#token-create button[type="submit"]')
  await page.waitForSelector('#token-value')
  const token = (await page.textContent('#token-value') ?? '').trim()
  const check = async (): Promise<number> => (await fetch(nl.checkUrl + '/v1/check', { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ hashes: [{ algorithm: 'sha256', value: lookupRef.slice('sha256:'.length) }] }) })).status
  assert.equal(await check(), 200)
  assert.equal(await check(), 200)
  await open(page, base, 'tokens', 'tokens')
  assert.equal(await page.getAttribute('#wb-tokens tr[data-token="slow-hosting"] [data-requests]', 'data-requests'), '2', 'usage per token')
  await page.click('#wb-tokens tr[data-token="slow-hosting"] button[data-action="revoke"]')
  await page.click('#wb-tokens button[data-confirm="yes"]')
  await page.waitForSelector('#wb-tokens tr[data-token="slow-hosting"][data-revoked="true"]')
  await shot(page, 'tokens')
  assert.equal(await check(), 401)
  const tokens = await cliJson(['tokens', 'list', '--dir', nlM.dir])
  assert.notEqual(tokens.find((t: { name: string }) => t.name === 'slow-hosting').revokedAt, null)

  // ---- every change is in the audit log under the operator's name
  const audit = (await cliJson(['audit', '--dir', nlM.dir])) as Array<{ action: string, actor: string }>
  const mine = audit.filter(r => r.actor === OPERATOR).map(r => r.action)
  for (const action of ['reports.update', 'disputes.decide', 'hashes.retract', 'federation.add', 'tokens.create', 'tokens.revoke']) assert.ok(mine.includes(action), `${action} recorded as ${OPERATOR}: ${mine.join(', ')}`)

  // ---- the hoster report: table and chart in the page, exports, and the published page offline
  await open(page, base, 'hoster-report', 'hoster-report')
  await page.waitForSelector(`#hoster-table tr[data-hoster="${HOSTER}"]`)
  assert.match(await page.textContent(`#hoster-table tr[data-hoster="${HOSTER}"]`) ?? '', /AS64500/)
  assert.equal(await page.locator('#hoster-chart rect.bar-median').count(), 1)
  await shot(page, 'hoster-report')
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#hoster-export-html')])
  const html = await readFile(await download.path(), 'utf8')
  const [csvDownload] = await Promise.all([page.waitForEvent('download'), page.click('#hoster-export-csv')])
  const csv = await readFile(await csvDownload.path(), 'utf8')
  assert.match(csv, new RegExp(`"?${HOSTER}"?,"?AS64500"?,1,1`))
  const cliCsv = await runCli(['reports', 'hoster-report', '--dir', nlM.dir, '--since', '90d', '--open-days', '3', '--format', 'csv'])
  assert.equal(cliCsv.code, 0, cliCsv.stderr)
  assert.equal(cliCsv.stdout, csv, 'the CLI exports the same CSV')
  for (const text of [html, csv, cliCsv.stdout]) {
    for (const url of URLS) {
      assert.equal(text.includes(url), false, 'no reported URL')
      assert.equal(text.includes(new URL(url).host), false, 'not even its host')
    }
    assert.equal(text.includes(first.id), false, 'no report id')
    assert.equal(text.includes('adult content'), false, 'no note')
  }

  assert.deepEqual(requests.filter(u => !u.startsWith(base) && !u.startsWith('data:') && !u.startsWith('blob:')), [], 'the workbench loads nothing from anywhere else')
  assert.deepEqual(problems, [])

  // the published page with the network cut off: table and chart are all in the file
  const offline = await (await launchBrowser()).newContext({ viewport: { width: 1280, height: 900 }, offline: true })
  const tried: string[] = []
  await offline.route('**/*', async (route) => { tried.push(route.request().url()); await route.abort() })
  const pub = await offline.newPage()
  pub.on('request', r => { if (!r.url().startsWith('data:')) tried.push(r.url()) })
  await pub.setContent(html, { waitUntil: 'load' })
  assert.match(await pub.textContent(`#hosters tbody`) ?? '', new RegExp(HOSTER))
  assert.ok(await pub.locator('svg.chart rect.median').count() >= 1, 'the chart is drawn')
  assert.deepEqual(tried, [], 'the page asks the network for nothing')
  await mkdir(ARTIFACTS, { recursive: true })
  await pub.screenshot({ path: resolve(ARTIFACTS, 'hoster-report-published.png'), fullPage: true })
})
