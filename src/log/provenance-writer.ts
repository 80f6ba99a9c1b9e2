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
 * fifth of its time collecting them. Metadata the hand writer does not take (vPDQ frames,
 * non-ASCII text) and retracted rows take protobufjs.
 */
export class ProvenanceWriter {
  private readonly w = new ByteWriter(64 * 1024)
  private readonly ends: number[] = []

  add (row: ProvenanceFields): void {
    const size = row.retracted || row.retractedSeq !== 0 || row.retractReason !== '' ? -1 : entrySize(row.meta)
    if (size < 0) {
      this.raw(pb.Provenance.encode({ seq: row.seq, index: row.index, retracted: row.retracted, retractedSeq: row.retractedSeq, retractReason: row.retractReason, entry: row.meta }).finish())
      return
    }
    const w = this.w
    w.reserve(2 * 11 + 1 + varintSize(size) + size)
    if (row.seq !== 0) { w.byte(0x08); w.varint(row.seq) }
    if (row.index !== 0) { w.byte(0x10); w.varint(row.index) }
    w.byte(0x32) // field 6 (entry), length-delimited
    w.varint(size)
    const start = w.at
    writeEntry(w, row.meta)
    if (w.at - start !== size) throw new Error(`provenance writer wrote ${w.at - start} bytes of metadata, sized ${size}`)
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
