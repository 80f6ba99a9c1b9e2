import { pb, type hashfed } from '../proto/index.js'
import { batchError } from './batch.js'
import { BATCH_VERSION, MAX_BATCH_ENTRIES } from './constants.js'

// Protobuf wire types (https://protobuf.dev/programming-guides/encoding/).
const VARINT = 0
const I64 = 1
const LEN = 2
const I32 = 5

/**
 * The entry under the cursor of `scanBatch`. Reused for every entry of a scan: read its
 * fields inside the visitor, and copy what must outlive the call.
 */
export class ScannedEntry {
  /** the batch's seq */
  seq = 0
  /** HashEntry.Op number (0 when absent) */
  op = 0
  /** Algorithm enum number (0 when absent) */
  algorithm = 0
  /** the batch body; the value and the whole entry are ranges of it */
  bytes: Uint8Array = new Uint8Array(0)
  valueStart = 0
  valueEnd = 0
  entryStart = 0
  entryEnd = 0

  /** The value's bytes (a view into the batch, not a copy). */
  value (): Uint8Array {
    return this.bytes.subarray(this.valueStart, this.valueEnd)
  }

  /** The whole entry decoded (metadata, vpdq frames): for the rare entry that needs more than op, algorithm and value. */
  decode (): hashfed.v1.HashEntry {
    return pb.HashEntry.decode(this.bytes.subarray(this.entryStart, this.entryEnd))
  }
}

/** Where the reader is: one object per scan, so reading a varint allocates nothing. */
class Wire {
  pos: number
  constructor (readonly bytes: Uint8Array, start: number, public end: number) { this.pos = start }

  /** A varint as a number: exact up to 2^53, which covers seq (a safe integer) and enums. */
  varint (): number {
    const b = this.bytes
    let result = 0
    let scale = 1
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw batchError('malformed', 'a varint runs past the end of its message')
      const byte = b[this.pos++]
      result += (byte & 0x7f) * scale
      if (byte < 0x80) return result
      scale *= 128
    }
    throw batchError('malformed', 'a varint is longer than 10 bytes')
  }

  /** The end of a length-delimited field whose length is next; `pos` is left at its start. */
  lengthEnd (): number {
    const length = this.varint()
    const end = this.pos + length
    if (end > this.end) throw batchError('malformed', 'a field runs past the end of its message')
    return end
  }

  skip (wireType: number): void {
    if (wireType === VARINT) this.varint()
    else if (wireType === LEN) this.pos = this.lengthEnd()
    else if (wireType === I64) this.pos += 8
    else if (wireType === I32) this.pos += 4
    else throw batchError('malformed', `wire type ${wireType} is not used by hashfed messages`)
    if (this.pos > this.end) throw batchError('malformed', 'a field runs past the end of its message')
  }
}

/** A varint's low 32 bits as a signed number: what protobufjs gives an enum field. */
function int32 (v: number): number {
  return (v % 2 ** 32) | 0
}

/**
 * Visits every entry of a stored Signed batch straight off its bytes: no object per entry, no
 * copy of the body, no batch hash. The index load at start reads millions of entries this way;
 * `decodeBatch` builds a full object per entry (metadata strings included), which costs most
 * of the load. Same reading as protobufjs: a repeated scalar field keeps its last value,
 * unknown fields are skipped. Checks the version, seq and entry limit as `decodeBatch` does;
 * the signature and chain were checked when the batch was stored (`hashfed verify` re-checks).
 * Returns the batch's seq and its number of entries.
 */
export function scanBatch (signed: Uint8Array, visit: (entry: ScannedEntry) => void): { seq: number, entries: number } {
  // the Signed envelope: the body field's range
  const outer = new Wire(signed, 0, signed.length)
  let bodyStart = 0
  let bodyEnd = 0
  while (outer.pos < outer.end) {
    const tag = outer.varint()
    if (tag >>> 3 === 1 && (tag & 7) === LEN) {
      bodyEnd = outer.lengthEnd()
      bodyStart = outer.pos
      outer.pos = bodyEnd
    } else {
      outer.skip(tag & 7)
    }
  }
  // first the batch's own fields (they may come in any order), then its entries
  const w = new Wire(signed, bodyStart, bodyEnd)
  let version = 0
  let seq = 0
  let count = 0
  while (w.pos < w.end) {
    const tag = w.varint()
    const field = tag >>> 3
    const wireType = tag & 7
    if (field === 1 && wireType === VARINT) version = w.varint()
    else if (field === 3 && wireType === VARINT) seq = w.varint()
    else {
      if (field === 6 && wireType === LEN) count++
      w.skip(wireType)
    }
  }
  if (version !== BATCH_VERSION) throw batchError('malformed', `unsupported batch version ${version} (this node reads ${BATCH_VERSION})`)
  if (!Number.isSafeInteger(seq) || seq < 1) throw batchError('malformed', `batch seq must be 1 or more, got ${seq}`)
  if (count > MAX_BATCH_ENTRIES) throw batchError('too-large', `a batch holds at most ${MAX_BATCH_ENTRIES} entries, got ${count}`)
  const entry = new ScannedEntry()
  entry.bytes = signed
  entry.seq = seq
  w.pos = bodyStart
  while (w.pos < w.end) {
    const tag = w.varint()
    if (tag >>> 3 === 6 && (tag & 7) === LEN) {
      const end = w.lengthEnd()
      readEntry(w, end, entry)
      visit(entry)
    } else {
      w.skip(tag & 7)
    }
  }
  return { seq, entries: count }
}

/** Reads one HashEntry's op, algorithm and value range into `entry`; leaves `w` after it. */
function readEntry (w: Wire, end: number, entry: ScannedEntry): void {
  const outerEnd = w.end
  entry.entryStart = w.pos
  entry.entryEnd = end
  entry.op = 0
  entry.algorithm = 0
  entry.valueStart = entry.valueEnd = w.pos
  // the entry's own bound, so a field cannot run into the next entry
  w.end = end
  while (w.pos < end) {
    const tag = w.varint()
    const field = tag >>> 3
    const wireType = tag & 7
    if (field === 1 && wireType === VARINT) entry.op = int32(w.varint())
    else if (field === 2 && wireType === VARINT) entry.algorithm = int32(w.varint())
    else if (field === 3 && wireType === LEN) {
      entry.valueEnd = w.lengthEnd()
      entry.valueStart = w.pos
      w.pos = entry.valueEnd
    } else w.skip(wireType)
  }
  w.end = outerEnd
}
