import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const made: string[] = []
// at process exit, not in an `after` hook: a hook-scoped cleanup would delete folders still
// used by nodes that a `before` hook started
process.once('exit', () => { for (const dir of made) rmSync(dir, { recursive: true, force: true }) })

/** A fresh folder under the OS temp dir, removed when the test process ends. */
export async function tempDir (prefix = 'hashfed-test-'): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  made.push(dir)
  return dir
}
