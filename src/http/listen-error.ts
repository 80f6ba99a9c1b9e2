import { hfError, ErrorCodes, type HashfedError } from '../errors.js'

/**
 * A server that cannot bind its configured address, as one line: what, where, why, and which
 * config key to change. (A port taken by another process is the usual case.)
 */
export function listenError (what: string, address: string, configKey: string, err: unknown): HashfedError {
  const message = err instanceof Error ? err.message : String(err)
  const reason = /EADDRINUSE/.test(message)
    ? 'the port is already in use by another process'
    : (message.split('\n').map(l => l.trim()).find(l => l !== '') ?? 'unknown error')
  return hfError(ErrorCodes.INVALID_CONFIG, `${what} cannot listen on ${address}: ${reason} (change ${configKey} in config.json; port 0 takes any free port)`, { address }, err)
}

/** The listen address libp2p named in its failure, or all the configured ones. */
export function failedListenAddress (err: unknown, configured: string[]): string {
  const message = err instanceof Error ? err.message : String(err)
  return /^\s*(\/\S+?):\s/m.exec(message)?.[1] ?? configured.join(', ')
}
