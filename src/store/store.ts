import { Level } from 'level'
import type { AbstractSublevel, AbstractBatchOperation } from 'abstract-level'
import { hfError, ErrorCodes } from '../errors.js'
import { SCHEMA_VERSION, SUBLEVELS, type SublevelName } from './layout.js'
import { usePrivateFileMode } from '../util/private-files.js'

type Db = Level<string, Uint8Array>
export type Sublevel = AbstractSublevel<Db, string | Uint8Array | Buffer, string, Uint8Array>
export type BatchOp =
  | { type: 'put', sublevel: Sublevel, key: string, value: Uint8Array }
  | { type: 'del', sublevel: Sublevel, key: string }

/**
 * A put whose key is given whole as bytes, its sublevel's prefix included (Store.keyPrefix):
 * bulk writes of index rows build their keys into one buffer and LevelDB copies them as they
 * are, instead of converting one string per key (~13% of a million-entry import).
 */
export interface RawPut { type: 'put', key: Uint8Array, value: Uint8Array, keyEncoding: 'view' }

/**
 * `count` puts made as they are written: `key(i)` (its sublevel's prefix included) and
 * `value(i)` may return views of scratch buffers that the next call rewrites, since LevelDB
 * copies a put's bytes when it is made. An import's 10,000 index rows of a write are then no
 * key, value or op object each: they were a quarter of what it allocated, and a scavenge that
 * met them copied them.
 */
export interface MadePuts { type: 'made', count: number, key: (i: number) => Uint8Array, value: (i: number) => Uint8Array }

/** What `Store.write` takes: sublevel ops, RawPuts and MadePuts, in one atomic write. */
export type StoreOp = BatchOp | RawPut | MadePuts

const NO_OPTIONS = {}

/** classic-level's chained batch, used below its public API (see Store.write). */
interface NativeBatch {
  _put: (key: string | Uint8Array, value: Uint8Array) => void
  _del: (key: string | Uint8Array) => void
  _write: (options: object) => Promise<void>
  close: () => Promise<void>
}

/** A node's LevelDB store: opens it, checks the schema version, hands out sublevels. */
export class Store {
  readonly db: Db
  readonly sub: Record<SublevelName, Sublevel>
  private readonly prefixes = new Map<SublevelName, Uint8Array>()

  private constructor (db: Db) {
    this.db = db
    this.sub = Object.fromEntries(SUBLEVELS.map(name => [name, db.sublevel<string, Uint8Array>(name, { valueEncoding: 'view' })])) as Record<SublevelName, Sublevel>
  }

  static async open (path: string, opts: { create?: boolean } = {}): Promise<Store> {
    // the store holds reported URLs: LevelDB's files, now and as it makes new ones, owner-only
    usePrivateFileMode()
    // a 32 MiB write buffer (default 4 MiB): fewer, larger compactions during bulk imports and
    // initial syncs; measured +7% rows/s on our index rows
    const db: Db = new Level<string, Uint8Array>(path, { valueEncoding: 'view', createIfMissing: opts.create ?? false, writeBufferSize: 32 * 1024 * 1024 })
    try {
      await db.open()
    } catch (err) {
      const cause = (err as { cause?: { code?: string, message?: string } }).cause
      if (cause?.code === 'LEVEL_LOCKED' || /lock/i.test(cause?.message ?? '')) {
        throw hfError(ErrorCodes.STORE_UNAVAILABLE, `the store at ${path} is in use by another process`, { locked: true }, err)
      }
      throw hfError(ErrorCodes.STORE_UNAVAILABLE, `cannot open the store at ${path}: ${cause?.message ?? (err as Error).message}`, undefined, err)
    }
    const store = new Store(db)
    await store.checkSchema()
    return store
  }

  private async checkSchema (): Promise<void> {
    const raw = await this.sub.meta.get('schema')
    if (raw === undefined) {
      await this.sub.meta.put('schema', Buffer.from(String(SCHEMA_VERSION)))
      return
    }
    const version = Number(Buffer.from(raw).toString())
    if (version !== SCHEMA_VERSION) {
      await this.db.close()
      throw hfError(ErrorCodes.STORE_VERSION,
        `the store was written by schema version ${version}; this hashfed reads version ${SCHEMA_VERSION}. Use a matching hashfed release (or export and re-import the lists)`,
        { found: version, expected: SCHEMA_VERSION })
    }
  }

  /** The bytes every key of sublevel `name` starts with in the database, for RawPut keys. */
  keyPrefix (name: SublevelName): Uint8Array {
    let prefix = this.prefixes.get(name)
    if (prefix === undefined) {
      prefix = Buffer.from(this.sub[name].prefix, 'utf8')
      this.prefixes.set(name, prefix)
    }
    return prefix
  }

  /**
   * Applies ops across sublevels atomically. The ops go straight into classic-level's own
   * native WriteBatch (the object behind `db.batch()`), one call per op with its key prefixed
   * here: abstract-level's `batch` clones every op and keeps the clones, their keys and values
   * alive until LevelDB has written them, so a 10,000-row write outlived the young generation
   * and was copied into the old one (~1/5 of an import's CPU was garbage collection); and
   * classic-level's array form (`_batch`) reads each op's type, key and value back through
   * seven N-API property look-ups, about twice the cost per op of a direct `_put` (measured,
   * ~0.7 µs a row). LevelDB copies the bytes synchronously; nothing of `ops` is held while the
   * write is in flight. We use no prewrite hooks or write events, which are all those paths
   * add besides encoding.
   */
  write (ops: StoreOp[]): Promise<void> {
    if (ops.length === 0) return Promise.resolve()
    if (this.db.status !== 'open') return this.db.batch(ops.flatMap(copiedPuts) as unknown as Array<AbstractBatchOperation<Db, string, Uint8Array>>) // its own error (or deferral)
    const batch = (this.db as unknown as { _chainedBatch: () => NativeBatch })._chainedBatch()
    for (let i = 0; i < ops.length; i++) {
      const op = ops[i]
      if ('sublevel' in op) {
        if (op.type === 'put') batch._put(op.sublevel.prefix + op.key, op.value)
        else batch._del(op.sublevel.prefix + op.key)
      } else if (op.type === 'made') {
        for (let j = 0; j < op.count; j++) batch._put(op.key(j), op.value(j))
      } else {
        batch._put(op.key, op.value) // a RawPut's key already holds its sublevel's prefix
      }
    }
    // close() after the write only detaches the batch from the database (it holds nothing else)
    return batch._write(NO_OPTIONS).finally(() => batch.close())
  }

  async count (name: SublevelName): Promise<number> {
    let n = 0
    for await (const _ of this.sub[name].keys()) n++
    return n
  }

  async close (): Promise<void> {
    await this.db.close()
  }
}

/** A MadePuts as RawPuts holding copies of its bytes (abstract-level's batch keeps its ops until written); other ops as they are. */
function copiedPuts (op: StoreOp): StoreOp[] {
  if (op.type !== 'made') return [op]
  return Array.from({ length: op.count }, (_, i): RawPut => ({ type: 'put', key: op.key(i).slice(), value: op.value(i).slice(), keyEncoding: 'view' }))
}
