const HASH_BYTES = 32

/**
 * The hash of every stored batch, per origin by seq, as the index feeder sees them go by (the
 * log computes them when it decodes a batch). A match answer names the batch that vouches for
 * it; without this, the first answer from each batch read the whole batch (~0.5-1 MB at 10k
 * entries) and hashed it again: ~3-5 ms on a loaded 2-core machine, most of a PDQ query's
 * time at 10M entries, where 1,000 batches outgrow any cache of recent ones.
 * 32 bytes per batch, packed per origin.
 */
export class BatchHashes {
  private readonly byOrigin = new Map<string, { bytes: Uint8Array, known: Uint8Array }>()

  set (origin: string, seq: number, hash: Uint8Array): void {
    if (hash.length !== HASH_BYTES || !Number.isSafeInteger(seq) || seq < 1) return
    let o = this.byOrigin.get(origin)
    if (o === undefined || o.known.length < seq) {
      const capacity = Math.max(64, seq, Math.ceil((o?.known.length ?? 0) * 1.5))
      const grown = { bytes: new Uint8Array(capacity * HASH_BYTES), known: new Uint8Array(capacity) }
      if (o !== undefined) { grown.bytes.set(o.bytes); grown.known.set(o.known) }
      this.byOrigin.set(origin, grown)
      o = grown
    }
    o.bytes.set(hash, (seq - 1) * HASH_BYTES)
    o.known[seq - 1] = 1
  }

  /** Lower-case hex of the batch's hash, or undefined when it has not been seen. */
  hex (origin: string, seq: number): string | undefined {
    const o = this.byOrigin.get(origin)
    if (o === undefined || !(seq >= 1 && seq <= o.known.length) || o.known[seq - 1] === 0) return undefined
    return Buffer.from(o.bytes.buffer, o.bytes.byteOffset + (seq - 1) * HASH_BYTES, HASH_BYTES).toString('hex')
  }

  /** Drops the hashes of `origin`'s batches from `fromSeq` on (a revocation took them out). */
  forget (origin: string, fromSeq: number): void {
    const o = this.byOrigin.get(origin)
    if (o === undefined || !(fromSeq >= 1)) return
    o.known.fill(0, Math.min(fromSeq - 1, o.known.length))
  }

  clear (): void {
    this.byOrigin.clear()
  }
}
