// Child process of the convergence yardstick: a libp2p node with the same transport stack as
// hashfed (TCP + Noise + yamux, identify) running @libp2p/gossipsub with its default
// parameters, subscribed to one topic. Driven by JSON lines on stdin, answering on stdout:
//   (at start)                          → {"addr":"/ip4/127.0.0.1/tcp/…/p2p/…"}
//   {"op":"dial","addr":"…"}            → {"ok":true}
//   {"op":"mesh"}                       → {"mesh":3,"subscribers":3}
//   {"op":"publish","bytes":4200,"id":7} → {"published":7}
// and for every message delivered from another node: {"delivered":7}.
import '../../src/polyfill.js'
import { createLibp2p } from 'libp2p'
import { tcp } from '@libp2p/tcp'
import { noise } from '@libp2p/noise'
import { yamux } from '@libp2p/yamux'
import { identify } from '@libp2p/identify'
import { gossipsub } from '@libp2p/gossipsub'
import { multiaddr } from '@multiformats/multiaddr'
import { randomBytes } from 'node:crypto'
import { createInterface } from 'node:readline'

export const TOPIC = 'hashfed-bench/convergence'

const node = await createLibp2p({
  addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
  transports: [tcp()],
  connectionEncrypters: [noise()],
  streamMuxers: [yamux()],
  services: { identify: identify(), pubsub: gossipsub() }
})
const pubsub = node.services.pubsub
pubsub.subscribe(TOPIC)
const out = (o: object): void => { process.stdout.write(JSON.stringify(o) + '\n') }
pubsub.addEventListener('message', (evt) => {
  const data = evt.detail.data
  // the message id travels in its first 4 bytes; the rest is padding to the batch size
  if (evt.detail.topic === TOPIC && data.length >= 4) out({ delivered: new DataView(data.buffer, data.byteOffset, 4).getUint32(0) })
})
out({ addr: node.getMultiaddrs()[0].toString() })

const rl = createInterface({ input: process.stdin })
rl.on('line', (line) => {
  const cmd = JSON.parse(line) as { op: string, addr?: string, bytes?: number, id?: number }
  if (cmd.op === 'dial') {
    void node.dial(multiaddr(String(cmd.addr))).then(() => out({ ok: true }), (err: Error) => out({ error: err.message }))
  } else if (cmd.op === 'mesh') {
    // the mesh is on the implementation, not the exported interface
    const mesh = (pubsub as unknown as { getMeshPeers: (t: string) => string[] }).getMeshPeers(TOPIC)
    out({ mesh: mesh.length, subscribers: pubsub.getSubscribers(TOPIC).length })
  } else if (cmd.op === 'publish') {
    const data = new Uint8Array(randomBytes(Number(cmd.bytes)))
    new DataView(data.buffer, data.byteOffset, 4).setUint32(0, Number(cmd.id))
    void pubsub.publish(TOPIC, data).then(() => out({ published: cmd.id }), (err: Error) => out({ error: err.message }))
  }
})
rl.on('close', () => { void Promise.resolve(node.stop()).then(() => process.exit(0)) })
