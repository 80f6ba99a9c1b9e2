/**
 * Rate-limits repetitive log lines per key (e.g. peer and reason): the first `perWindow`
 * lines of a key in each `windowMs` are logged, the rest only counted. When a key logs again
 * after a window in which lines were dropped, `take` says how many, so the next line can
 * carry the sum. A hostile peer then costs us a few log lines a minute, not one per message.
 * Keys are expected to be few (members × reasons); an idle key is dropped at its next window.
 */
export class LogThrottle {
  private readonly windows = new Map<string, { start: number, logged: number, dropped: number }>()

  constructor (
    private readonly perWindow: number,
    private readonly windowMs: number,
    private readonly now: () => number = Date.now
  ) {}

  /** null: drop this line; otherwise log it, with `suppressed` lines dropped since the last one. */
  take (key: string): { suppressed: number } | null {
    const now = this.now()
    let w = this.windows.get(key)
    let suppressed = 0
    if (w === undefined || now - w.start >= this.windowMs) {
      suppressed = w?.dropped ?? 0
      w = { start: now, logged: 0, dropped: 0 }
      this.windows.set(key, w)
    }
    if (w.logged >= this.perWindow) {
      w.dropped++
      return null
    }
    w.logged++
    return { suppressed }
  }
}
