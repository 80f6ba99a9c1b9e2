import { join, resolve } from 'node:path'

/** Files of a node folder. One place, so no module guesses a path. */
export interface NodeDir {
  root: string
  /** Ed25519 identity key (libp2p protobuf encoding), mode 0600 */
  key: string
  /** node config (JSON) */
  config: string
  /** default federation file (JSON); the config may point elsewhere */
  federation: string
  /** LevelDB folder */
  store: string
  /** written by a running node: pid and admin API address, removed on clean stop */
  runtime: string
  /** hash lists uploaded to the admin API, held (0600) only while they are imported */
  uploads: string
}

export function nodeDir (dir: string): NodeDir {
  const root = resolve(dir)
  return {
    root,
    key: join(root, 'identity.key'),
    config: join(root, 'config.json'),
    federation: join(root, 'federation.json'),
    store: join(root, 'store'),
    runtime: join(root, 'runtime.json'),
    uploads: join(root, 'uploads')
  }
}
