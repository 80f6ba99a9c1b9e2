import { RETRY_MAX_MS, RETRY_MIN_MS, SEND_CONCURRENCY } from './constants.js'
import { systemClock, type Clock } from './clock.js'

export interface SchedulerInit {
  /** runs one delivery loop toward `peer` (it calls `take` until null); counted as a worker until it settles */
  work: (peer: string) => Promise<void>
  /** a delivery loop threw (a bug: loops handle their own failures) */
  onWorkError?: (peer: string, err: unknown) => void
  /** @default the system clock */
  clock?: Clock
  /** jitter source @default Math.random */
  random?: () => number
  /** @default RETRY_MIN_MS (500) */
  retryMinMs?: number
  /** @default RETRY_MAX_MS (30000) */
  retryMaxMs?: number
  /** delivery loops (streams) per target @default SEND_CONCURRENCY (16) */
  concurrency?: number
}

export interface Pending {
  id: string
  attempts: number
  /** when an item the target refused may be tried again */
  dueAt: number
}

interface TargetQueue {
  peer: string
  items: Map<string, Pending>
  /** ids to send now, oldest first */
  ready: Set<string>
  /** ids the target refused, waiting for their own backoff */
  waiting: Set<string>
  workers: number
  /** consecutive failures to reach the target at all; pauses the whole queue */
  failures: number
  pausedUntil: number
  timer: unknown
}

/**
 * When each outbox item is tried, per target. An unreachable target pauses its whole queue
 * with exponential backoff (capped, jittered) and resumes at once when it connects; a quota
 * refusal pauses the queue for the time the target asked (within the bounds); an item the
 * target refuses backs off on its own while the rest go on. Nothing is ever given up: an
 * item waits until it is receipted. Between due times the scheduler sleeps on one timer per
 * target (no polling), and starts one more loop only while ready work exceeds the loops.
 */
export class OutboxScheduler {
  private readonly queues = new Map<string, TargetQueue>()
  private readonly running = new Set<Promise<void>>()
  private readonly clock: Clock
  private active = false

  constructor (private readonly init: SchedulerInit) {
    this.clock = init.clock ?? systemClock
  }

  /** Starts the loops for everything queued so far. */
  start (): void {
    this.active = true
    for (const q of this.queues.values()) this.kick(q)
  }

  /** No more loops or timers; resolves when the running loops have ended. */
  async stop (): Promise<void> {
    this.active = false
    for (const q of this.queues.values()) this.clearTimer(q)
    await this.idle()
  }

  /** Resolves when no loop is running. */
  async idle (): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running])
  }

  /** Queues an item (once: an id already queued is ignored). */
  add (peer: string, id: string, attempts: number): void {
    const q = this.queue(peer)
    if (q.items.has(id)) return
    q.items.set(id, { id, attempts, dueAt: 0 })
    q.ready.add(id)
    this.kick(q)
  }

  /** The next item to send toward `peer` now, or null (paused, stopped or nothing ready). */
  take (peer: string): Pending | null {
    const q = this.queues.get(peer)
    if (q === undefined || !this.active || q.pausedUntil > this.clock.now()) return null
    for (const id of q.ready) {
      q.ready.delete(id)
      const p = q.items.get(id)
      if (p !== undefined) return p
    }
    return null
  }

  /** Up to `n` more items to send toward `peer` now, to go with one already taken (a batch). */
  takeMore (peer: string, n: number): Pending[] {
    const out: Pending[] = []
    for (let p = n > 0 ? this.take(peer) : null; p !== null; p = out.length < n ? this.take(peer) : null) out.push(p)
    return out
  }

  /** An item taken but not tried (stopping): ready again, no attempt counted. */
  putBack (peer: string, id: string): void {
    const q = this.queues.get(peer)
    if (q?.items.has(id) === true) q.ready.add(id)
  }

  /** The target answered: it is reachable. */
  reached (peer: string): void {
    const q = this.queues.get(peer)
    if (q !== undefined) q.failures = 0
  }

  /** The target could not be reached: the item stays ready, the whole queue pauses. Returns the item's state. */
  unreachable (peer: string, id: string): Pending | undefined {
    const q = this.queue(peer)
    const p = q.items.get(id)
    if (p === undefined) return undefined
    q.ready.add(id)
    q.failures++
    q.pausedUntil = this.clock.now() + this.backoff(q.failures - 1)
    p.attempts++
    return p
  }

  /** The target's quota for us is spent: the queue waits what it asked (within bounds), the item keeps its place. Returns the wait. */
  quota (peer: string, id: string, retryAfterMs: number): number {
    const q = this.queue(peer)
    const wait = Math.min(Math.max(retryAfterMs, this.init.retryMinMs ?? RETRY_MIN_MS), this.init.retryMaxMs ?? RETRY_MAX_MS)
    q.pausedUntil = Math.max(q.pausedUntil, this.clock.now() + wait)
    if (q.items.has(id)) q.ready.add(id)
    return wait
  }

  /** The target refused the item: it backs off on its own. Returns its state. */
  refused (peer: string, id: string): Pending | undefined {
    const q = this.queue(peer)
    const p = q.items.get(id)
    if (p === undefined) return undefined
    p.attempts++
    p.dueAt = this.clock.now() + this.backoff(p.attempts - 1)
    q.ready.delete(id)
    // the loop that took it kicks the queue (and sets the timer for this item) when it ends
    q.waiting.add(id)
    return p
  }

  /** Delivered (or gone from the store): forgotten. */
  done (peer: string, id: string): void {
    const q = this.queues.get(peer)
    if (q === undefined) return
    q.items.delete(id)
    q.ready.delete(id)
    q.waiting.delete(id)
  }

  /** The target connected: everything for it is due now. */
  resume (peer: string): void {
    const q = this.queues.get(peer)
    if (q === undefined || !this.active) return
    q.failures = 0
    q.pausedUntil = 0
    for (const id of q.waiting) q.ready.add(id)
    q.waiting.clear()
    this.kick(q)
  }

  depth (peer?: string): number {
    if (peer !== undefined) return this.queues.get(peer)?.items.size ?? 0
    let n = 0
    for (const q of this.queues.values()) n += q.items.size
    return n
  }

  depthByPeer (): Record<string, number> {
    return Object.fromEntries([...this.queues.values()].filter(q => q.items.size > 0).map(q => [q.peer, q.items.size]))
  }

  /** An item's attempts and next due time (null while in flight); undefined when not queued. */
  state (peer: string, id: string): { attempts: number, nextAttemptAt: number | null } | undefined {
    const q = this.queues.get(peer)
    const p = q?.items.get(id)
    if (q === undefined || p === undefined) return undefined
    const next = q.waiting.has(id) ? Math.max(p.dueAt, q.pausedUntil) : q.ready.has(id) ? Math.max(q.pausedUntil, this.clock.now()) : null
    return { attempts: p.attempts, nextAttemptAt: next }
  }

  /** Delay before retry `n` (0-based): doubling from the minimum, capped, ±25 % jitter. */
  backoff (n: number): number {
    const min = this.init.retryMinMs ?? RETRY_MIN_MS
    const max = this.init.retryMaxMs ?? RETRY_MAX_MS
    return Math.min(max, min * 2 ** Math.min(n, 20)) * (0.75 + (this.init.random ?? Math.random)() * 0.5)
  }

  private queue (peer: string): TargetQueue {
    let q = this.queues.get(peer)
    if (q === undefined) {
      q = { peer, items: new Map(), ready: new Set(), waiting: new Set(), workers: 0, failures: 0, pausedUntil: 0, timer: null }
      this.queues.set(peer, q)
    }
    return q
  }

  private clearTimer (q: TargetQueue): void {
    if (q.timer !== null) this.clock.clearTimer(q.timer)
    q.timer = null
  }

  private kick (q: TargetQueue): void {
    if (!this.active) return
    const now = this.clock.now()
    this.clearTimer(q)
    if (q.pausedUntil <= now) {
      for (const id of q.waiting) {
        const p = q.items.get(id)
        if (p === undefined || p.dueAt <= now) { q.waiting.delete(id); if (p !== undefined) q.ready.add(id) }
      }
      // one more stream only while there is more ready work than streams
      const limit = this.init.concurrency ?? SEND_CONCURRENCY
      while (q.workers < limit && q.ready.size > q.workers) this.spawn(q)
    }
    // wake up for the earliest of: the queue's pause ending, a refused item's retry
    let wake = Infinity
    if (q.ready.size > 0 && q.pausedUntil > now) wake = q.pausedUntil
    for (const id of q.waiting) wake = Math.min(wake, Math.max(q.items.get(id)?.dueAt ?? now, q.pausedUntil))
    if (wake !== Infinity) q.timer = this.clock.setTimer(() => { q.timer = null; this.kick(q) }, Math.max(0, wake - now))
  }

  private spawn (q: TargetQueue): void {
    q.workers++
    const run: Promise<void> = this.init.work(q.peer).catch((err: unknown) => {
      this.init.onWorkError?.(q.peer, err)
    }).finally(() => {
      this.running.delete(run)
      q.workers--
      this.kick(q)
    })
    this.running.add(run)
  }
}
