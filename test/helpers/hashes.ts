import { randomBytes } from 'node:crypto'
import type { AppendItem } from '../../src/log/entry.js'
import type { HashfedNode } from '../../src/daemon/hashfed-node.js'

/** `n` random SHA-256 add entries. */
export function randomAdds (n: number, meta: { classification?: 'baseline' | 'national' } = { classification: 'baseline' }): AppendItem[] {
  return Array.from({ length: n }, () => ({ op: 'add' as const, record: { algorithm: 'sha256' as const, value: new Uint8Array(randomBytes(32)), ...meta } }))
}

/** Per-origin heads of a node as comparable strings. */
export function headsOf (node: HashfedNode): Record<string, string> {
  return Object.fromEntries(node.hashLog.heads().map(h => [h.origin, `${h.seq}:${Buffer.from(h.hash).toString('hex')}`]))
}

export function headSeq (node: HashfedNode, origin: string): number {
  return node.hashLog.head(origin)?.seq ?? 0
}
