// What the tests need beyond `npm ci`, obtained before they run (run-tests.mjs calls prepare()):
// - a headless Chromium for the dashboard test: the binary shipped brotli-compressed inside the
//   @sparticuz/chromium dev dependency, unpacked once into node_modules/.cache; HASHFED_CHROMIUM
//   overrides it.
// - promtool for the /metrics lint: no npm package ships it or lints the exposition format the
//   same way, so as root with apt-get it installs Debian's `prometheus` package.
// Anything that cannot be obtained stops the run at once with one line saying what to install.
import { createReadStream, createWriteStream, existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { spawnSync } from 'node:child_process'
import { createBrotliDecompress } from 'node:zlib'
import { pipeline } from 'node:stream/promises'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..')

/** Which test files need which tool (file name -> tools). */
const NEEDS = {
  'dashboard.test.js': ['chromium'],
  'workbench.test.js': ['chromium'],
  'operator-metrics.test.js': ['promtool']
}

class SetupError extends Error {}

function onPath (cmd) {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0
}

function works (exe, args) {
  const res = spawnSync(exe, args, { stdio: 'ignore', timeout: 60_000 })
  return res.status === 0
}

/** The path of Chromium to drive, unpacking the npm-shipped build on first use. */
async function chromium () {
  const given = process.env.HASHFED_CHROMIUM
  if (given !== undefined && given !== '') {
    if (!existsSync(given)) throw new SetupError(`HASHFED_CHROMIUM=${given} does not exist`)
    return given
  }
  const pkgDir = join(ROOT, 'node_modules', '@sparticuz', 'chromium')
  const packed = join(pkgDir, 'bin', 'chromium.br')
  if (process.platform === 'linux' && process.arch === 'x64' && existsSync(packed)) {
    const { version } = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'))
    const dir = join(ROOT, 'node_modules', '.cache', 'hashfed-chromium', version)
    const exe = join(dir, 'chromium')
    if (!existsSync(exe)) {
      mkdirSync(dir, { recursive: true })
      // unpack to a private name, then rename: a run stopped half-way never leaves a truncated binary
      const part = `${exe}.${process.pid}.part`
      try {
        await pipeline(createReadStream(packed), createBrotliDecompress(), createWriteStream(part, { mode: 0o755 }))
        renameSync(part, exe)
      } finally {
        rmSync(part, { force: true })
      }
    }
    if (works(exe, ['--headless', '--no-sandbox', '--version'])) return exe
  }
  for (const name of ['chromium', 'chromium-browser']) {
    if (onPath(name)) return spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).stdout.trim()
  }
  aptInstall('chromium', 'a headless Chromium (Debian package "chromium", or set HASHFED_CHROMIUM)')
  return '/usr/bin/chromium'
}

function promtool () {
  if (onPath('promtool')) return
  aptInstall('prometheus', 'promtool (Debian package "prometheus")')
}

/** Installs a Debian package when root with apt-get; otherwise says what to install and stops. */
function aptInstall (pkg, what) {
  const root = typeof process.getuid === 'function' && process.getuid() === 0
  if (!root || !onPath('apt-get')) throw new SetupError(`the tests need ${what}: install it, e.g. apt-get install ${pkg}`)
  console.error(`test setup: installing ${pkg} with apt-get (needed for ${what})`)
  // wait for another apt run's lock rather than failing at once
  const opts = ['-qq', '-o', 'DPkg::Lock::Timeout=300']
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }
  const update = spawnSync('apt-get', ['update', ...opts], { stdio: ['ignore', 'ignore', 'inherit'], env })
  const install = update.status === 0
    ? spawnSync('apt-get', ['install', '-y', ...opts, '--no-install-recommends', pkg], { stdio: ['ignore', 'ignore', 'inherit'], env })
    : update
  if (install.status !== 0) throw new SetupError(`the tests need ${what}: "apt-get install ${pkg}" failed, install it by hand`)
}

/**
 * Obtains what the given test files need; returns the environment additions for the test run.
 * Throws SetupError with a one-line message when something cannot be obtained.
 */
export async function prepare (files) {
  const tools = new Set(files.flatMap(f => NEEDS[f.split('/').pop()] ?? []))
  const env = {}
  if (tools.has('chromium')) env.HASHFED_CHROMIUM = await chromium()
  if (tools.has('promtool')) promtool()
  return env
}

export { SetupError }
