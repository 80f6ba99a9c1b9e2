import protobuf from 'protobufjs/minimal.js'
import { isHashfedError } from '../errors.js'
import { pb, type hashfed } from '../proto/index.js'
import { batchError } from './batch.js'
import { BATCH_VERSION, MAX_BATCH_ENTRIES } from './constants.js'
import { u64 } from './uint64.js'

// Protobuf wire types (https://protobuf.dev/programming-guides/encoding/).
const VARINT = 0
const LEN = 2

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

  /** The value's bytes (a view into the batch, not a copy; empty when absent). */
  value (): Uint8Array {
    return this.bytes.subarray(this.valueStart, this.valueEnd)
  }

  /** The whole entry decoded (metadata, vpdq frames): for the rare entry that needs more than op, algorithm and value. */
  decode (): hashfed.v1.HashEntry {
    return pb.HashEntry.decode(this.bytes.subarray(this.entryStart, this.entryEnd))
  }
}

/**
 * Visits every entry of a stored Signed batch straight off its bytes: no object per entry, no
 * copy of the body, no batch hash. The index load at start reads millions of entries this way;
 * `decodeBatch` builds a full object per entry (metadata strings included), which cost most
 * of the load.
 *
 * It reads with protobufjs's own Reader and the generated decoders' rules, so every batch
 * `decodeBatch` accepts reads the same here: a field with the wrong wire type is skipped as
 * unknown, a scalar given twice keeps the last value, an entry's fields stay within its
 * length, unknown fields (groups too) are skipped with `skipType`. A field this scan does not
 * need is skipped rather than decoded; for the bytes `decodeBatch` accepts that consumes the
 * same bytes. Checks the version, seq and entry count as `decodeBatch` does; the signature,
 * chain and entry rules were checked when the batch was stored (`hashfed verify` re-checks).
 * Returns the batch's seq and its number of entries. Throws INVALID_BATCH 'malformed' (or
 * 'too-large') on bytes that do not read.
 */
export function scanBatch (signed: Uint8Array, visit: (entry: ScannedEntry) => void): { seq: number, entries: number, prevHash: Uint8Array } {
  let visiting = false
  try {
    // Signed: the last non-empty `body` (field 1)
    const outer = protobuf.Reader.create(signed)
    let bodyStart = 0
    let bodyEnd = 0
    while (outer.pos < outer.len) {
      const tag = outer.tag()
      const field = tag >>> 3
      const wireType = tag & 7
      if (field === 1 && wireType === LEN) {
        const [start, end] = lengthDelimited(outer)
        if (end > start) { bodyStart = start; bodyEnd = end } else { bodyStart = bodyEnd = 0 }
      } else {
        outer.skipType(wireType, 0, field)
      }
    }
    const body = signed.subarray(bodyStart, bodyEnd)

    // BatchBody, first its own fields (in any order), then its entries
    const r = protobuf.Reader.create(body)
    let version = 0
    let seq = 0
    let count = 0
    let prevHash = body.subarray(0, 0)
    while (r.pos < r.len) {
      const tag = r.tag()
      const field = tag >>> 3
      const wireType = tag & 7
      if (field === 1 && wireType === VARINT) version = r.uint32()
      else if (field === 4 && wireType === LEN) {
        const [start, end] = lengthDelimited(r)
        prevHash = body.subarray(start, end)
      }
      else if (field === 3 && wireType === VARINT) seq = u64(r.uint64() as unknown as number | { toNumber: () => number })
      else {
        if (field === 6 && wireType === LEN) count++
        r.skipType(wireType, 0, field)
      }
    }
    if (version !== BATCH_VERSION) throw batchError('malformed', `unsupported batch version ${version} (this node reads ${BATCH_VERSION})`)
    if (!Number.isSafeInteger(seq) || seq < 1) throw batchError('malformed', `batch seq must be 1 or more, got ${seq}`)
    if (count > MAX_BATCH_ENTRIES) throw batchError('too-large', `a batch holds at most ${MAX_BATCH_ENTRIES} entries, got ${count}`)
    const entry = new ScannedEntry()
    entry.bytes = body
    entry.seq = seq
    r.pos = 0
    while (r.pos < r.len) {
      const tag = r.tag()
      const field = tag >>> 3
      const wireType = tag & 7
      if (field === 6 && wireType === LEN) {
        readEntry(r, r.size(), entry)
        visiting = true
        visit(entry)
        visiting = false
      } else {
        r.skipType(wireType, 0, field)
      }
    }
    return { seq, entries: count, prevHash }
  } catch (err) {
    // the visitor's errors and ours pass as they are; the Reader's mean bytes that do not read
    if (visiting || isHashfedError(err)) throw err
    throw batchError('malformed', `the stored batch does not read: ${(err as Error).message}`, err)
  }
}

/** The range of a length-delimited field's bytes, leaving the reader after them (Reader#bytes without the copy). */
function lengthDelimited (r: protobuf.Reader): [number, number] {
  const length = r.size()
  const start = r.pos
  const end = start + length
  if (end > r.len) throw new RangeError(`index out of range: ${start} + ${length} > ${r.len}`)
  r.pos = end
  return [start, end]
}

/** Reads one HashEntry of `length` bytes as HashEntry.decode would (depth 1), keeping op, algorithm and the value's range. */
function readEntry (r: protobuf.Reader, length: number, entry: ScannedEntry): void {
  const end = r.pos + length
  if (end > r.len) throw new RangeError('index out of range')
  const outerLen = r.len
  r.len = end
  entry.entryStart = r.pos
  entry.entryEnd = end
  entry.op = 0
  entry.algorithm = 0
  entry.valueStart = entry.valueEnd = 0
  while (r.pos < end) {
    const tag = r.tag()
    const field = tag >>> 3
    const wireType = tag & 7
    if (field === 1 && wireType === VARINT) entry.op = r.int32()
    else if (field === 2 && wireType === VARINT) entry.algorithm = r.int32()
    else if (field === 3 && wireType === LEN) {
      const size = r.size()
      const start = r.pos
      if (start + size > r.len) throw new RangeError('index out of range')
      r.pos = start + size
      // an empty value leaves the field absent, as protobufjs does
      if (size > 0) { entry.valueStart = start; entry.valueEnd = start + size } else { entry.valueStart = entry.valueEnd = 0 }
    } else r.skipType(wireType, 1, field)
  }
  if (r.pos !== end) throw new RangeError('index out of range')
  r.len = outerLen
}
