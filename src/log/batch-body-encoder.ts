import { pb, type hashfed } from '../proto/index.js'

type PbEntry = hashfed.v1.HashEntry.$Properties
type PbBody = hashfed.v1.BatchBody.$Properties

/**
 * pb.BatchBody.encode(body).finish(), byte for byte, written by hand into one buffer. An
 * import signs 10,000-entry batches: protobufjs allocates an object per field written and
 * per nested message (about eight per entry), which was a large part of an import's garbage.
 * Entries of the common shape (numbers, byte values, ASCII strings) are written here; any
 * other entry (vPDQ frames, non-ASCII text, unknown fields, numbers protobufjs would widen)
 * is encoded by protobufjs and copied, and a body with a key rotation goes to protobufjs
 * whole. A unit test holds the two equal over random bodies.
 */
export function encodeBatchBody (body: PbBody, parts?: BodyEntries): Uint8Array {
  if (parts !== undefined && body.rotation == null && plainHeader(body)) return encodeParts(body, parts)
  if (parts !== undefined) body = { ...body, entries: entriesOf(parts) }
  if (body.rotation != null || (body as { $unknowns?: unknown }).$unknowns != null || !plainHeader(body)) return pb.BatchBody.encode(body).finish()
  const entries = body.entries ?? []
  return encodeParts(body, { length: entries.length, pbAt: (i) => entries[i], algorithmAt: () => 0, valueAt: () => EMPTY, metaBytesAt: () => EMPTY })
}

/**
 * A body's entries one at a time, without an object per entry: each is a HashEntry, or
 * (pbAt null) a plain add given by its algorithm number, value and its metadata's own
 * HashEntry encoding (`pb.HashEntry.encode(meta)`, fields 4-11, shared by the adds that
 * carry the same metadata). An add's encoding is op, algorithm and value followed by its
 * metadata fields, so the bytes are those of the whole entry. Not for vPDQ (field 13).
 */
export interface BodyEntries {
  length: number
  pbAt: (i: number) => PbEntry | null
  algorithmAt: (i: number) => number
  valueAt: (i: number) => Uint8Array
  metaBytesAt: (i: number) => Uint8Array
}

/** The entries of `parts` as HashEntry objects (a plain add decoded from its bytes): the slow path, and Batch.entries. */
export function entriesOf (parts: BodyEntries): PbEntry[] {
  const out = new Array<PbEntry>(parts.length)
  for (let i = 0; i < parts.length; i++) {
    const e = parts.pbAt(i)
    if (e !== null) { out[i] = e; continue }
    const meta = pb.HashEntry.decode(parts.metaBytesAt(i))
    out[i] = { ...pb.HashEntry.toObject(meta), op: pb.HashEntry.Op.ADD, algorithm: parts.algorithmAt(i), value: parts.valueAt(i) }
  }
  return out
}

const EMPTY = new Uint8Array(0)

function encodeParts (body: PbBody, parts: BodyEntries): Uint8Array {
  // pass 1: each entry's size (or its protobufjs bytes), so the body is one allocation
  const n = parts.length
  const sizes = new Int32Array(n)
  const fallback = new Map<number, Uint8Array>()
  let total = headerSize(body)
  for (let i = 0; i < n; i++) {
    const e = parts.pbAt(i)
    if (e === null) {
      sizes[i] = plainAddSize(parts.algorithmAt(i), parts.valueAt(i), parts.metaBytesAt(i))
      total += 1 + varintSize(sizes[i]) + sizes[i]
      continue
    }
    let size = entrySize(e)
    if (size < 0) {
      const bytes = pb.HashEntry.encode(e).finish()
      fallback.set(i, bytes)
      size = bytes.length
    }
    sizes[i] = size
    total += 1 + varintSize(size) + size
  }
  const w = new ByteWriter(total)
  writeHeader(w, body)
  for (let i = 0; i < n; i++) {
    w.byte(0x32) // field 6 (entries), length-delimited
    w.varint(sizes[i])
    const bytes = fallback.get(i)
    if (bytes !== undefined) { w.bytes(bytes); continue }
    const e = parts.pbAt(i)
    if (e !== null) { writeEntry(w, e); continue }
    w.byte(0x08); w.byte(ADD) // op
    const algorithm = parts.algorithmAt(i)
    if (algorithm !== 0) { w.byte(0x10); w.varint(algorithm) }
    const value = parts.valueAt(i)
    if (value.length > 0) { w.byte(0x1a); w.varint(value.length); w.bytes(value) }
    w.bytes(parts.metaBytesAt(i))
  }
  if (w.at !== total) throw new Error(`batch body encoder wrote ${w.at} of ${total} bytes`)
  return w.buf
}

const ADD = pb.HashEntry.Op.ADD

function plainAddSize (algorithm: number, value: Uint8Array, meta: Uint8Array): number {
  if (!uint32(algorithm) || algorithm > 0x7fffffff) throw new Error(`algorithm number ${algorithm} is not a plain enum value`)
  return 2 + (algorithm === 0 ? 0 : 1 + varintSize(algorithm)) + (value.length === 0 ? 0 : 1 + varintSize(value.length) + value.length) + meta.length
}

/** Header fields are numbers and byte arrays (as buildBatch gives them). */
function plainHeader (b: PbBody): boolean {
  return uint(b.version) && uint(b.seq) && uint(b.createdMs) && bytesOrAbsent(b.origin) && bytesOrAbsent(b.prevHash)
}

function headerSize (b: PbBody): number {
  let n = 0
  if (b.version != null && b.version !== 0) n += 1 + varintSize(b.version)
  if (b.origin != null && b.origin.length > 0) n += 1 + varintSize(b.origin.length) + b.origin.length
  if (b.seq != null && b.seq !== 0) n += 1 + varintSize(b.seq as number)
  if (b.prevHash != null && b.prevHash.length > 0) n += 1 + varintSize(b.prevHash.length) + b.prevHash.length
  if (b.createdMs != null && b.createdMs !== 0) n += 1 + varintSize(b.createdMs as number)
  return n
}

function writeHeader (w: ByteWriter, b: PbBody): void {
  if (b.version != null && b.version !== 0) { w.byte(0x08); w.varint(b.version) }
  if (b.origin != null && b.origin.length > 0) { w.byte(0x12); w.varint(b.origin.length); w.bytes(b.origin) }
  if (b.seq != null && b.seq !== 0) { w.byte(0x18); w.varint(b.seq as number) }
  if (b.prevHash != null && b.prevHash.length > 0) { w.byte(0x22); w.varint(b.prevHash.length); w.bytes(b.prevHash) }
  if (b.createdMs != null && b.createdMs !== 0) { w.byte(0x28); w.varint(b.createdMs as number) }
}

/** The encoded size of an entry of the common shape, or -1 when protobufjs must encode it. */
export function entrySize (e: PbEntry): number {
  if (e.vpdq != null || (e as { $unknowns?: unknown }).$unknowns != null) return -1
  let n = 0
  let s: number
  if ((s = enumSize(e.op)) < 0) return -1
  n += s
  if ((s = enumSize(e.algorithm)) < 0) return -1
  n += s
  if (e.value != null) {
    if (!(e.value instanceof Uint8Array)) return -1
    if (e.value.length > 0) n += 1 + varintSize(e.value.length) + e.value.length
  }
  if (e.quality != null) { if (!uint32(e.quality)) return -1; n += 1 + varintSize(e.quality) }
  if ((s = enumSize(e.classification)) < 0) return -1
  n += s
  if ((s = stringSize(e.iwfCategory)) < 0) return -1
  n += s
  if (e.vicsCategory != null) { if (!uint32(e.vicsCategory)) return -1; n += 1 + varintSize(e.vicsCategory) }
  if ((s = stringSize(e.ageBand)) < 0) return -1
  n += s
  if ((s = enumSize(e.media)) < 0) return -1
  n += s
  if (e.tags != null) {
    for (const tag of e.tags) {
      if (typeof tag !== 'string' || !ascii(tag)) return -1
      n += 1 + varintSize(tag.length) + tag.length // written even when empty
    }
  }
  if ((s = stringSize(e.source)) < 0) return -1
  n += s
  if ((s = stringSize(e.reason)) < 0) return -1
  n += s
  return n
}

/** Writes an entry entrySize accepted (its size is what entrySize said). */
export function writeEntry (w: ByteWriter, e: PbEntry): void {
  if (e.op != null && e.op !== 0) { w.byte(0x08); w.varint(e.op) }
  if (e.algorithm != null && e.algorithm !== 0) { w.byte(0x10); w.varint(e.algorithm) }
  if (e.value != null && e.value.length > 0) { w.byte(0x1a); w.varint(e.value.length); w.bytes(e.value) }
  if (e.quality != null) { w.byte(0x20); w.varint(e.quality) }
  if (e.classification != null && e.classification !== 0) { w.byte(0x28); w.varint(e.classification) }
  if (e.iwfCategory != null && e.iwfCategory !== '') w.string(0x32, e.iwfCategory)
  if (e.vicsCategory != null) { w.byte(0x38); w.varint(e.vicsCategory) }
  if (e.ageBand != null && e.ageBand !== '') w.string(0x42, e.ageBand)
  if (e.media != null && e.media !== 0) { w.byte(0x48); w.varint(e.media) }
  if (e.tags != null) for (const tag of e.tags) w.string(0x52, tag)
  if (e.source != null && e.source !== '') w.string(0x5a, e.source)
  if (e.reason != null && e.reason !== '') w.string(0x62, e.reason)
}

/** Size of an int32 enum field, 0 when absent or 0, -1 for a value protobufjs would write as ten bytes (or not an integer). */
function enumSize (v: number | null | undefined): number {
  if (v == null || v === 0) return 0
  if (!uint32(v) || v > 0x7fffffff) return -1
  return 1 + varintSize(v)
}

/** Size of a proto3 string field, 0 when absent or empty, -1 when not plain ASCII text. */
function stringSize (v: string | null | undefined): number {
  if (v == null || v === '') return 0
  if (typeof v !== 'string' || !ascii(v)) return -1
  return 1 + varintSize(v.length) + v.length
}

function ascii (s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 127) return false
  return true
}

function uint32 (v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 0xffffffff
}

function uint (v: unknown): boolean {
  return v == null || (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0)
}

function bytesOrAbsent (v: unknown): boolean {
  return v == null || v instanceof Uint8Array
}

export function varintSize (n: number): number {
  let size = 1
  while (n > 127) { n = Math.floor(n / 128); size++ }
  return size
}

/** Writes into a buffer of the exact final size (or one grown with `reserve`). */
export class ByteWriter {
  buf: Buffer
  at = 0
  constructor (size: number) { this.buf = Buffer.allocUnsafe(size) }
  /** Room for `n` more bytes: a larger buffer, the bytes so far copied, when there is not. */
  reserve (n: number): void {
    if (this.at + n <= this.buf.length) return
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.at + n))
    this.buf.copy(next, 0, 0, this.at)
    this.buf = next
  }

  byte (b: number): void { this.buf[this.at++] = b }
  bytes (b: Uint8Array): void { this.buf.set(b, this.at); this.at += b.length }
  varint (n: number): void {
    while (n > 127) {
      this.buf[this.at++] = (n % 128) | 128
      n = Math.floor(n / 128)
    }
    this.buf[this.at++] = n
  }

  /** An ASCII string field (checked by the size pass); short ones copied here, cheaper than a Buffer#write call. */
  string (tag: number, s: string): void {
    this.byte(tag)
    this.varint(s.length)
    if (s.length > 24) {
      this.at += this.buf.write(s, this.at, 'latin1')
      return
    }
    const buf = this.buf
    let at = this.at
    for (let i = 0; i < s.length; i++) buf[at++] = s.charCodeAt(i)
    this.at = at
  }
}
