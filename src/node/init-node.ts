import { mkdir, access } from 'node:fs/promises'
import { multiaddr } from '@multiformats/multiaddr'
import { nodeDir } from '../config/node-dir.js'
import { CONFIG_VERSION, parseNodeConfig, saveNodeConfig, type NodeConfigInput } from '../config/node-config.js'
import { FEDERATION_VERSION, saveFederation } from '../config/federation.js'
import { createKeyFile } from '../identity/key-file.js'
import { Store } from '../store/store.js'
import { hfError, ErrorCodes } from '../errors.js'

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
  /** addresses other members dial; @default the listen addresses, 0.0.0.0 read as 127.0.0.1 */
  announce?: string[]
}

export interface InitNodeResult {
  dir: string
  peerId: string
  listen: string[]
  announce: string[]
  apiPort: number
}

/** Creates a node folder: identity key (0600), config, a federation file naming only us, an empty store. */
export async function initNode (init: InitNodeInit): Promise<InitNodeResult> {
  const dir = nodeDir(init.dir)
  for (const existing of [dir.key, dir.config]) {
    if (await access(existing).then(() => true, () => false)) {
      throw hfError(ErrorCodes.NODE_EXISTS, `${dir.root} already holds a hashfed node (${existing}); refusing to overwrite its identity. Use another --dir`)
    }
  }
  const listen = init.listen ?? [DEFAULT_LISTEN]
  const config: NodeConfigInput = {
    version: CONFIG_VERSION,
    name: init.name,
    countries: init.countries,
    listen,
    federationFile: 'federation.json',
    api: { host: '127.0.0.1', port: init.apiPort ?? DEFAULT_API_PORT },
    check: { host: '127.0.0.1', port: init.checkPort ?? DEFAULT_CHECK_PORT }
  }
  parseNodeConfig(config, dir.config) // validate before anything is written
  await mkdir(dir.root, { recursive: true, mode: 0o700 })
  const identity = await createKeyFile(dir.key)
  const peerId = identity.peerId.toString()
  const announce = init.announce ?? listen.map(a => a.replace('/ip4/0.0.0.0/', '/ip4/127.0.0.1/').replace('/ip6/::/', '/ip6/::1/'))
  announce.forEach(a => multiaddr(a))
  await saveNodeConfig(dir, config)
  await saveFederation(dir.federation, {
    version: FEDERATION_VERSION,
    name: 'hashfed federation',
    members: [{ name: init.name, peerId, countries: config.countries, addresses: announce }]
  })
  const store = await Store.open(dir.store, { create: true })
  await store.close()
  return { dir: dir.root, peerId, listen, announce, apiPort: config.api.port }
}
