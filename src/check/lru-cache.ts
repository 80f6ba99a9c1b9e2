/**
 * A least-recently-used map of at most `capacity` entries, on a Map's insertion order: a hit
 * moves its key to the end, an insert beyond capacity drops the first key.
 */
export class LruCache<K, V> {
  private readonly map = new Map<K, V>()

  constructor (readonly capacity: number) {}

  get (key: K): V | undefined {
    const v = this.map.get(key)
    if (v !== undefined) {
      this.map.delete(key)
      this.map.set(key, v)
    }
    return v
  }

  set (key: K, value: V): void {
    this.map.delete(key)
    this.map.set(key, value)
    if (this.map.size > this.capacity) this.map.delete(this.map.keys().next().value as K)
  }

  delete (key: K): void {
    this.map.delete(key)
  }

  clear (): void {
    this.map.clear()
  }

  get size (): number {
    return this.map.size
  }
}
