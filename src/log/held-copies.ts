import { createHash } from 'node:crypto'

/** Batches recognised as held copies: the last few stored, enough for a batch's copies in flight. */
const HELD_COPIES = 256

/**
 * Digests of the signed bytes of the batches we stored last → their origin and seq, so a
 * byte-exact copy arriving from another neighbour is known without a decode (log heldCopy).
 */
export class HeldCopies {
  private readonly held = new Map<string, { origin: string, seq: number }>()

  get size (): number {
    return this.held.size
  }

  get (signed: Uint8Array): { origin: string, seq: number } | undefined {
    return this.held.get(digest(signed))
  }

  add (signed: Uint8Array, origin: string, seq: number): void {
    if (this.held.size >= HELD_COPIES) this.held.delete(this.held.keys().next().value as string)
    this.held.set(digest(signed), { origin, seq })
  }

  /** Forgets the origin's batches from `seq` on (revoked: offered again, they are refused). */
  dropFrom (origin: string, seq: number): void {
    for (const [k, at] of this.held) if (at.origin === origin && at.seq >= seq) this.held.delete(k)
  }
}

function digest (signed: Uint8Array): string {
  return createHash('sha256').update(signed).digest('base64')
}
