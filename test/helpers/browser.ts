import { access } from 'node:fs/promises'
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions, type Page } from 'playwright-core'

/** scripts/test-setup.mjs provides the browser (npm test sets HASHFED_CHROMIUM); the background flags keep it off the closed network. */
const CHROMIUM = process.env.HASHFED_CHROMIUM ?? '/usr/bin/chromium'
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync']

let browser: Browser | undefined

/** One headless Chromium per test file, started on first use. */
export async function launchBrowser (): Promise<Browser> {
  await access(CHROMIUM).catch(() => { throw new Error(`${CHROMIUM} is missing: run the tests with scripts/run-tests.mjs (npm test), which provides one, or set HASHFED_CHROMIUM`) })
  browser ??= await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true })
  return browser
}

export async function closeBrowser (): Promise<void> {
  await browser?.close()
  browser = undefined
}

/** A page in a new context that records every URL it requests and every script error it shows. */
export async function watchedPage (options: BrowserContextOptions): Promise<{ context: BrowserContext, page: Page, requests: string[], problems: string[] }> {
  const context = await (await launchBrowser()).newContext(options)
  const page = await context.newPage()
  const requests: string[] = []
  const problems: string[] = []
  page.on('request', r => requests.push(r.url()))
  page.on('pageerror', e => problems.push(`page error: ${e.message}`))
  page.on('console', m => { if (m.type() === 'error') problems.push(`console: ${m.text()}`) })
  return { context, page, requests, problems }
}
