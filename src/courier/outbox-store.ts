import { pb, type hashfed } from '../proto/index.js'
import { peerIdFromBytes } from '../identity/identity.js'
import type { BatchOp, Store } from '../store/store.js'
import { messageRecord, type EnvelopeInit, type MessageKind } from './envelope.js'
import type { Signed } from './signed-record.js'
import type { SetAside } from './set-aside.js'

export type OutboxItem = hashfed.v1.OutboxItem

/** An outbox item that decodes and can be sent: its target parsed, its record found. */
export interface ReadItem {
  /** the row's key */
  id: string
  item: OutboxItem
  target: string
  kind: MessageKind
  signed: Signed
  createdMs: number
}

/**
 * The outbox rows (sublevel `outbox`, one OutboxItem per message, keyed by kind and body
 * hash). A row that does not decode into something sendable is set aside, not skipped.
 */
export class OutboxStore {
  constructor (private readonly store: Store, private readonly setAside: SetAside) {}

  putOp (item: hashfed.v1.OutboxItem.$Properties & { id: string }): BatchOp {
    return { type: 'put', sublevel: this.store.sub.outbox, key: item.id, value: pb.OutboxItem.encode(item).finish() }
  }

  delOp (id: string): BatchOp {
    return { type: 'del', sublevel: this.store.sub.outbox, key: id }
  }

  /** The item `id`; null when it is gone, or was damaged and has just been set aside. */
  async get (id: string): Promise<ReadItem | null> {
    const raw = await this.store.sub.outbox.get(id)
    if (raw === undefined) return null
    const read = readItem(id, raw)
    if (typeof read === 'string') {
      await this.setAside.keep('outbox', id, raw, read)
      return null
    }
    return read
  }

  /** The items `ids` in one read, in their order (null: gone, or damaged and set aside). */
  async getMany (ids: string[]): Promise<Array<ReadItem | null>> {
    const raws = await this.store.sub.outbox.getMany(ids)
    const out: Array<ReadItem | null> = []
    for (let i = 0; i < ids.length; i++) {
      const raw = raws[i]
      const read = raw === undefined ? null : readItem(ids[i], raw)
      if (typeof read === 'string') await this.setAside.keep('outbox', ids[i], raw!, read)
      out.push(typeof read === 'string' ? null : read)
    }
    return out
  }

  /** Every sendable item, oldest first; damaged rows are set aside on the way. */
  async load (): Promise<ReadItem[]> {
    const items: ReadItem[] = []
    const damaged: Array<[string, Uint8Array, string]> = []
    for await (const [id, raw] of this.store.sub.outbox.iterator()) {
      const read = readItem(id, raw)
      if (typeof read === 'string') damaged.push([id, raw, read])
      else items.push(read)
    }
    for (const [id, raw, why] of damaged) await this.setAside.keep('outbox', id, raw, why)
    return items.sort((a, b) => a.createdMs - b.createdMs)
  }

  /** Every sendable item, read only (a stopped node's listing changes nothing). */
  async * scan (): AsyncGenerator<ReadItem> {
    for await (const [id, raw] of this.store.sub.outbox.iterator()) {
      const read = readItem(id, raw)
      if (typeof read !== 'string') yield read
    }
  }

  /** Keeps attempts and the last error with the item (for listings and after restarts); best effort. */
  async saveFailure (item: OutboxItem): Promise<void> {
    await this.store.write([{ type: 'put', sublevel: this.store.sub.outbox, key: item.id, value: pb.OutboxItem.encode(item).finish() }]).catch(() => {})
  }
}

/** The item, or what is wrong with it. */
function readItem (id: string, raw: Uint8Array): ReadItem | string {
  let item: OutboxItem
  try {
    item = pb.OutboxItem.decode(raw)
  } catch (err) {
    return `does not decode: ${(err as Error).message}`
  }
  let target: string
  try {
    target = peerIdFromBytes(item.target).toString()
  } catch {
    return 'its target is not a peer ID'
  }
  const rec = item.message != null ? messageRecord(item.message as EnvelopeInit) : null
  if (rec === null) return 'carries no message'
  return { id, item, target, kind: rec.kind, signed: rec.signed, createdMs: millis(item.createdMs) }
}

/** A uint64 field as a number: protobufjs hands out a Long whenever `long` is installed. */
export function millis (value: number | { toNumber: () => number } | null | undefined): number {
  if (value === null || value === undefined) return 0
  return typeof value === 'number' ? value : value.toNumber()
}
