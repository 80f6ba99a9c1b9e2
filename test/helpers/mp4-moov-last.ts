// Rearranges a "fast start" MP4 (ftyp, moov, ..., mdat) into the camera layout with the index
// last (ftyp, ..., mdat, moov), in memory: the chunk offsets in every stco/co64 box move back
// by the size of the moov box. Such a file cannot be demuxed from a pipe.

interface Box { type: string, start: number, size: number }

function boxes (b: Buffer, from: number, to: number): Box[] {
  const out: Box[] = []
  for (let at = from; at + 8 <= to;) {
    const size = b.readUInt32BE(at)
    if (size < 8) throw new Error('unsupported box size')
    out.push({ type: b.toString('latin1', at + 4, at + 8), start: at, size })
    at += size
  }
  return out
}

const CONTAINERS = new Set(['moov', 'trak', 'mdia', 'minf', 'stbl'])

function shiftOffsets (b: Buffer, from: number, to: number, by: number): void {
  for (const box of boxes(b, from, to)) {
    if (CONTAINERS.has(box.type)) shiftOffsets(b, box.start + 8, box.start + box.size, by)
    else if (box.type === 'stco' || box.type === 'co64') {
      const count = b.readUInt32BE(box.start + 12)
      for (let i = 0; i < count; i++) {
        if (box.type === 'stco') {
          const at = box.start + 16 + 4 * i
          b.writeUInt32BE(b.readUInt32BE(at) + by, at)
        } else {
          const at = box.start + 16 + 8 * i
          b.writeBigUInt64BE(b.readBigUInt64BE(at) + BigInt(by), at)
        }
      }
    }
  }
}

export function moovLast (mp4: Uint8Array): Buffer {
  const src = Buffer.from(mp4)
  const top = boxes(src, 0, src.length)
  const moov = top.find(x => x.type === 'moov')
  if (moov === undefined || top.findIndex(x => x.type === 'moov') > top.findIndex(x => x.type === 'mdat')) throw new Error('not a fast-start MP4')
  const moovBytes = Buffer.from(src.subarray(moov.start, moov.start + moov.size))
  shiftOffsets(moovBytes, 8, moovBytes.length, -moov.size)
  const rest = top.filter(x => x !== moov).map(x => src.subarray(x.start, x.start + x.size))
  return Buffer.concat([...rest, moovBytes])
}
