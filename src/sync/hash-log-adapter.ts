import type { HashLog } from '../log/hash-log.js'
import { decodeBatch } from '../log/batch.js'
import type { SyncLog } from './sync-log.js'

/** The hash log seen through the narrow interface replication needs. */
export function syncLogOf (log: HashLog, isOrigin: (origin: string) => boolean): SyncLog {
  return {
    heads: () => log.heads(),
    head: (origin) => log.head(origin),
    readRange: (origin, from, to) => log.readRange(origin, from, to),
    batchHashAt: async (origin, seq) => {
      const bytes = await log.getBatch(origin, seq)
      return bytes === undefined ? null : decodeBatch(bytes).hash
    },
    knowsFork: async (origin, seq, hash) => await log.knowsFork(origin, seq, hash),
    applyRemote: async (signed, fromPeer, onVerified) => {
      const res = await log.applyRemote(signed, { isMember: isOrigin, fromPeer, ...(onVerified !== undefined ? { onVerified } : {}) })
      if (res.status === 'rejected') return { status: 'rejected', reason: res.reason, message: res.message, ...(res.origin !== undefined ? { origin: res.origin } : {}) }
      return res.status === 'duplicate' ? { status: 'duplicate', seq: res.seq, origin: res.origin } : { status: 'stored', origin: res.origin, seq: res.seq }
    }
  }
}
