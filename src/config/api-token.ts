import { randomBytes } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { hfError, ErrorCodes } from '../errors.js'
import { isLoopback } from '../util/loopback.js'
import { saveNodeConfig, type NodeConfigInput } from './node-config.js'
import type { NodeDir } from './node-dir.js'

/** 32 random bytes, base64url: 43 characters, well above the config's minimum of 16. */
export function generateApiToken (): string {
  return randomBytes(32).toString('base64url')
}

export interface ApiAccessChange {
  /** a new token, or null to remove it; undefined leaves it as it is */
  token?: string | null
  host?: string
}

/**
 * Changes `api.host` / `api.token` in a node's config file. A config whose admin API listens
 * off loopback without a token is refused here, before it is written (saveNodeConfig writes a
 * config holding a token with mode 0600).
 */
export async function changeApiAccess (dir: NodeDir, change: ApiAccessChange): Promise<{ host: string, token: boolean }> {
  let raw: NodeConfigInput
  try {
    raw = JSON.parse(await readFile(dir.config, 'utf8')) as NodeConfigInput
  } catch (err) {
    throw hfError(ErrorCodes.INVALID_CONFIG, `${dir.config}: cannot read the config: ${(err as Error).message}`, { file: dir.config }, err)
  }
  const api = { ...raw.api }
  if (change.host !== undefined) api.host = change.host
  if (change.token === null) delete api.token
  else if (change.token !== undefined) api.token = change.token
  const host = api.host ?? '127.0.0.1'
  if (!isLoopback(host) && api.token === undefined) {
    throw hfError(ErrorCodes.INVALID_CONFIG, `the admin API may listen on ${host} only with a token; keep the token or set the host back to 127.0.0.1 first`)
  }
  await saveNodeConfig(dir, { ...raw, api })
  return { host, token: api.token !== undefined }
}
