import { pb } from '../proto/index.js'
import type { Store } from '../store/store.js'
import { decodeStored } from '../store/stored-record.js'
import { forkKey, forkOrigin } from '../store/layout.js'
import { parsePeerId, peerIdFromBytes } from '../identity/identity.js'
import { decodeBatch, type Batch } from './batch.js'
import { u64 } from './uint64.js'
import type { ForkRecord } from './log-types.js'

const toHex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex')

/**
 * Proof that an origin signed two histories: both Signed batches for one seq, kept in the
 * `forks` sublevel once per (origin, seq, refused batch), whoever served it.
 */
export class ForkEvidence {
  constructor (private readonly store: Store, private readonly now: () => number) {}

  /** Keeps the evidence unless it is kept already; returns whether it was new. */
  async record (kept: Batch, refused: Batch, fromPeer: string | undefined): Promise<boolean> {
    const key = forkKey(kept.originId, kept.seq, toHex(refused.hash))
    if (await this.store.sub.forks.get(key) !== undefined) return false
    let reportedBy: Uint8Array | undefined
    try {
      if (fromPeer !== undefined) reportedBy = parsePeerId(fromPeer).toMultihash().bytes
    } catch {}
    const evidence = pb.ForkEvidence.encode({
      origin: kept.origin,
      seq: kept.seq,
      kept: { body: kept.body, signature: kept.signature },
      refused: { body: refused.body, signature: refused.signature },
      reportedBy,
      detectedMs: this.now()
    }).finish()
    await this.store.write([{ type: 'put', sublevel: this.store.sub.forks, key, value: evidence }])
    return true
  }

  async knows (origin: string, seq: number, refusedHash: Uint8Array): Promise<boolean> {
    return await this.store.sub.forks.get(forkKey(origin, seq, toHex(refusedHash))) !== undefined
  }

  async list (): Promise<ForkRecord[]> {
    const out: ForkRecord[] = []
    for await (const [key, raw] of this.store.sub.forks.iterator()) {
      const f = decodeStored(pb.ForkEvidence, raw, `fork evidence ${key}`)
      const kept = pb.Signed.encode(f.kept ?? {}).finish()
      const refused = pb.Signed.encode(f.refused ?? {}).finish()
      const record: ForkRecord = {
        origin: forkOrigin(key),
        seq: u64(f.seq),
        keptHash: decodeBatch(kept).hash,
        refusedHash: decodeBatch(refused).hash,
        kept,
        refused,
        detectedMs: u64(f.detectedMs)
      }
      if (f.reportedBy != null && f.reportedBy.length > 0) {
        try {
          record.reportedBy = peerIdFromBytes(f.reportedBy).toString()
        } catch {}
      }
      out.push(record)
    }
    return out
  }
}
