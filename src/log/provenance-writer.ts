import { pb, type hashfed } from '../proto/index.js'
import { ByteWriter, entrySize, varintSize, writeEntry } from './batch-body-encoder.js'

type PbEntry = hashfed.v1.HashEntry.$Properties

/** The fields of one index row as RowTracker keeps them. */
export interface ProvenanceFields {
  seq: number
  index: number
  retracted: boolean
  retractedSeq: number
  retractReason: string
  meta: PbEntry
}

/**
 * Encodes the Provenance rows of one write into one buffer, byte for byte what
 * pb.Provenance.encode writes. A current row (the whole of an import or of an initial sync)
 * is written by hand, its metadata included (batch-body-encoder's entry writer: a row's
 * metadata is a HashEntry without op, algorithm and value): protobufjs allocates an object
 * per field and per nested message, about a dozen per row, and a million-row import spent a
 * fifth of its time collecting them; rows that share a metadata object (an import's) share its
 * bytes, encoded once. Metadata the hand writer does not take (vPDQ frames,
 * non-ASCII text) and retracted rows take protobufjs.
 */
export class ProvenanceWriter {
  private readonly w = new ByteWriter(64 * 1024)
  private readonly ends: number[] = []
  /** the metadata of the last current row and where its bytes lie in the buffer */
  private last: PbEntry | undefined
  private lastStart = 0
  private lastEnd = 0

  add (row: ProvenanceFields): void {
    if (row.retracted || row.retractedSeq !== 0 || row.retractReason !== '') {
      this.raw(pb.Provenance.encode({ seq: row.seq, index: row.index, retracted: row.retracted, retractedSeq: row.retractedSeq, retractReason: row.retractReason, entry: row.meta }).finish())
      return
    }
    this.addCurrent(row.seq, row.index, row.meta)
  }

  /** A current row (not retracted, no retraction fields): `add` without a row object. */
  addCurrent (seq: number, index: number, meta: PbEntry): void {
    const w = this.w
    // an import's adds share one metadata object: its bytes are copied from the row before
    const again = meta === this.last
    let bytes: Uint8Array | undefined
    const size = again ? this.lastEnd - this.lastStart : entrySize(meta)
    if (size < 0) bytes = pb.HashEntry.encode(meta).finish()
    const length = bytes?.length ?? size
    w.reserve(2 * 11 + 1 + varintSize(length) + length)
    if (seq !== 0) { w.byte(0x08); w.varint(seq) }
    if (index !== 0) { w.byte(0x10); w.varint(index) }
    w.byte(0x32) // field 6 (entry), length-delimited
    w.varint(length)
    const start = w.at
    if (again) {
      w.buf.copyWithin(start, this.lastStart, this.lastEnd)
      w.at += length
    } else if (bytes !== undefined) {
      w.bytes(bytes)
    } else {
      writeEntry(w, meta)
      if (w.at - start !== size) throw new Error(`provenance writer wrote ${w.at - start} bytes of metadata, sized ${size}`)
    }
    this.last = meta
    this.lastStart = start
    this.lastEnd = w.at
    this.ends.push(w.at)
  }

  /** The encoded rows, in the order added (views into one buffer). */
  finish (): Uint8Array[] {
    const out = new Array<Uint8Array>(this.ends.length)
    const buf = this.w.buf
    let start = 0
    for (let i = 0; i < this.ends.length; i++) {
      out[i] = new Uint8Array(buf.buffer, buf.byteOffset + start, this.ends[i] - start) // a plain view, cheaper than Buffer#subarray
      start = this.ends[i]
    }
    return out
  }

  private raw (bytes: Uint8Array): void {
    this.w.reserve(bytes.length)
    this.w.bytes(bytes)
    this.ends.push(this.w.at)
  }
}

/** Room for a current row's seq and index fields and its metadata's tag and length (varints of at most 11 bytes). */
const HEAD_ROOM = 2 * 11 + 1 + 11

/**
 * ProvenanceWriter's current rows, one at a time into one scratch buffer, for puts LevelDB
 * copies as they are made (Store's MadePuts): the metadata bytes stay where they are while
 * rows share a metadata object (an import's all do), each row's seq, index, tag and length are
 * written just before them, and the row is a view kept per head length. The returned view is
 * valid until the next call.
 */
export class CurrentRowWriter {
  private readonly w = new ByteWriter(1024)
  private meta: PbEntry | undefined
  private metaEnd = HEAD_ROOM
  /** views of the row for the current metadata, by the length of its head */
  private views: Array<Uint8Array | undefined> = []

  row (seq: number, index: number, meta: PbEntry): Uint8Array {
    if (meta !== this.meta) this.setMeta(meta)
    const metaLength = this.metaEnd - HEAD_ROOM
    const headLength = (seq !== 0 ? 1 + varintSize(seq) : 0) + (index !== 0 ? 1 + varintSize(index) : 0) + 1 + varintSize(metaLength)
    const w = this.w
    const start = HEAD_ROOM - headLength
    w.at = start
    if (seq !== 0) { w.byte(0x08); w.varint(seq) }
    if (index !== 0) { w.byte(0x10); w.varint(index) }
    w.byte(0x32) // field 6 (entry), length-delimited
    w.varint(metaLength)
    let view = this.views[headLength]
    if (view === undefined) {
      view = new Uint8Array(w.buf.buffer, w.buf.byteOffset + start, this.metaEnd - start)
      this.views[headLength] = view
    }
    return view
  }

  private setMeta (meta: PbEntry): void {
    const w = this.w
    const size = entrySize(meta)
    const bytes = size < 0 ? pb.HashEntry.encode(meta).finish() : undefined
    w.at = HEAD_ROOM
    w.reserve(bytes?.length ?? size)
    if (bytes !== undefined) w.bytes(bytes)
    else {
      writeEntry(w, meta)
      if (w.at - HEAD_ROOM !== size) throw new Error(`provenance writer wrote ${w.at - HEAD_ROOM} bytes of metadata, sized ${size}`)
    }
    this.meta = meta
    this.metaEnd = w.at
    this.views = []
  }
}
