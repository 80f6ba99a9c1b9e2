import { originBytesOf, originIdOf } from '../log/origin-ids.js'
import { hfError, ErrorCodes } from '../errors.js'
import type { hashfed } from '../proto/index.js'
import { MAX_HEAD_HASH_BYTES, MAX_HEADS } from './constants.js'
import type { OriginHead } from './sync-log.js'

export function headsToWire (heads: OriginHead[]): hashfed.v1.IHeads {
  return { heads: heads.map(h => ({ origin: originBytesOf(h.origin), seq: h.seq, hash: h.hash, entries: h.entries })) }
}

/** Peer-supplied heads, checked: bounded count, parseable and distinct origins, sane numbers. */
export function headsFromWire (wire: hashfed.v1.IHeads | null | undefined): OriginHead[] {
  const list = wire?.heads ?? []
  if (list.length > MAX_HEADS) throw hfError(ErrorCodes.PROTOCOL, `too many heads (${list.length})`, { reason: 'too-large' })
  const seen = new Set<string>()
  return list.map(h => {
    const seq = Number(h.seq ?? 0)
    const entries = Number(h.entries ?? 0)
    if (!Number.isSafeInteger(seq) || seq < 0) throw hfError(ErrorCodes.PROTOCOL, 'invalid head sequence', { reason: 'malformed' })
    if (!Number.isSafeInteger(entries) || entries < 0) throw hfError(ErrorCodes.PROTOCOL, 'invalid head entry count', { reason: 'malformed' })
    const hash = h.hash ?? new Uint8Array()
    if (hash.length > MAX_HEAD_HASH_BYTES) throw hfError(ErrorCodes.PROTOCOL, `a head hash of ${hash.length} bytes`, { reason: 'malformed' })
    let origin: string
    try {
      origin = originIdOf(h.origin ?? new Uint8Array())
    } catch {
      throw hfError(ErrorCodes.PROTOCOL, 'invalid origin in heads', { reason: 'malformed' })
    }
    if (seen.has(origin)) throw hfError(ErrorCodes.PROTOCOL, `${origin} listed twice in heads`, { reason: 'malformed' })
    seen.add(origin)
    // a copy: a view would keep the whole decoded frame alive as long as the head is kept
    return { origin, seq, hash: Uint8Array.from(hash), entries }
  })
}
