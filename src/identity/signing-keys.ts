import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { hfError, ErrorCodes } from '../errors.js'
import { generateIdentityKey, identityFromKeyBytes, type Identity } from './identity.js'
import { KEY_FILE_MODE } from './key-file.js'

/**
 * An origin's signing keys after its genesis key: one file per key in the node's `keys`
 * folder, named by the key's peer ID. Which one signs is not kept here: it is the key the
 * origin's log names next (key-history.ts), so a copied or stale pointer can never disagree.
 */
const PREFIX = 'signing-'
const SUFFIX = '.key'

/** Makes a new signing key and writes it (0600, never overwritten) before anything names it. */
export async function createSigningKey (folder: string): Promise<Identity> {
  await mkdir(folder, { recursive: true, mode: 0o700 })
  const bytes = await generateIdentityKey()
  const identity = identityFromKeyBytes(bytes)
  await writeFile(join(folder, `${PREFIX}${identity.peerId.toString()}${SUFFIX}`), bytes, { mode: KEY_FILE_MODE, flag: 'wx' })
  return identity
}

/** Every signing key in the folder (none when it does not exist). */
export async function loadSigningKeys (folder: string): Promise<Identity[]> {
  let names: string[]
  try {
    names = await readdir(folder)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return []
    throw err
  }
  const keys: Identity[] = []
  for (const name of names.filter(n => n.startsWith(PREFIX) && n.endsWith(SUFFIX)).sort()) {
    keys.push(identityFromKeyBytes(await readFile(join(folder, name))))
  }
  return keys
}

/** A recovery key as its file holds it (what `keys revoke` is given): a libp2p Ed25519 private key. */
export function recoveryKeyFromBytes (bytes: Uint8Array): Identity {
  try {
    return identityFromKeyBytes(bytes)
  } catch (err) {
    throw hfError(ErrorCodes.INVALID_KEY, 'the recovery key is not a key file made by `hashfed init` (recovery.key)', undefined, err)
  }
}
