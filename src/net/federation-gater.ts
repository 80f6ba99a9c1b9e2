import type { ConnectionGater, MultiaddrConnection, PeerId } from '@libp2p/interface'

export interface GaterInit {
  /** current allowlist: the federation's peer IDs (re-read on every check, so edits apply at once) */
  isMember: (peerId: string) => boolean
  /** called once per refused connection with the authenticated peer ID */
  onRefused: (peerId: string, direction: 'inbound' | 'outbound', remoteAddr: string) => void
  /** a member cut off for its offences (see PeerPenalties): refused like a non-member while it lasts */
  isCutOff?: (peerId: string) => boolean
  /** called once per connection refused because the member is cut off */
  onRefusedCutOff?: (peerId: string, direction: 'inbound' | 'outbound', remoteAddr: string) => void
}

/**
 * Admits only federation members that are not cut off. The check runs on the *encrypted*
 * hooks: there the peer ID is the one the Noise handshake authenticated, not a claim from an
 * address or a dial target.
 */
export function federationGater (init: GaterInit): ConnectionGater {
  const cutOff = (id: string): boolean => init.isCutOff?.(id) ?? false
  const refuse = (direction: 'inbound' | 'outbound') => (peerId: PeerId, maConn: MultiaddrConnection): boolean => {
    const id = peerId.toString()
    if (!init.isMember(id)) {
      init.onRefused(id, direction, maConn.remoteAddr.toString())
      return true
    }
    if (cutOff(id)) {
      init.onRefusedCutOff?.(id, direction, maConn.remoteAddr.toString())
      return true
    }
    return false
  }
  return {
    denyDialPeer: (peerId) => !init.isMember(peerId.toString()) || cutOff(peerId.toString()),
    denyInboundEncryptedConnection: refuse('inbound'),
    denyOutboundEncryptedConnection: refuse('outbound')
  }
}
