import { readFile } from 'node:fs/promises'
import { setTimeout as sleep } from 'node:timers/promises'
import { nodeDir, type NodeDir } from '../config/node-dir.js'
import { isHashfedError, ErrorCodes } from '../errors.js'
import type { NodeContext } from '../context/node-context.js'
import { readLiveRuntime } from '../context/runtime-file.js'
import { AdminClient } from './admin-client.js'

export interface NodeAccess<T> {
  /** the node runs: go through its admin API */
  remote: (client: AdminClient) => Promise<T>
  /** it does not: open the folder's store ourselves */
  local: (ctx: NodeContext) => Promise<T>
}

/**
 * LevelDB admits one process, so a command on a node folder goes through the running node's
 * admin API when there is one and opens the store itself otherwise. A node that starts or stops
 * while we decide shows up as a lock; we then look again instead of showing the lock error.
 */
export async function withNode<T> (dirPath: string, access: NodeAccess<T>): Promise<T> {
  const dir = nodeDir(dirPath)
  for (let attempt = 0; ; attempt++) {
    const runtime = await readLiveRuntime(dir)
    if (runtime !== null) return await access.remote(new AdminClient(runtime.adminUrl, await apiToken(dir)))
    // only a command on a stopped node pays for the store, the schemas and the node's modules
    const { openNodeContext } = await import('../context/node-context.js')
    let ctx: NodeContext
    try {
      ctx = await openNodeContext(dirPath)
    } catch (err) {
      if (isHashfedError(err, ErrorCodes.STORE_UNAVAILABLE) && err.details?.locked === true && attempt < 50) {
        await sleep(200)
        continue
      }
      throw err
    }
    try {
      return await access.local(ctx)
    } finally {
      await ctx.store.close()
    }
  }
}

/**
 * The admin token of a running node's config. The node validated the whole file when it started;
 * a command that only talks to it reads the one field, so it starts without the config schema.
 */
async function apiToken (dir: NodeDir): Promise<string | undefined> {
  try {
    const token = (JSON.parse(await readFile(dir.config, 'utf8')) as { api?: { token?: unknown } }).api?.token
    return typeof token === 'string' ? token : undefined
  } catch {
    // unreadable now: the node's own check answers (HF_UNAUTHORIZED when it wants a token)
    return undefined
  }
}
