/**
 * Why a member is not connected, in the words an operator acts on. libp2p's errors name
 * keys and sockets; these name the fix (the peer ID in a federation file, a firewall, an
 * address).
 */

/** Every error message in an error and its causes / aggregated errors (a dial tries several addresses). */
function messages (err: unknown, depth = 0): string[] {
  if (err === null || err === undefined || depth > 4) return []
  const e = err as { message?: unknown, code?: unknown, cause?: unknown, errors?: unknown }
  const own = typeof e.message === 'string' ? [`${typeof e.code === 'string' ? `${e.code} ` : ''}${e.message}`] : [String(err)]
  const nested = Array.isArray(e.errors) ? e.errors.flatMap(x => messages(x, depth + 1)) : []
  return [...own, ...nested, ...messages(e.cause, depth + 1)]
}

const WRONG_KEY = /identity key (\w+) does not match expected remote identity key (\w+)/

/** Plain words for a failed dial of `target` (its peer ID as our federation file has it). */
export function explainDialError (err: unknown, target: { peerId: string, addresses: readonly string[] }): string {
  const all = messages(err)
  const text = all.join(' | ')
  const wrong = WRONG_KEY.exec(text)
  if (wrong !== null) {
    return `wrong peer ID: expected ${wrong[2]}, got ${wrong[1]} at ${target.addresses.join(', ')} (fix the peer ID in our federation file, or the address)`
  }
  if (/UnexpectedPeer|unexpected peer/i.test(text)) return `wrong peer ID: the node at ${target.addresses.join(', ')} is not ${target.peerId}`
  const where = target.addresses.join(', ')
  if (/ECONNREFUSED/.test(text)) return `unreachable: ${where}: connection refused (is the node running, is the port right?)`
  if (/ETIMEDOUT|timed? ?out|TimeoutError|aborted/i.test(text)) return `unreachable: ${where}: no answer in time (a firewall, or a wrong address)`
  if (/EHOSTUNREACH|ENETUNREACH/.test(text)) return `unreachable: ${where}: no route to the host`
  if (/ENOTFOUND|EAI_AGAIN/.test(text)) return `unreachable: ${where}: the host name does not resolve`
  if (/ECONNRESET|EPIPE|reset|closed|EOF|end of stream|muxer|encrypted connection denied|gated/i.test(text)) {
    return `they refuse our key: ${where} closed the connection after the handshake (does their federation file list us with our peer ID?)`
  }
  return `unreachable: ${where}: ${all[0] ?? 'dial failed'}`
}

/** A connection that opened and closed before it carried a ping: the remote's gater refused us. */
export function refusedAfterOpen (ourPeerId: string): string {
  return `they refuse our key: the connection closed right after it opened (does their federation file list us as ${ourPeerId}?)`
}

/** A member we have no address for: it dials us. */
export const NO_ADDRESS = 'no address in our federation file: waiting for them to dial us'
