import { loadNodeFiles } from '../../src/node/node-context.js'
import { createNodeLibp2p, type HashfedLibp2p } from '../../src/net/create-libp2p.js'
import { SYNC_PROTOCOL } from '../../src/sync/constants.js'
import { MAX_FRAME_BYTES } from '../../src/sync/constants.js'
import { decodeSync, encodeSync } from '../../src/sync/sync-codec.js'
import { headsToWire } from '../../src/sync/heads-codec.js'
import { decodeBatch } from '../../src/log/batch.js'
import { peerIdFromBytes } from '../../src/identity/identity.js'
import type { OriginHead } from '../../src/sync/sync-log.js'
import { lpStream } from '@libp2p/utils'
import type { Stream } from '@libp2p/interface'
import type { TestMember } from './federation.js'

export interface HostileInit {
  /** a member folder whose valid key the hostile peer uses */
  member: TestMember
  /** Signed batch bytes it serves, per origin, in seq order (tampered or not) */
  batches: Map<string, Uint8Array[]>
  /** abort the stream after serving this many batches in a session */
  cutAfter?: number
  /** heads it claims (default: from the batches it holds) */
  heads?: OriginHead[]
}

/**
 * A federation member with a valid key that serves whatever it is given over the real sync
 * protocol: forged or re-signed batches, forks, cut transfers. It never verifies anything.
 */
export class HostilePeer {
  served = 0
  private constructor (readonly libp2p: HashfedLibp2p, private readonly init: HostileInit) {}

  static async start (init: HostileInit): Promise<HostilePeer> {
    const files = await loadNodeFiles(init.member.dir)
    const libp2p = await createNodeLibp2p({ privateKey: files.identity.privateKey, listen: [`/ip4/127.0.0.1/tcp/${init.member.port}`], gater: {} })
    const peer = new HostilePeer(libp2p, init)
    await libp2p.handle(SYNC_PROTOCOL, (stream) => {
      peer.serve(stream).catch((err: Error) => stream.abort(err))
    })
    return peer
  }

  private heads (): OriginHead[] {
    return this.init.heads ?? [...this.init.batches].map(([origin, list]) => {
      const last = decodeBatch(list[list.length - 1])
      return { origin, seq: last.seq, hash: last.hash, entries: 0 }
    })
  }

  /** The responder side of the protocol, one batch per frame, so a cut falls between batches. */
  private async serve (stream: Stream): Promise<void> {
    const s = lpStream(stream, { maxDataLength: MAX_FRAME_BYTES })
    decodeSync(await s.read())
    await s.write(encodeSync({ heads: headsToWire(this.heads()) }))
    const requests = []
    for (;;) {
      const msg = decodeSync(await s.read())
      if (msg.kind === 'end') break
      if (msg.request != null) requests.push(msg.request)
    }
    let sent = 0
    for (const r of requests) {
      const origin = peerIdFromBytes(r.origin ?? new Uint8Array()).toString()
      for (const b of this.init.batches.get(origin) ?? []) {
        const seq = decodeBatch(b).seq
        if (seq < Number(r.fromSeq) || (Number(r.toSeq) !== 0 && seq > Number(r.toSeq))) continue
        if (this.init.cutAfter !== undefined && sent >= this.init.cutAfter) {
          stream.abort(new Error('hostile peer cuts the transfer'))
          return
        }
        await s.write(encodeSync({ frame: { batches: [b] } }))
        sent++
        this.served++
      }
      await s.write(encodeSync({ end: { origin: r.origin } }))
    }
    await s.write(encodeSync({ end: {} })) // it requests nothing back
    await stream.close()
  }

  async stop (): Promise<void> {
    await this.libp2p.stop()
  }
}
