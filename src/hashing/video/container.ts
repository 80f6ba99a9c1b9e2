/** Box types an ISO BMFF or QuickTime file can open with. */
const TOP_LEVEL = new Set(['ftyp', 'wide', 'free', 'skip', 'pnot', 'mdat', 'moov'])

/**
 * Whether FFmpeg must be able to seek in these bytes to read them: an ISO BMFF file (MP4,
 * MOV, 3GP) whose index (`moov` box) comes after its media data (`mdat`) cannot be decoded
 * from a pipe, since the demuxer needs the index before the first frame. Such bytes are
 * served to FFmpeg over a loopback HTTP server with range requests instead (loopback.ts).
 * Other containers (Matroska/WebM, AVI, MPEG-TS, FLV, ...) and "fast start" MP4s stream.
 */
export function needsSeeking (bytes: Uint8Array): boolean {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  let offset = 0
  let first = true
  while (offset + 8 <= bytes.length) {
    let size = view.getUint32(offset)
    const type = String.fromCharCode(bytes[offset + 4], bytes[offset + 5], bytes[offset + 6], bytes[offset + 7])
    // not ISO BMFF / QuickTime: other containers stream (old QuickTime files open with `wide` or `mdat`, no `ftyp`)
    if (first && !TOP_LEVEL.has(type)) return false
    first = false
    if (type === 'moov') return false
    if (type === 'mdat') return true
    if (size === 1) {
      if (offset + 16 > bytes.length) return false
      size = Number(view.getBigUint64(offset + 8))
    } else if (size === 0) {
      return false // box runs to the end of the file: no moov after it
    }
    if (size < 8) return false
    offset += size
  }
  return false
}
