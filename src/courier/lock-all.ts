/** Serialises work on one subject (a report id): deliveries, receipts and local edits. */
export interface SubjectLocks {
  run: <T>(key: string, fn: () => Promise<T>) => Promise<T>
}

/**
 * Runs `fn` holding the locks of every subject in `keys` (a batch of records). Taken one by
 * one in sorted order, so two batches sharing subjects cannot each wait for the other.
 */
export async function underLocks<T> (locks: SubjectLocks, keys: Iterable<string>, fn: () => Promise<T>): Promise<T> {
  const sorted = [...new Set(keys)].sort()
  const take = async (i: number): Promise<T> => i === sorted.length ? await fn() : await locks.run(sorted[i], async () => await take(i + 1))
  return await take(0)
}
