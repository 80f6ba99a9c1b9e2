// Child process of the channel benchmark: a libp2p node (TCP + Noise + yamux, as hashfed) that
// swallows whatever arrives on /hashfed-bench/sink/1.0.0 and answers with the byte count.
import '../../src/polyfill.js'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { createNodeLibp2p } from '../../src/net/create-libp2p.js'
import { SINK_PROTOCOL } from './limits.js'

const node = await createNodeLibp2p({ privateKey: await generateKeyPair('Ed25519'), listen: ['/ip4/127.0.0.1/tcp/0'], gater: {} })
await node.handle(SINK_PROTOCOL, async (stream) => {
  let bytes = 0
  for await (const chunk of stream) bytes += chunk.byteLength
  stream.send(new TextEncoder().encode(String(bytes)))
  await stream.close()
})
process.stdout.write(JSON.stringify({ addr: node.getMultiaddrs()[0].toString() }) + '\n')
process.stdin.resume()
process.stdin.on('end', () => { void Promise.resolve(node.stop()).then(() => process.exit(0)) })
