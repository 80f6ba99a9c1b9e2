import '../polyfill.js'
import { createLibp2p, type Libp2p } from 'libp2p'
import { tcp } from '@libp2p/tcp'
import { noise } from '@libp2p/noise'
import { yamux } from '@libp2p/yamux'
import { identify, type Identify } from '@libp2p/identify'
import { ping, type Ping } from '@libp2p/ping'
import type { ConnectionGater, PrivateKey } from '@libp2p/interface'

export type HashfedLibp2p = Libp2p<{ identify: Identify, ping: Ping }>

export interface Libp2pInit {
  privateKey: PrivateKey
  listen: string[]
  gater: ConnectionGater
}

/** TCP + Noise + yamux, identify and ping. Peers come only from the federation file: no discovery. */
export async function createNodeLibp2p (init: Libp2pInit): Promise<HashfedLibp2p> {
  return await createLibp2p({
    privateKey: init.privateKey,
    addresses: { listen: init.listen },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    connectionGater: init.gater,
    connectionManager: {
      // members are few; the reconnect loop in MemberConnections owns redialling
      maxConnections: 300,
      reconnectRetries: 0
    },
    services: {
      identify: identify(),
      ping: ping()
    }
  })
}
