import { pb, type hashfed } from '../proto/index.js'

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
 * pb.Provenance.encode writes. A current row (the whole of an import) is written by hand:
 * protobufjs allocates an object per field and per nested message, about a dozen per row,
 * and a million-row import spent a fifth of its time collecting them. Each distinct
 * metadata object is encoded once (an import's rows share theirs); retracted rows take
 * protobufjs.
 */
export class ProvenanceWriter {
  private buf = Buffer.allocUnsafe(64 * 1024)
  private len = 0
  private readonly ends: number[] = []
  private readonly metaBytes = new Map<PbEntry, Uint8Array>()

  add (row: ProvenanceFields): void {
    if (row.retracted || row.retractedSeq !== 0 || row.retractReason !== '') {
      this.raw(pb.Provenance.encode({ seq: row.seq, index: row.index, retracted: row.retracted, retractedSeq: row.retractedSeq, retractReason: row.retractReason, entry: row.meta }).finish())
      return
    }
    this.addCurrent(row.seq, row.index, row.meta)
  }

  /** A current row (not retracted, no retraction fields): `add` without a row object. */
  addCurrent (seq: number, index: number, rowMeta: PbEntry): void {
    let meta = this.metaBytes.get(rowMeta)
    if (meta === undefined) {
      meta = pb.HashEntry.encode(rowMeta).finish()
      this.metaBytes.set(rowMeta, meta)
    }
    this.reserve(2 * 10 + 1 + 5 + meta.length)
    if (seq !== 0) { this.buf[this.len++] = 0x08; this.varint(seq) }
    if (index !== 0) { this.buf[this.len++] = 0x10; this.varint(index) }
    this.buf[this.len++] = 0x32 // field 6 (entry), length-delimited
    this.varint(meta.length)
    this.buf.set(meta, this.len)
    this.len += meta.length
    this.ends.push(this.len)
  }

  /** The encoded rows, in the order added (views into one buffer). */
  finish (): Uint8Array[] {
    const out = new Array<Uint8Array>(this.ends.length)
    let start = 0
    for (let i = 0; i < this.ends.length; i++) {
      out[i] = new Uint8Array(this.buf.buffer, this.buf.byteOffset + start, this.ends[i] - start) // a plain view, cheaper than Buffer#subarray
      start = this.ends[i]
    }
    return out
  }

  private raw (bytes: Uint8Array): void {
    this.reserve(bytes.length)
    this.buf.set(bytes, this.len)
    this.len += bytes.length
    this.ends.push(this.len)
  }

  /** An unsigned varint of a safe integer (uint32 and uint64 fields alike). */
  private varint (n: number): void {
    while (n > 127) {
      this.buf[this.len++] = (n % 128) | 128
      n = Math.floor(n / 128)
    }
    this.buf[this.len++] = n
  }

  private reserve (n: number): void {
    if (this.len + n <= this.buf.length) return
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.len + n))
    this.buf.copy(next, 0, 0, this.len)
    this.buf = next
  }
}
