import { createHash } from 'node:crypto'
import { pb } from '../proto/index.js'
import { hashKey } from '../store/layout.js'
import type { BatchEvent, HashLog } from '../log/hash-log.js'
import type { EntryMeta } from '../log/entry.js'
import { formatHashValue } from '../log/hash-value.js'
import { LruCache } from './lru-cache.js'
import { BATCH_HASH_CACHE_ENTRIES, METADATA_CACHE_ENTRIES } from './constants.js'

/** What one origin says about a matched value, and the batch that vouches for it. */
export interface Vouch {
  /** the origin's batch holding the add that set this metadata, its entry index and hash */
  seq: number
  index: number
  batchHash: string
  meta: EntryMeta & { quality?: number }
}

export interface VouchRef {
  algorithm: string
  /** lower-case hex of the value */
  valueHex: string
  origin: string
}

export interface MatchMetadataInit {
  hashLog: HashLog
  /** @default METADATA_CACHE_ENTRIES */
  cacheEntries?: number
  /** batch hashes already known (the match service notes every batch's): no batch read for those */
  batchHashes?: { hex: (origin: string, seq: number) => string | undefined }
}

/**
 * Metadata of matches, from the log's index rows (HashLog.rowsOf: one per value and origin)
 * only for values that matched: the index answers whether, this says
 * what. Rows read are kept in an LRU, dropped as soon as a batch touches them; batch hashes
 * never change once stored, so they are cached without invalidation.
 */
export class MatchMetadata {
  private readonly rows: LruCache<string, Vouch | null>
  private readonly batchHashes = new LruCache<string, string>(BATCH_HASH_CACHE_ENTRIES)
  /** bumped by every batch: a read that overlapped one is answered but not cached */
  private generation = 0
  /** reads under way, by key, for callers asking the same meanwhile; dropped by every batch */
  private readonly reading = new Map<string, Promise<Vouch | null>>()
  private readonly onBatch = (e: BatchEvent): void => {
    this.generation++
    this.reading.clear()
    // nothing cached (a fresh node pulling its first million entries): no key to build per entry
    if (this.rows.size === 0) return
    for (const entry of e.entries) {
      const { algorithm, value } = entry.op === 'add' ? entry.record : entry
      this.rows.delete(hashKey(algorithm, formatHashValue(value), e.origin))
    }
  }

  /** a revocation rebuilt an origin's rows: cached ones may be the attacker's */
  private readonly onRevoked = (): void => {
    this.generation++
    this.reading.clear()
    this.rows.clear()
  }

  constructor (private readonly init: MatchMetadataInit) {
    this.rows = new LruCache(init.cacheEntries ?? METADATA_CACHE_ENTRIES)
    init.hashLog.on('batch', this.onBatch)
    init.hashLog.on('revoked', this.onRevoked)
  }

  close (): void {
    this.init.hashLog.off('batch', this.onBatch)
    this.init.hashLog.off('revoked', this.onRevoked)
    this.rows.clear()
  }

  /** One answer per ref, in order; null when the origin no longer holds the value (a retraction raced the lookup). */
  async get (refs: VouchRef[]): Promise<Array<Vouch | null>> {
    const out: Array<Vouch | null> = new Array(refs.length).fill(null)
    const missing: Array<{ i: number, key: string }> = []
    let joined: Array<Promise<void>> | undefined
    for (let i = 0; i < refs.length; i++) {
      const r = refs[i]
      const key = hashKey(r.algorithm, r.valueHex, r.origin)
      const cached = this.rows.get(key)
      if (cached !== undefined) { out[i] = cached; continue }
      // a value many hosters ask for at once (a file going round) is read once, not once per request
      const pending = this.reading.get(key)
      if (pending !== undefined) (joined ??= []).push(pending.then(v => { out[i] = v }))
      else missing.push({ i, key })
    }
    if (missing.length > 0) {
      // one read per distinct key: the first ref asking for it
      const keys = [...new Map(missing.map(m => [m.key, m])).values()]
      const read = this.read(keys.map(k => refs[k.i]), keys.map(k => k.key))
      const mine = keys.map(k => {
        const p = read.then(decoded => decoded.get(k.key) ?? null)
        p.catch(() => {}) // the failure is this call's to throw; joined callers get it from p
        this.reading.set(k.key, p)
        return p
      })
      try {
        const decoded = await read
        for (const m of missing) out[m.i] = decoded.get(m.key) ?? null
      } finally {
        keys.forEach((k, j) => { if (this.reading.get(k.key) === mine[j]) this.reading.delete(k.key) })
      }
    }
    if (joined !== undefined) await Promise.all(joined)
    return out
  }

  private async read (refs: VouchRef[], keys: string[]): Promise<Map<string, Vouch | null>> {
    const generation = this.generation
    // the log's own rows, through the log (a damaged row is HF_STORE_CORRUPT like anywhere else)
    const rows = await this.init.hashLog.rowsOf(refs)
    const decoded = new Map<string, Vouch | null>()
    for (let k = 0; k < keys.length; k++) {
      const row = rows[k]
      if (row === undefined || row.retracted) { decoded.set(keys[k], null); continue }
      const vouch: Vouch = { seq: row.seq, index: row.index, batchHash: await this.batchHash(refs[k].origin, row.seq), meta: row.meta }
      decoded.set(keys[k], vouch)
      if (generation === this.generation) this.rows.set(keys[k], vouch)
    }
    return decoded
  }

  /** SHA-256 of the batch body (what the next batch's prev_hash names); only the envelope is decoded. */
  private async batchHash (origin: string, seq: number): Promise<string> {
    const known = this.init.batchHashes?.hex(origin, seq)
    if (known !== undefined) return known
    const key = `${origin}!${seq}`
    const cached = this.batchHashes.get(key)
    if (cached !== undefined) return cached
    const signed = await this.init.hashLog.getBatch(origin, seq)
    if (signed === undefined) return ''
    const hash = createHash('sha256').update(pb.Signed.decode(signed).body).digest('hex')
    this.batchHashes.set(key, hash)
    return hash
  }
}
