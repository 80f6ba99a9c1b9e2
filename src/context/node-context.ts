import { loadNodeConfig, federationPath, type NodeConfig } from '../config/node-config.js'
import { loadFederation } from '../config/federation.js'
import { nodeDir, type NodeDir } from '../config/node-dir.js'
import { loadKeyFile } from '../identity/key-file.js'
import type { Identity } from '../identity/identity.js'
import { Store } from '../store/store.js'
import { hfError, ErrorCodes } from '../errors.js'
import { FederationView } from './federation-view.js'

/** Everything a node folder holds, opened: what both the running node and offline CLI commands use. */
export interface NodeContext {
  dir: NodeDir
  config: NodeConfig
  identity: Identity
  federation: FederationView
  store: Store
}

export async function loadNodeFiles (dirPath: string): Promise<Omit<NodeContext, 'store'>> {
  const dir = nodeDir(dirPath)
  const config = await loadNodeConfig(dir)
  const identity = await loadKeyFile(dir.key)
  const fedFile = await loadFederation(federationPath(dir, config))
  const self = identity.peerId.toString()
  const own = fedFile.members.find(m => m.peerId === self)
  if (own === undefined) {
    throw hfError(ErrorCodes.INVALID_FEDERATION, `${federationPath(dir, config)}: this node (${self}) is not a member; add it with: hashfed federation add --dir ${dir.root} --name ${config.name} --peer-id ${self} --country ${config.countries.join(',')}`)
  }
  return { dir, config, identity, federation: new FederationView(fedFile, self) }
}

export async function openNodeContext (dirPath: string): Promise<NodeContext> {
  const files = await loadNodeFiles(dirPath)
  const store = await Store.open(files.dir.store)
  return { ...files, store }
}
