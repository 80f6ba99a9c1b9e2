import { readFile, rm } from 'node:fs/promises'
import type { NodeDir } from '../config/node-dir.js'

/** What a running node tells CLI commands about itself (the admin token is not in here). */
export interface RuntimeInfo {
  pid: number
  peerId: string
  /** the libp2p addresses it listens on, real ports (a configured port 0 is resolved here) */
  listen: string[]
  adminUrl: string
  checkUrl?: string
  startedAt: string
}

export async function writeRuntime (dir: NodeDir, info: RuntimeInfo): Promise<void> {
  // loaded here: readers (every CLI command) should not pay for the config schema
  const { writeJsonAtomic } = await import('../config/node-config.js')
  await writeJsonAtomic(dir.runtime, info, 0o600)
}

export async function removeRuntime (dir: NodeDir): Promise<void> {
  await rm(dir.runtime, { force: true })
}

/** The runtime info of a node that is alive, or null (a stale file of a killed node is ignored). */
export async function readLiveRuntime (dir: NodeDir): Promise<RuntimeInfo | null> {
  let info: RuntimeInfo
  try {
    info = JSON.parse(await readFile(dir.runtime, 'utf8')) as RuntimeInfo
  } catch {
    return null
  }
  try {
    process.kill(info.pid, 0)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return null
  }
  return info
}
