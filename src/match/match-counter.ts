/** Thresholds of the automatic hold (config `quarantine`). */
export interface CounterLimits {
  maxHosters: number
  maxMatchesPerHour: number
  hosterWindowMs: number
}

/** Why a hash went over its limits. */
export type HoldTrigger = 'hosters' | 'matches'

interface RefCount {
  /** hoster token -> last match (ms) */
  hosters: Map<string, number>
  /** start of the current hour bucket (ms) */
  hourStart: number
  thisHour: number
  lastHour: number
  /** thresholds multiplied by this (the origin confirmed the hash) */
  factor: number
}

const HOUR_MS = 3_600_000
/** hashes counted at once; the least recently inserted is dropped beyond (misses never count) */
const MAX_COUNTED = 200_000

/**
 * Counts the matches of each stored hash by distinct hoster token over a sliding window and
 * by matches per hour (two hour buckets, the older one weighted by how much of it is still
 * in the window). Runs on the check path, only for values that matched: a map lookup, a map
 * set and an addition per match. Expired hosters are only pruned when a hash is over its
 * limit, so the common case never scans.
 */
export class MatchCounter {
  private readonly refs = new Map<string, RefCount>()

  constructor (private readonly limits: CounterLimits) {}

  /** Counts one match of `ref` for `hoster`; returns the trigger when this match takes it over a limit. */
  record (ref: string, hoster: string, now: number): HoldTrigger | null {
    let c = this.refs.get(ref)
    if (c === undefined) {
      if (this.refs.size >= MAX_COUNTED) this.refs.delete(this.refs.keys().next().value as string)
      c = { hosters: new Map(), hourStart: now, thisHour: 0, lastHour: 0, factor: 1 }
      this.refs.set(ref, c)
    }
    if (now - c.hourStart >= HOUR_MS) {
      c.lastHour = now - c.hourStart >= 2 * HOUR_MS ? 0 : c.thisHour
      c.thisHour = 0
      c.hourStart = now - ((now - c.hourStart) % HOUR_MS)
    }
    c.thisHour++
    c.hosters.set(hoster, now)
    const maxHosters = this.limits.maxHosters * c.factor
    if (c.hosters.size > maxHosters) {
      prune(c.hosters, now - this.limits.hosterWindowMs)
      if (c.hosters.size > maxHosters) return 'hosters'
    }
    if (perHour(c, now) > this.limits.maxMatchesPerHour * c.factor) return 'matches'
    return null
  }

  /** Distinct hosters in the window and matches in the last hour of `ref`. */
  counts (ref: string, now: number): { hosters: number, matches: number } {
    const c = this.refs.get(ref)
    if (c === undefined) return { hosters: 0, matches: 0 }
    prune(c.hosters, now - this.limits.hosterWindowMs)
    return { hosters: c.hosters.size, matches: Math.round(perHour(c, now)) }
  }

  /** The hoster tokens counted for `ref` in the window (the operator view). */
  hostersOf (ref: string): string[] {
    return [...(this.refs.get(ref)?.hosters.keys() ?? [])]
  }

  /** Starts counting `ref` afresh (a hold was released), keeping its factor. */
  reset (ref: string, factor?: number): void {
    const old = this.refs.get(ref)
    const f = factor ?? old?.factor ?? 1
    this.refs.delete(ref)
    if (f !== 1) this.refs.set(ref, { hosters: new Map(), hourStart: 0, thisHour: 0, lastHour: 0, factor: f })
  }
}

function perHour (c: RefCount, now: number): number {
  const into = Math.min(1, (now - c.hourStart) / HOUR_MS)
  return c.thisHour + c.lastHour * (1 - into)
}

function prune (hosters: Map<string, number>, before: number): void {
  for (const [h, at] of hosters) if (at < before) hosters.delete(h)
}
