/**
 * Time as the outbox scheduler sees it: injected, so its timing is tested with a fake clock
 * instead of waiting on the wall clock.
 */
export interface Clock {
  now: () => number
  /** runs `fn` once after `ms`; the timer must not keep the process alive */
  setTimer: (fn: () => void, ms: number) => unknown
  clearTimer: (timer: unknown) => void
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimer: (fn, ms) => setTimeout(fn, ms).unref(),
  clearTimer: (timer) => { clearTimeout(timer as NodeJS.Timeout) }
}
