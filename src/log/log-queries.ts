import type { AlgorithmName } from './hash-value.js'
import { decodeBatch } from './batch.js'
import type { IndexRows } from './index-rows.js'
import type { HashProvenance, OriginHead, OriginSummary } from './log-types.js'

/** What every origin says about one hash, with the hash of the batch that vouches for it (`hashes show`). */
export async function showHash (rows: IndexRows, getBatch: (origin: string, seq: number) => Promise<Uint8Array | undefined>, algorithm: AlgorithmName, value: Uint8Array): Promise<HashProvenance[]> {
  const out: HashProvenance[] = []
  for await (const { current, row } of rows.ofValue(algorithm, value)) {
    const signed = await getBatch(current.origin, current.seq)
    const shown: HashProvenance = { ...current, index: row.index, batchHash: signed === undefined ? new Uint8Array(0) : decodeBatch(signed).hash }
    if (row.retracted) shown.retracted = { seq: row.retractedSeq, reason: row.retractReason }
    out.push(shown)
  }
  return out
}

/** `hashes list-origins`: one line per origin from its head. */
export function summarise (heads: OriginHead[]): OriginSummary[] {
  return heads.map(h => ({ origin: h.origin, entries: h.current, retractions: h.retracted, headSeq: h.seq, headHash: h.hash, logEntries: h.entries }))
}
