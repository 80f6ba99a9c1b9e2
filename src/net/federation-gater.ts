import type { ConnectionGater, MultiaddrConnection, PeerId } from '@libp2p/interface'

export interface GaterInit {
  /** current allowlist: the federation's peer IDs (re-read on every check, so edits apply at once) */
  isMember: (peerId: string) => boolean
  /** called once per refused connection with the authenticated peer ID */
  onRefused: (peerId: string, direction: 'inbound' | 'outbound', remoteAddr: string) => void
}

/**
 * Admits only federation members. The check runs on the *encrypted* hooks: there the peer ID
 * is the one the Noise handshake authenticated, not a claim from an address or a dial target.
 */
export function federationGater (init: GaterInit): ConnectionGater {
  const refuse = (direction: 'inbound' | 'outbound') => (peerId: PeerId, maConn: MultiaddrConnection): boolean => {
    const id = peerId.toString()
    if (init.isMember(id)) return false
    init.onRefused(id, direction, maConn.remoteAddr.toString())
    return true
  }
  return {
    denyDialPeer: (peerId) => !init.isMember(peerId.toString()),
    denyInboundEncryptedConnection: refuse('inbound'),
    denyOutboundEncryptedConnection: refuse('outbound')
  }
}
