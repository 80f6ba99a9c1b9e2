import { isMainThread } from 'node:worker_threads'
import { chmod, lstat, readdir } from 'node:fs/promises'
import { join } from 'node:path'

/** A node folder and everything in it: the owner only. */
export const PRIVATE_DIR_MODE = 0o700
export const PRIVATE_FILE_MODE = 0o600

/**
 * Makes every file and folder this process creates from now on owner-only (umask 077). A node
 * folder holds reported URLs and keys, and LevelDB keeps creating files (logs, tables, the
 * manifest) with the process umask: setting it once covers them and every later write of
 * the config, federation and runtime files. Worker threads cannot set it (they share it).
 */
export function usePrivateFileMode (): void {
  if (isMainThread) process.umask(0o077)
}

/** chmod 0700 on `path` and every folder under it, 0600 on every file; symlinks are left alone. */
export async function makePrivate (path: string): Promise<void> {
  const st = await lstat(path)
  if (st.isSymbolicLink()) return
  if (!st.isDirectory()) {
    if ((st.mode & 0o777) !== PRIVATE_FILE_MODE) await chmod(path, PRIVATE_FILE_MODE)
    return
  }
  if ((st.mode & 0o777) !== PRIVATE_DIR_MODE) await chmod(path, PRIVATE_DIR_MODE)
  for (const name of await readdir(path)) await makePrivate(join(path, name))
}
