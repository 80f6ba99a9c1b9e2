import { test } from 'node:test'
import assert from 'node:assert/strict'
import { setImmediate as tick } from 'node:timers/promises'
import { OutboxScheduler, type Pending } from '../../src/courier/outbox-scheduler.js'
import type { Clock } from '../../src/courier/clock.js'
import { RETRY_MAX_MS, RETRY_MIN_MS } from '../../src/courier/constants.js'

/** A clock that moves only when the test says so; timers fire in due order. */
class FakeClock implements Clock {
  t = 1_000_000
  private id = 0
  readonly timers = new Map<number, { at: number, fn: () => void }>()
  timersSet = 0
  now = (): number => this.t
  setTimer = (fn: () => void, ms: number): unknown => {
    this.timersSet++
    this.timers.set(++this.id, { at: this.t + ms, fn })
    return this.id
  }

  clearTimer = (timer: unknown): void => { this.timers.delete(timer as number) }

  /** Moves time forward by `ms`, firing each timer at its own time and letting the loops it starts run. */
  async advance (ms: number): Promise<void> {
    const end = this.t + ms
    for (;;) {
      await settle()
      let next: [number, { at: number, fn: () => void }] | undefined
      for (const e of this.timers) if (e[1].at <= end && (next === undefined || e[1].at < next[1].at)) next = e
      if (next === undefined) break
      this.timers.delete(next[0])
      this.t = next[1].at
      next[1].fn()
    }
    this.t = end
    await settle()
  }
}

async function settle (): Promise<void> {
  for (let i = 0; i < 20; i++) await tick()
}

type Outcome = 'delivered' | 'refused' | 'unreachable' | { quota: number }
const PEER = 'peer-a'

/** A scheduler whose delivery loop answers each item with `answer` and records what was tried when. */
function harness (answer: (p: Pending) => Outcome, opts: { random?: number, concurrency?: number } = {}) {
  const clock = new FakeClock()
  const tried: Array<{ id: string, at: number }> = []
  let loops = 0
  let live = 0
  let maxLive = 0
  const s: OutboxScheduler = new OutboxScheduler({
    clock,
    random: () => opts.random ?? 0.5,
    concurrency: opts.concurrency ?? 1,
    work: async (peer) => {
      loops++
      maxLive = Math.max(maxLive, ++live)
      try {
        for (let p = s.take(peer); p !== null; p = s.take(peer)) {
          await tick()
          tried.push({ id: p.id, at: clock.now() })
          const a = answer(p)
          if (a === 'delivered') s.done(peer, p.id)
          else if (a === 'refused') s.refused(peer, p.id)
          else if (a === 'unreachable') { s.unreachable(peer, p.id); return }
          else s.quota(peer, p.id, a.quota)
          if (a !== 'refused') s.reached(peer)
        }
      } finally { live-- }
    }
  })
  return { s, clock, tried, loops: () => loops, maxLive: () => maxLive }
}

test('outbox scheduler: backoff doubles from the minimum, is capped, and stays within ±25 % jitter', () => {
  for (const [random, factor] of [[0, 0.75], [0.5, 1], [0.999999, 1.25]] as const) {
    const s = new OutboxScheduler({ work: async () => {}, random: () => random })
    for (let n = 0; n < 40; n++) {
      const base = Math.min(RETRY_MAX_MS, RETRY_MIN_MS * 2 ** n)
      assert.ok(Math.abs(s.backoff(n) - base * factor) < 1, `retry ${n} with random ${random}: ${s.backoff(n)} ≈ ${base * factor}`)
    }
  }
  const custom = new OutboxScheduler({ work: async () => {}, random: () => 0.5, retryMinMs: 10, retryMaxMs: 100 })
  assert.deepEqual([0, 1, 2, 3, 4, 10].map(n => custom.backoff(n)), [10, 20, 40, 80, 100, 100])
})

test('outbox scheduler: items go out oldest first; a refused one waits its own backoff while the rest go on', async () => {
  const refusals = new Map<string, number>([['b', 2]])
  const h = harness((p) => {
    const left = refusals.get(p.id) ?? 0
    if (left === 0) return 'delivered'
    refusals.set(p.id, left - 1)
    return 'refused'
  })
  for (const id of ['a', 'b', 'c']) h.s.add(PEER, id, 0)
  h.s.start()
  await h.clock.advance(0)
  const t0 = 1_000_000
  assert.deepEqual(h.tried.map(t => t.id), ['a', 'b', 'c'], 'in the order queued')
  assert.equal(h.s.depth(PEER), 1, 'only the refused item is left')
  assert.equal(h.s.state(PEER, 'b')?.nextAttemptAt, t0 + RETRY_MIN_MS)
  // nothing is tried before it is due
  await h.clock.advance(RETRY_MIN_MS - 1)
  assert.equal(h.tried.length, 3)
  await h.clock.advance(1)
  assert.deepEqual(h.tried.slice(3), [{ id: 'b', at: t0 + RETRY_MIN_MS }])
  // second refusal: twice the delay, counted from that attempt
  await h.clock.advance(2 * RETRY_MIN_MS - 1)
  assert.equal(h.tried.length, 4)
  await h.clock.advance(1)
  assert.deepEqual(h.tried.slice(4), [{ id: 'b', at: t0 + 3 * RETRY_MIN_MS }])
  assert.equal(h.s.depth(), 0)
  assert.equal(h.clock.timers.size, 0, 'no timer left once the queue is empty')
})

test('outbox scheduler: an unreachable target pauses its whole queue; a connect resumes it at once', async () => {
  let up = false
  const h = harness(() => up ? 'delivered' : 'unreachable')
  for (const id of ['a', 'b', 'c']) h.s.add(PEER, id, 0)
  h.s.start()
  await h.clock.advance(0)
  assert.deepEqual(h.tried.map(t => t.id), ['a'], 'one failed exchange pauses the queue: b and c are not tried')
  assert.equal(h.s.state(PEER, 'a')?.attempts, 1)
  // the pause doubles with each failure (jitter fixed at 1)
  await h.clock.advance(RETRY_MIN_MS)
  await h.clock.advance(2 * RETRY_MIN_MS)
  assert.equal(h.tried.length, 3, 'one try per pause, not one per item')
  up = true
  h.s.resume(PEER)
  await h.clock.advance(0)
  assert.equal(h.s.depth(), 0, 'everything delivered as soon as the target connects, before the pause ends')
})

test('outbox scheduler: no busy loop and no give-up: a target refusing for an hour is tried a bounded number of times, the item stays', async () => {
  const h = harness(() => 'refused', { random: 0 })
  h.s.add(PEER, 'x', 0)
  h.s.start()
  const hour = 3_600_000
  for (let m = 0; m < 60; m++) {
    await h.clock.advance(60_000)
    assert.ok(h.clock.timers.size <= 1, 'one timer per target at most')
  }
  const n = h.tried.length
  // doubling up to the cap, then one try per cap (jitter at its lowest: 0.75 × cap)
  const bound = Math.ceil(Math.log2(RETRY_MAX_MS / RETRY_MIN_MS)) + Math.ceil(hour / (0.75 * RETRY_MAX_MS)) + 1
  assert.ok(n > 60 && n <= bound, `${n} tries in an hour (bound ${bound})`)
  assert.ok(h.loops() <= n + 1, `${h.loops()} loops started for ${n} tries`)
  assert.ok(h.clock.timersSet <= n + 2, `${h.clock.timersSet} timers set for ${n} tries`)
  for (let i = 1; i < h.tried.length; i++) assert.ok(h.tried[i].at - h.tried[i - 1].at <= RETRY_MAX_MS, 'the gap never exceeds the cap')
  assert.equal(h.s.depth(PEER), 1, 'never given up')
  assert.equal(h.s.state(PEER, 'x')?.attempts, n)
})

test('outbox scheduler: a quota refusal pauses the queue for the asked time, kept within the bounds', async () => {
  for (const [asked, waited] of [[5, RETRY_MIN_MS], [4000, 4000], [10 * RETRY_MAX_MS, RETRY_MAX_MS]] as const) {
    let first = true
    const h = harness(() => { if (first) { first = false; return { quota: asked } } return 'delivered' })
    h.s.add(PEER, 'a', 0)
    h.s.add(PEER, 'b', 0)
    h.s.start()
    await h.clock.advance(waited - 1)
    assert.deepEqual(h.tried.map(t => t.id), ['a'], `asked ${asked}: nothing more before ${waited} ms`)
    await h.clock.advance(1)
    assert.equal(h.s.depth(), 0, `asked ${asked}: both go at ${waited} ms`)
    assert.ok(h.tried.slice(1).every(t => t.at === 1_000_000 + waited))
  }
})

test('outbox scheduler: one loop per ready item up to the concurrency, none after stop', async () => {
  const h = harness(() => 'delivered', { concurrency: 4 })
  h.s.add(PEER, 'a', 0)
  h.s.add(PEER, 'b', 0)
  h.s.start()
  await h.clock.advance(0)
  assert.ok(h.loops() <= 2, 'two items: at most two loops, not four')
  for (let i = 0; i < 40; i++) h.s.add(PEER, `i${i}`, 0)
  await h.clock.advance(0)
  assert.equal(h.maxLive(), 4)
  assert.equal(h.s.depth(), 0)

  const stopped = harness(() => 'refused')
  stopped.s.add(PEER, 'a', 0)
  stopped.s.start()
  await stopped.clock.advance(0)
  await stopped.s.stop()
  const tried = stopped.tried.length
  await stopped.clock.advance(10 * RETRY_MAX_MS)
  assert.equal(stopped.tried.length, tried, 'a stopped scheduler tries nothing')
  assert.equal(stopped.clock.timers.size, 0)
})
