import { stat } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { hfError, ErrorCodes } from '../errors.js'

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
  /** the origin's signing keys after a rotation or revocation (`signing-<peer id>.key`, 0600) */
  signingKeys: string
  /** the recovery key `init` makes: the operator moves it offline (README "Key lifecycle") */
  recoveryKey: string
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
    uploads: join(root, 'uploads'),
    signingKeys: join(root, 'keys'),
    recoveryKey: join(root, 'recovery.key')
  }
}

/**
 * Refuses a node folder other users can read, write or enter (any group or other bit): it
 * holds reported URLs, the identity key and the store. Only the folder itself is looked at:
 * with it at 0700 nobody else reaches anything inside, whatever the files' own modes.
 * We refuse rather than fix: a folder that was open may already have been read, and whoever
 * opened it (a shared group, a backup job) should decide. `init` makes folders private itself.
 */
export async function assertPrivateNodeDir (dir: NodeDir): Promise<void> {
  const st = await stat(dir.root).catch((err: NodeJS.ErrnoException) => { if (err.code === 'ENOENT') return null; throw err })
  if (st === null) return // no folder: opening the node says so
  const mode = st.mode & 0o777
  if ((mode & 0o077) !== 0) {
    throw hfError(ErrorCodes.INSECURE_PERMISSIONS,
      `${dir.root} is open to other users (mode ${mode.toString(8).padStart(4, '0')}); it holds reported URLs and the node's key. Make it private and start again: chmod -R go= ${dir.root}`,
      { dir: dir.root, mode: mode.toString(8) })
  }
}
