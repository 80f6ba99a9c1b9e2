import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { createReadStream } from 'node:fs'
import { mkdir, readFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import type { Page } from 'playwright-core'
import { closeBrowser, launchBrowser, watchedPage } from '../helpers/browser.js'
import { tempDir } from '../helpers/temp-dir.js'
import { addToFederation, createFederation, createMembers, publishPeer, startMember, waitFor, type TestMember } from '../helpers/federation.js'
import { nodeDir } from '../../src/config/node-dir.js'
import { saveNodeConfig, type NodeConfigInput } from '../../src/config/node-config.js'
import type { HashfedNode } from '../../src/daemon/hashfed-node.js'

const SAMPLE = resolve('scripts/demo-data/sample-hashes.txt')
const SCREENSHOT = resolve('test-artifacts/dashboard.png')
const GB_TOKEN = 'gb-dashboard-test-token-0123456789'
const HOSTER = 'Example Hosting BV'

const running: HashfedNode[] = []
const stops: Array<() => Promise<void>> = []
after(async () => {
  await closeBrowser()
  await Promise.all([...running.map(async n => await n.stop()), ...stops.map(async s => await s())])
})

async function setApiToken (m: TestMember, token: string): Promise<void> {
  const dir = nodeDir(m.dir)
  const config = JSON.parse(await readFile(dir.config, 'utf8')) as NodeConfigInput
  await saveNodeConfig(dir, { ...config, api: { ...config.api, token } })
}

async function memberRows (page: Page): Promise<Array<{ name: string, connected: string }>> {
  return await page.$$eval('#members tbody tr[data-member]', rows => rows.map(r => ({ name: r.getAttribute('data-member') ?? '', connected: r.getAttribute('data-connected') ?? '' })))
}

test('dashboard in Chromium: every member with health, the replicated list, a report round trip and its removal time; a node with an admin token asks for it', async () => {
  const root = await tempDir()
  const members = await createFederation(root, [{ name: 'EOKM', countries: ['NL'] }, { name: 'DE', countries: ['DE'] }, { name: 'GB', countries: ['GB'] }])
  const [nlM, deM, gbM] = members
  await setApiToken(gbM, GB_TOKEN)
  const [nl, de, gb] = await Promise.all(members.map(async m => {
    const { node } = await startMember(m)
    running.push(node)
    return node
  }))
  assert.ok(await waitFor(() => [nl, de, gb].every(n => n.members.connectedPeers().length === 2), 15_000), 'the three members connect')

  // a hash list published at EOKM reaches DE and GB
  const summary = await nl.hashLists.import({ format: 'lines' }, () => createReadStream(SAMPLE))
  assert.equal(summary.added, 24)
  assert.ok(await waitFor(() => [de, gb].every(n => n.hashLog.head(nlM.peerId)?.entries === 24), 15_000), 'the list replicates')

  // DE reports an NL-hosted address (RIPE's documented NL address; never contacted); EOKM handles it
  const report = await de.reports.submit({ url: 'http://example.test/x', ip: '193.0.6.139', hoster: HOSTER, media: 'image' })
  assert.equal(report.target, 'EOKM')
  assert.ok(await waitFor(async () => (await nl.reports.list({ direction: 'inbound' })).length === 1, 15_000), 'EOKM receives the report')
  await nl.reports.update(report.id, 'assessed')
  await nl.reports.update(report.id, 'removed', 'taken down by the hoster')
  assert.ok(await waitFor(async () => (await de.reports.show(report.id)).status === 'removed', 15_000), 'the removal reaches DE')

  // round-trip times are measured every 10 s; measure them now rather than wait
  for (const m of [nlM, gbM]) assert.notEqual(await de.members.ping(m.peerId), null)

  // the page itself is public; the API behind it keeps the token
  const page0 = await fetch(gb.adminUrl + '/')
  assert.equal(page0.status, 200)
  assert.match(page0.headers.get('content-security-policy') ?? '', /default-src 'none'/)
  assert.equal((await fetch(gb.adminUrl + '/v1/status')).status, 401)

  const { context, page, requests, problems } = await watchedPage({ viewport: { width: 1360, height: 900 }, colorScheme: 'light' })

  await page.goto(de.adminUrl + '/')
  // every member row, and the others connected: a missing member fails here
  const expected = ['DE', 'EOKM', 'GB']
  await page.waitForFunction((n) => document.querySelectorAll('#members tbody tr[data-member]').length >= n, expected.length, { timeout: 15_000 })
    .catch(() => {})
  const rows = await memberRows(page)
  assert.deepEqual(rows.map(r => r.name).sort(), expected, 'the page lists every member of the federation')
  assert.deepEqual(Object.fromEntries(rows.map(r => [r.name, r.connected])), { DE: 'self', EOKM: 'true', GB: 'true' })
  const rtt = await page.$$eval('#members tbody tr[data-connected="true"] td:nth-of-type(4)', cells => cells.map(c => c.textContent ?? ''))
  assert.ok(rtt.every(t => /\d+ ms/.test(t)), `round-trip times shown: ${rtt.join(', ')}`)

  // the replicated list and the report, with its removal and the chart bar of its hoster
  await page.waitForSelector(`#reports tr[data-report="${report.id}"]`, { timeout: 10_000 })
  const reportRow = await page.textContent(`#reports tr[data-report="${report.id}"]`) ?? ''
  assert.match(reportRow, /DE → EOKM/)
  assert.match(reportRow, /removed/)
  assert.match(reportRow, /example\.test/)
  assert.doesNotMatch(reportRow, /example\.test\/x/, 'only the host of the URL is shown')
  const origin = await page.textContent('#origins tr[data-origin="EOKM"]') ?? ''
  assert.match(origin, /24/)
  await page.waitForSelector('#removal-chart rect.bar-median', { timeout: 10_000 })
  assert.equal(await page.locator('#removal-chart rect.bar-median').count(), 1)
  assert.match(await page.textContent('#removal-chart') ?? '', new RegExp(HOSTER))
  assert.match(await page.textContent('#queues tr[data-queue="outbound"]') ?? '', /1/)
  assert.match(await page.textContent('#live') ?? '', /live/)

  // a peer outside the federation is refused, and the refusal shows up
  assert.match(await page.textContent('#refusals') ?? '', /No refusals/)
  const [outsiderM] = await createMembers(root, [{ name: 'OUTSIDER', countries: ['FR'] }])
  await addToFederation(outsiderM, [deM])
  const { node: outsider } = await startMember(outsiderM)
  running.push(outsider)
  assert.ok(await waitFor(() => de.components.refusals.counter.count('not-member') > 0, 15_000), 'DE refuses the outsider')
  await page.waitForSelector('#refusals li.event-warn', { timeout: 10_000 })
  assert.match(await page.textContent('#refusals') ?? '', new RegExp(`Inbound: ${outsiderM.peerId.slice(0, 8)}`))
  assert.match(await page.textContent('#card-refused') ?? '', /^[1-9]/)

  // live: a new report appears without reloading the page
  const second = await de.reports.submit({ url: 'http://second.example.test/y', country: 'NL', hoster: 'Other Host Ltd' })
  await page.waitForSelector(`#reports tr[data-report="${second.id}"]`, { timeout: 10_000 })

  await mkdir(resolve('test-artifacts'), { recursive: true })
  await page.screenshot({ path: SCREENSHOT, fullPage: true })
  const base = new URL(de.adminUrl).origin
  assert.deepEqual(requests.filter(u => !u.startsWith(base) && !u.startsWith('data:')), [], 'the page loads nothing from anywhere else')
  assert.deepEqual(problems, [])

  // GB's admin API wants a token: the page asks for it and keeps it in the tab
  const gbPage = await context.newPage()
  await gbPage.goto(gb.adminUrl + '/')
  await gbPage.waitForSelector('#token-form:not([hidden])', { timeout: 10_000 })
  assert.match(await gbPage.textContent('#live') ?? '', /token/)
  assert.equal(await gbPage.locator('#members tbody tr[data-member]').count(), 0)
  await gbPage.fill('#token-input', GB_TOKEN)
  await gbPage.click('#token-form button[type="submit"]')
  await gbPage.waitForFunction(() => document.querySelectorAll('#members tbody tr[data-member]').length === 3, undefined, { timeout: 10_000 })
  assert.deepEqual((await memberRows(gbPage)).map(r => r.name).sort(), expected)
  assert.equal(await gbPage.evaluate(() => sessionStorage.getItem('hashfed.adminToken')), GB_TOKEN)
})

test('dashboard in Chromium: a forked origin raises the alarm banner and the refused batch is listed', async () => {
  const { HostilePeer } = await import('../helpers/hostile-peer.js')
  const { buildBatch } = await import('../../src/log/batch.js')
  const { entryToProto } = await import('../../src/log/entry-codec.js')
  const { randomAdds } = await import('../helpers/hashes.js')
  const root = await tempDir()
  const members = await createFederation(root, [{ name: 'EOKM', countries: ['NL'] }, { name: 'DE', countries: ['DE'] }, { name: 'FR', countries: ['FR'] }])
  const [nlM, deM, frM] = members
  const { node: nl } = await startMember(nlM)
  running.push(nl)
  await nl.hashLog.append(nl.ctx.identity, randomAdds(10))
  // EOKM's key signs a second, different batch 1 (equivocation); a peer holding FR's key serves it
  const other = buildBatch({ identity: nl.ctx.identity, seq: 1, prevHash: new Uint8Array(), entries: randomAdds(10).map(e => entryToProto(e as never)) })
  // DE first holds EOKM's own batch 1, so the batch FR serves is the one refused
  const { node: de } = await startMember(deM)
  running.push(de)
  assert.ok(await waitFor(() => (de.hashLog.head(nlM.peerId)?.seq ?? 0) === 1, 15_000), 'DE holds EOKM\'s batch 1')
  const hostile = await HostilePeer.start({ member: frM, batches: new Map([[nlM.peerId, [other.signed]]]) })
  await publishPeer(frM, hostile)
  stops.push(async () => await hostile.stop())
  await hostile.session(deM)
  assert.ok(await waitFor(async () => (await de.hashLog.forks()).length === 1, 15_000), 'DE keeps the fork evidence')

  const page = await (await (await launchBrowser()).newContext({ viewport: { width: 1360, height: 900 } })).newPage()
  await page.goto(de.adminUrl + '/')
  await page.waitForSelector('#alarms:not([hidden])', { timeout: 10_000 })
  assert.match(await page.textContent('#alarms') ?? '', /Fork alarm: origin EOKM signed two different batches with sequence number 1/)
  await page.waitForSelector('#rejections li.event-bad', { timeout: 10_000 })
  assert.match(await page.textContent('#rejections li.event-bad') ?? '', /Fork: EOKM signed two different batches with sequence number 1.*came through FR/)
  await page.waitForFunction(() => document.querySelector('#rejections')?.textContent?.includes('Sync: refused data from FR (origin EOKM)') === true, undefined, { timeout: 10_000 })
  assert.deepEqual((await memberRows(page)).map(r => r.name).sort(), ['DE', 'EOKM', 'FR'])
  await mkdir(resolve('test-artifacts'), { recursive: true })
  await page.screenshot({ path: resolve('test-artifacts/dashboard-alarm.png'), fullPage: true })
})
