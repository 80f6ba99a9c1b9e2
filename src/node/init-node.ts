import { mkdir, access, chmod } from 'node:fs/promises'
import { multiaddr } from '@multiformats/multiaddr'
import { nodeDir } from '../config/node-dir.js'
import { CONFIG_VERSION, parseNodeConfig, saveNodeConfig, type NodeConfigInput } from '../config/node-config.js'
import { FEDERATION_VERSION, loadFederation, saveFederation, withMember, type FederationFile } from '../config/federation.js'
import { createKeyFile } from '../identity/key-file.js'
import { Store } from '../store/store.js'
import { hfError, ErrorCodes } from '../errors.js'
import { isLoopback } from '../util/loopback.js'
import { generateApiToken } from '../config/api-token.js'
import { auditLogOf, cliActor } from '../audit/audit-log.js'
import { makePrivate, PRIVATE_DIR_MODE, usePrivateFileMode } from '../util/private-files.js'

export const DEFAULT_LISTEN = '/ip4/0.0.0.0/tcp/4001'
export const DEFAULT_API_PORT = 8480
export const DEFAULT_CHECK_PORT = 8481

export interface InitNodeInit {
  dir: string
  name: string
  countries: string[]
  /** @default ['/ip4/0.0.0.0/tcp/4001'] */
  listen?: string[]
  /** @default 8480 */
  apiPort?: number
  /** @default 8481 */
  checkPort?: number
  /** check API address (hosters reach it; every request needs a check token) @default '127.0.0.1' */
  checkHost?: string
  /** addresses other members dial; @default the listen addresses, 0.0.0.0 read as 127.0.0.1 (which needs `local`) */
  announce?: string[]
  /**
   * Allows an announce address on loopback or 0.0.0.0/:: (a federation on one machine: demos,
   * tests). Otherwise such an address is refused: no other member could dial it.
   */
  local?: boolean
  /** admin API address; off loopback a token is generated into the config @default '127.0.0.1' */
  apiHost?: string
  /**
   * Makes a read-only mirror of this member (no countries; it publishes nothing and serves the
   * check API). Needs `federationFile`: the member's federation file, copied in with the
   * mirror added.
   */
  mirrorOf?: string
  /** federation file to start from (required with `mirrorOf`) */
  federationFile?: string
}

export interface InitNodeResult {
  dir: string
  peerId: string
  listen: string[]
  announce: string[]
  apiPort: number
  apiHost: string
  /** generated when `apiHost` is not loopback: shown to the operator once, kept in config.json (0600) */
  apiToken?: string
  /** set for a mirror */
  mirrorOf?: string
  /** a member's recovery key: its public half (in the federation entry) and the file the operator moves offline */
  recoveryKey?: string
  recoveryKeyFile?: string
}

/** Creates a node folder (0700, every file in it 0600): identity key, config, a federation file naming only us, an empty store. */
export async function initNode (init: InitNodeInit): Promise<InitNodeResult> {
  const dir = nodeDir(init.dir)
  for (const existing of [dir.key, dir.config]) {
    if (await access(existing).then(() => true, () => false)) {
      throw hfError(ErrorCodes.NODE_EXISTS, `${dir.root} already holds a hashfed node (${existing}); refusing to overwrite its identity. Use another --dir`)
    }
  }
  const base = await mirrorBase(init)
  const listen = init.listen ?? [DEFAULT_LISTEN]
  // a port-0 listen address is only known once the node runs (`hashfed status`, runtime.json): not announced
  const announce = init.announce ?? listen.filter(a => !/\/tcp\/0(\/|$)/.test(a)).map(a => a.replace('/ip4/0.0.0.0/', '/ip4/127.0.0.1/').replace('/ip6/::/', '/ip6/::1/'))
  announce.forEach(a => multiaddr(a))
  if (init.local !== true) refuseUnreachableAnnounce(announce, init.announce === undefined)
  const apiHost = init.apiHost ?? '127.0.0.1'
  const apiToken = isLoopback(apiHost) ? undefined : generateApiToken()
  const config: NodeConfigInput = {
    version: CONFIG_VERSION,
    name: init.name,
    countries: init.countries,
    listen,
    federationFile: 'federation.json',
    api: { host: apiHost, port: init.apiPort ?? DEFAULT_API_PORT, ...(apiToken !== undefined ? { token: apiToken } : {}) },
    check: { host: init.checkHost ?? '127.0.0.1', port: init.checkPort ?? DEFAULT_CHECK_PORT },
    ...(base !== null ? { mirrorOf: base.mirrorOf } : {})
  }
  parseNodeConfig(config, dir.config) // validate before anything is written
  // owner-only, also when the folder existed (a Docker volume, a `mkdir` with umask 022)
  usePrivateFileMode()
  await mkdir(dir.root, { recursive: true, mode: PRIVATE_DIR_MODE })
  await chmod(dir.root, PRIVATE_DIR_MODE)
  const identity = await createKeyFile(dir.key)
  const peerId = identity.peerId.toString()
  // the recovery key revokes a stolen signing key: made here, moved offline by the operator
  const recovery = base === null ? await createKeyFile(dir.recoveryKey) : null
  const recoveryKey = recovery?.peerId.toString()
  await saveNodeConfig(dir, config)
  const self = { name: init.name, peerId, countries: config.countries, addresses: announce, ...(base !== null ? { mirrorOf: base.mirrorOf } : {}), ...(recoveryKey !== undefined ? { recoveryKey } : {}) }
  await saveFederation(dir.federation, base !== null
    ? withMember(base.federation, self)
    : { version: FEDERATION_VERSION, name: 'hashfed federation', members: [self] })
  const store = await Store.open(dir.store, { create: true })
  try {
    await auditLogOf(store).record('node.init', { name: init.name, countries: config.countries, apiHost, tokenGenerated: apiToken !== undefined }, cliActor())
  } finally {
    await store.close()
  }
  // what we made is private even where an older folder or a copied-in file said otherwise
  for (const path of [dir.key, dir.config, dir.federation, dir.store, ...(recovery !== null ? [dir.recoveryKey] : [])]) await makePrivate(path)
  return { dir: dir.root, peerId, ...(recoveryKey !== undefined ? { recoveryKey, recoveryKeyFile: dir.recoveryKey } : {}), listen, announce, apiPort: config.api.port, apiHost, ...(apiToken !== undefined ? { apiToken } : {}), ...(base !== null ? { mirrorOf: base.mirrorOf } : {}) }
}

/** For a mirror: the member's federation file, checked before anything is written. */
async function mirrorBase (init: InitNodeInit): Promise<{ mirrorOf: string, federation: FederationFile } | null> {
  if (init.mirrorOf === undefined) {
    if (init.federationFile !== undefined) throw hfError(ErrorCodes.INVALID_ARGUMENT, '--federation is for mirrors (with --mirror-of); a member starts with a federation naming only itself')
    return null
  }
  if (init.countries.length > 0) throw hfError(ErrorCodes.INVALID_ARGUMENT, 'a mirror covers no countries (its member does): leave out --country')
  if (init.federationFile === undefined) throw hfError(ErrorCodes.INVALID_ARGUMENT, 'a mirror needs its member\'s federation file: --federation FILE')
  const federation = await loadFederation(init.federationFile)
  const member = federation.members.find(m => m.name.toLowerCase() === (init.mirrorOf as string).toLowerCase())
  if (member === undefined || member.mirrorOf !== undefined) throw hfError(ErrorCodes.INVALID_FEDERATION, `${init.federationFile} has no member "${init.mirrorOf}" to mirror (a hotline, not another mirror)`)
  if (federation.members.some(m => m.name.toLowerCase() === init.name.toLowerCase())) throw hfError(ErrorCodes.INVALID_ARGUMENT, `${init.federationFile} already has a member named "${init.name}": pick another --name for the mirror`)
  return { mirrorOf: member.name, federation }
}

const LOCAL_HOST = /^\/(?:ip4\/(?:127\.\d+\.\d+\.\d+|0\.0\.0\.0)|ip6\/(?:::1?|0:0:0:0:0:0:0:[01])|dns[46]?\/localhost)(?:\/|$)/i

/** An address only this machine can dial is useless to the other members; `--local` allows it. */
function refuseUnreachableAnnounce (announce: readonly string[], derived: boolean): void {
  const local = announce.find(a => LOCAL_HOST.test(a))
  if (local === undefined) return
  const port = /\/tcp\/(\d+)/.exec(local)?.[1] ?? '4001'
  throw hfError(ErrorCodes.INVALID_ARGUMENT,
    `the announce address ${local}${derived ? ' (derived from the listen address)' : ''} is on loopback or 0.0.0.0: no other member can dial it. ` +
    `Give the address they reach this machine at, e.g. --announce /ip4/<public address>/tcp/${port} or /dns4/<host name>/tcp/${port}; or --local for a federation on this machine only`,
    { field: 'announce', address: local })
}
