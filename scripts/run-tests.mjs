#!/usr/bin/env node
// Runs compiled tests with Node's built-in runner. Node 20's `--test` takes no globs, so the
// file list is made here. Usage: node scripts/run-tests.mjs [dir|file ...] (default: unit and e2e).
import { readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { spawnSync } from 'node:child_process'
import { prepare, SetupError } from './test-setup.mjs'

const roots = process.argv.slice(2)
const targets = roots.length > 0 ? roots : ['dist/test/unit', 'dist/test/e2e']

function collect (path, out) {
  let st
  try { st = statSync(path) } catch { return }
  if (st.isDirectory()) for (const name of readdirSync(path).sort()) collect(join(path, name), out)
  else if (path.endsWith('.test.js')) out.push(path)
}

const files = []
for (const t of targets) collect(t, files)
if (files.length === 0) {
  console.error(`no test files under ${targets.join(', ')}`)
  process.exit(1)
}
let env
try {
  env = { ...process.env, ...await prepare(files) }
} catch (err) {
  if (!(err instanceof SetupError)) throw err
  console.error(`npm test: ${err.message}`)
  process.exit(1)
}
const concurrency = process.env.HASHFED_TEST_CONCURRENCY ?? '2'
const res = spawnSync(process.execPath, ['--import', './dist/src/polyfill.js', '--test', `--test-concurrency=${concurrency}`, ...files], { stdio: 'inherit', env })
process.exit(res.status ?? 1)
