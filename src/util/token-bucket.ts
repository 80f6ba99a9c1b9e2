/**
 * Per-key token buckets: each key may spend `ratePerSecond` requests per second on average and
 * up to `burst` at once. Refilled lazily on each take, so an idle key costs nothing.
 */
export class TokenBuckets {
  private readonly buckets = new Map<string, { tokens: number, at: number }>()

  constructor (
    private readonly ratePerSecond: number,
    private readonly burst: number = Math.max(1, ratePerSecond),
    private readonly now: () => number = () => performance.now()
  ) {}

  /** Takes one token for `key`: 0 when granted, else the milliseconds until one is available. */
  take (key: string): number {
    const now = this.now()
    let b = this.buckets.get(key)
    if (b === undefined) {
      b = { tokens: this.burst, at: now }
      this.buckets.set(key, b)
    } else {
      b.tokens = Math.min(this.burst, b.tokens + (now - b.at) * this.ratePerSecond / 1000)
      b.at = now
    }
    if (b.tokens >= 1) {
      b.tokens -= 1
      return 0
    }
    return Math.ceil((1 - b.tokens) * 1000 / this.ratePerSecond)
  }

  forget (key: string): void {
    this.buckets.delete(key)
  }
}
