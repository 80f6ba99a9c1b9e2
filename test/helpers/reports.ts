import { readFile } from 'node:fs/promises'
import { nodeDir } from '../../src/config/node-dir.js'
import { saveNodeConfig, type NodeConfigInput } from '../../src/config/node-config.js'
import type { Store } from '../../src/store/store.js'
import type { TestMember } from './federation.js'

/** Merges `reports` settings into a member's config file (before it starts). */
export async function setReportsConfig (m: TestMember, reports: Partial<NonNullable<NodeConfigInput['reports']>>): Promise<void> {
  const dir = nodeDir(m.dir)
  const config = JSON.parse(await readFile(dir.config, 'utf8')) as NodeConfigInput
  await saveNodeConfig(dir, { ...config, reports: { ...(config.reports ?? {}), ...reports } as NodeConfigInput['reports'] })
}

/**
 * Every key and value in the whole LevelDB (all sublevels), as raw bytes: what a test scans
 * to prove a store holds nothing of a report.
 */
export async function storeHolds (store: Store, needles: string[]): Promise<string[]> {
  const wanted = needles.map(n => Buffer.from(n, 'utf8'))
  const found = new Set<string>()
  let rows = 0
  for await (const [key, value] of store.db.iterator({ keyEncoding: 'buffer', valueEncoding: 'buffer' }) as AsyncIterable<[Buffer, Buffer]>) {
    rows++
    wanted.forEach((w, i) => { if (key.includes(w) || value.includes(w)) found.add(needles[i]) })
  }
  if (rows === 0) throw new Error('storeHolds: the store is empty, the scan proves nothing')
  return [...found]
}
