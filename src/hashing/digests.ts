import { createHash } from 'node:crypto'

export interface Digests {
  sha256: Uint8Array
  sha1: Uint8Array
  md5: Uint8Array
}

/**
 * The exact-match digests lists are keyed by, over the file's bytes as received (not the
 * decoded pixels): re-encoding changes them, which is what PDQ and blockhash are for.
 */
export function digests (bytes: Uint8Array): Digests {
  const of = (algorithm: string): Uint8Array => new Uint8Array(createHash(algorithm).update(bytes).digest())
  return { sha256: of('sha256'), sha1: of('sha1'), md5: of('md5') }
}
