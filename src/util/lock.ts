/**
 * Runs async sections one at a time, in call order. A section that fails releases the lock
 * like one that succeeds: the next one runs either way.
 */
export class Lock {
  private tail: Promise<unknown> = Promise.resolve()

  async run<T> (fn: () => Promise<T>): Promise<T> {
    const run = this.tail.then(fn, fn)
    this.tail = run.catch(() => {})
    return await run
  }

  /** Resolves once every section started so far has finished. */
  async idle (): Promise<void> {
    await this.tail
  }
}

/**
 * A `Lock` per key: sections with the same key run one at a time, other keys do not wait.
 * A key's entry is dropped as soon as nothing waits on it, so the map holds only busy keys.
 */
export class KeyedLock {
  private readonly locks = new Map<string, { lock: Lock, users: number }>()

  async run<T> (key: string, fn: () => Promise<T>): Promise<T> {
    let entry = this.locks.get(key)
    if (entry === undefined) {
      entry = { lock: new Lock(), users: 0 }
      this.locks.set(key, entry)
    }
    entry.users++
    try {
      return await entry.lock.run(fn)
    } finally {
      if (--entry.users === 0) this.locks.delete(key)
    }
  }
}
