const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost)$/

/** A host name or address that only this machine can reach. */
export function isLoopback (host: string): boolean {
  return LOOPBACK.test(host)
}
