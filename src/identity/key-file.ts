import { readFile, writeFile, stat } from 'node:fs/promises'
import { hfError, ErrorCodes } from '../errors.js'
import { generateIdentityKey, identityFromKeyBytes, type Identity } from './identity.js'

/** The key never leaves this file: it is neither printed nor logged, and only its owner may read it. */
export const KEY_FILE_MODE = 0o600

export async function createKeyFile (path: string): Promise<Identity> {
  const bytes = await generateIdentityKey()
  // 'wx' refuses to overwrite an existing key
  await writeFile(path, bytes, { mode: KEY_FILE_MODE, flag: 'wx' }).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'EEXIST') throw hfError(ErrorCodes.NODE_EXISTS, `refusing to overwrite the existing identity key ${path}`)
    throw err
  })
  return identityFromKeyBytes(bytes)
}

export async function loadKeyFile (path: string): Promise<Identity> {
  let bytes: Buffer
  try {
    bytes = await readFile(path)
  } catch (err) {
    throw hfError(ErrorCodes.INVALID_KEY, `cannot read identity key ${path}`, undefined, err)
  }
  const { mode } = await stat(path)
  if ((mode & 0o077) !== 0) {
    throw hfError(ErrorCodes.INVALID_KEY, `identity key ${path} is readable by others (mode ${(mode & 0o777).toString(8)}); run: chmod 600 ${path}`)
  }
  return identityFromKeyBytes(bytes)
}
