import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { mkdir, writeFile, copyFile } from 'node:fs/promises'
import { dirname, join, resolve } from 'node:path'
import { tempDir } from '../helpers/temp-dir.js'

const script = resolve('scripts/check-architecture.mjs')

function check (root: string): Promise<{ code: number, out: string }> {
  return new Promise((done) => {
    execFile(process.execPath, [script, root], (err, stdout, stderr) => done({ code: err === null ? 0 : (err.code as number), out: stdout + stderr }))
  })
}

/** A project with this repo's layer table and the given source files. */
async function project (files: Record<string, string>): Promise<string> {
  const root = await tempDir('hashfed-arch-')
  await mkdir(join(root, 'docs'))
  await copyFile(resolve('docs/ARCHITECTURE.md'), join(root, 'docs/ARCHITECTURE.md'))
  for (const [path, text] of Object.entries(files)) {
    await mkdir(dirname(join(root, 'src', path)), { recursive: true })
    await writeFile(join(root, 'src', path), text)
  }
  return root
}

test('the architecture check passes on this repository', async () => {
  const res = await check(resolve('.'))
  assert.equal(res.code, 0, res.out)
  assert.match(res.out, /no cycle, layer order kept/)
})

test('the architecture check fails on an import cycle, also through type-only and dynamic imports', async () => {
  const root = await project({
    'log/a.ts': "import type { B } from './b.js'\nexport type A = B\n",
    'log/b.ts': "export type B = number\nexport const load = async () => await import('./c.js')\n",
    'log/c.ts': "import {\n  type A\n} from './a.js'\nexport const c: A | undefined = undefined\n"
  })
  const res = await check(root)
  assert.equal(res.code, 1, res.out)
  assert.match(res.out, /import cycle: src\/log\/[abc]\.ts -> src\/log\/[abc]\.ts -> src\/log\/[abc]\.ts/)
})

test('the architecture check fails on an import that goes up the layer table, and on a folder the table does not name', async () => {
  const root = await project({
    'store/store.ts': "import { run } from '../cli/main.js'\nexport const s = run\n",
    'cli/main.ts': 'export const run = 1\n',
    'stray/x.ts': 'export const x = 1\n'
  })
  const res = await check(root)
  assert.equal(res.code, 1, res.out)
  assert.match(res.out, /src\/store\/store\.ts imports src\/cli\/main\.ts: store \(layer 1\) may not import cli/)
  assert.match(res.out, /folder stray is not in the Layers table/)
})
