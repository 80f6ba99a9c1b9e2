import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { FastifyInstance, FastifyReply } from 'fastify'
import type {} from '@fastify/swagger' // its `schema.hide` keeps these routes out of /openapi.json
import { hfError, ErrorCodes } from '../../errors.js'

/**
 * The files of the web dashboard, by URL path. A fixed list rather than a static-file server:
 * nothing outside it can be asked for, so there is no path to traverse.
 */
const FILES: Record<string, { file: string, type: string }> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/dashboard/dashboard.css': { file: 'dashboard.css', type: 'text/css; charset=utf-8' },
  '/dashboard/dashboard.js': { file: 'dashboard.js', type: 'text/javascript; charset=utf-8' },
  // the workbench's views (one module per area; see workbench.js)
  ...Object.fromEntries(['workbench', 'wb-common', 'wb-reports', 'wb-disputes', 'wb-admin', 'wb-hoster'].map(name =>
    [`/dashboard/${name}.js`, { file: `${name}.js`, type: 'text/javascript; charset=utf-8' }]))
}

/**
 * Only our own files, no inline code, no other origin: the page shows report data, so a
 * string that slipped into the DOM must not be able to run or send anything anywhere.
 */
const SECURITY_HEADERS = {
  'content-security-policy': "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-cache'
}

/**
 * The dashboard ships as plain files in `src/api/dashboard/` (no build step). Compiled code
 * runs from `dist/src/api/routes/`, so the folder is looked up beside this file first (a
 * copy, or a run from source) and then in the package's `src/`.
 */
export function dashboardFolder (): string {
  const here = dirname(fileURLToPath(import.meta.url))
  const candidates = [join(here, '..', 'dashboard'), join(here, '..', '..', '..', '..', 'src', 'api', 'dashboard')]
  return candidates.find(dir => existsSync(join(dir, 'index.html'))) ?? candidates[candidates.length - 1]
}

export interface DashboardRoutesInit {
  /** @default dashboardFolder() */
  folder?: string
}

/**
 * GET / and its two assets. These routes are public (`config.public`): the page holds no data
 * and a browser cannot send a bearer token when it navigates, so the page asks for the token
 * itself and sends it with every API call.
 */
export function registerDashboardRoutes (app: FastifyInstance, init: DashboardRoutesInit = {}): void {
  const folder = init.folder ?? dashboardFolder()
  for (const [path, { file, type }] of Object.entries(FILES)) {
    app.get(path, { config: { public: true }, schema: { hide: true } }, async (_req, reply) => await sendFile(reply, join(folder, file), type))
  }
}

async function sendFile (reply: FastifyReply, path: string, type: string): Promise<FastifyReply> {
  let body: Buffer
  try {
    body = await readFile(path)
  } catch (err) {
    throw hfError(ErrorCodes.INTERNAL, `the dashboard file ${path} is missing from this installation`, undefined, err)
  }
  return await reply.headers(SECURITY_HEADERS).type(type).send(body)
}
