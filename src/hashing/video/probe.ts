import { hfError, ErrorCodes } from '../../errors.js'

/** What FFmpeg reports about a video's first video stream. */
export interface VideoInfo {
  width: number
  height: number
  /** frames per second: the stream's average rate, else its base rate, as the reference takes it */
  fps: number
  /** seconds, when the container says */
  durationSeconds?: number
  /** the demuxer FFmpeg chose (e.g. "mov,mp4,m4a,3gp,3g2,mj2") */
  container: string
  /** the decoder's pixel format as printed, with its colour tags (e.g. "yuv420p", "yuv420p(tv, bt709)") */
  pixelFormat: string
}

// "    Stream #0:0(und): Video: h264 (Main) (avc1 / 0x31637661), yuv420p, 480x720, 827 kb/s, 30 fps, ..."
// Anchored at a line start with only spaces before it: metadata values (a title carrying a
// newline) print as indented "key : value" lines and cannot forge a stream line.
const STREAM_LINE = /^ {2,}Stream #0:\d+(?:\[0x[0-9a-f]+\])?(?:\([^)]*\))?: Video: (.*)$/m
const INPUT_LINE = /^Input #0, ([^ ]+), from /m
const DURATION_LINE = /^ {2}Duration: (\d+):(\d{2}):(\d{2}(?:\.\d+)?),/m

/**
 * Reads the stream description FFmpeg prints for its input (`ffmpeg -i INPUT` without an
 * output): no ffprobe is shipped beside the npm FFmpeg. Throws HF_INVALID_VIDEO when the
 * input did not open or holds no video stream with a size and a frame rate.
 */
export function parseVideoInfo (stderr: string): VideoInfo {
  const input = INPUT_LINE.exec(stderr)
  if (input === null) throw hfError(ErrorCodes.INVALID_VIDEO, `not a video FFmpeg can open: ${lastLine(stderr)}`, { reason: 'open' })
  const stream = STREAM_LINE.exec(stderr)
  if (stream === null) throw hfError(ErrorCodes.INVALID_VIDEO, 'the file holds no video stream', { reason: 'no-video' })
  let width = 0
  let height = 0
  let fps = 0
  let tbr = 0
  for (const part of splitTopLevel(stream[1])) {
    const size = /^(\d{1,6})x(\d{1,6})(?: \[.*\])?$/.exec(part)
    if (size !== null && width === 0) {
      width = Number(size[1])
      height = Number(size[2])
    }
    const rate = /^(\d+(?:\.\d+)?)(k?) (fps|tbr)$/.exec(part)
    if (rate !== null) {
      const value = Number(rate[1]) * (rate[2] === 'k' ? 1000 : 1)
      if (rate[3] === 'fps') fps = value
      else tbr = value
    }
  }
  const rate = exactRate(fps > 0 ? fps : tbr)
  if (width === 0 || height === 0) throw hfError(ErrorCodes.INVALID_VIDEO, 'the video stream has no frame size', { reason: 'no-size' })
  if (!(rate > 0)) throw hfError(ErrorCodes.INVALID_VIDEO, 'the video stream has no frame rate', { reason: 'no-rate' })
  // the part after the codec's: "yuv420p", "yuv420p(tv, bt709)", "yuvj420p(pc, progressive)"
  const parts = splitTopLevel(stream[1])
  const pixelFormat = parts.length > 1 && /^[a-z0-9_]+(?:\([^()]*\))?$/.test(parts[1]) ? parts[1] : ''
  const d = DURATION_LINE.exec(stderr)
  const durationSeconds = d === null ? undefined : Number(d[1]) * 3600 + Number(d[2]) * 60 + Number(d[3])
  return { width, height, fps: rate, durationSeconds, container: input[1].replace(/,$/, ''), pixelFormat }
}

/**
 * FFmpeg prints rates to 2 decimals: the NTSC family (30000/1001 as "29.97", 24000/1001 as
 * "23.98", 60000/1001 as "59.94") is restored exactly, since a timestamp is frame / rate
 * printed to the millisecond and 29.97 would drift from the reference's by then.
 */
export function exactRate (printed: number): number {
  if (Number.isInteger(printed)) return printed
  const n = Math.round(printed * 1.001)
  if (n > 0 && Math.abs(n / 1.001 - printed) < 0.006) return (n * 1000) / 1001
  return printed
}

/** Splits "a, b (c, d), e" at the commas outside parentheses and brackets. */
function splitTopLevel (s: string): string[] {
  const parts: string[] = []
  let depth = 0
  let start = 0
  for (let i = 0; i < s.length; i++) {
    const c = s[i]
    if (c === '(' || c === '[') depth++
    else if ((c === ')' || c === ']') && depth > 0) depth--
    else if (c === ',' && depth === 0) {
      parts.push(s.slice(start, i).trim())
      start = i + 1
    }
  }
  parts.push(s.slice(start).trim())
  return parts
}

function lastLine (stderr: string): string {
  const lines = stderr.trim().split('\n')
  return (lines[lines.length - 1] ?? '').slice(0, 200)
}

/**
 * Whether the decoder hands out plain yuv420p that swscale turns into RGB with the default
 * BT.601 limited-range matrix (what yuv420p.ts reproduces): no tags, or only tags naming
 * limited range, progressive scan or a BT.601 (or unknown) matrix. Anything else (BT.709,
 * full range, interlaced field order, other formats) keeps FFmpeg's own conversion.
 */
export function isPlainYuv420p (pixelFormat: string): boolean {
  const m = /^yuv420p(?:\(([^()]*)\))?$/.exec(pixelFormat)
  if (m === null) return false
  if (m[1] === undefined) return true
  return m[1].split(',').every(tag => {
    const t = tag.trim()
    return t === 'tv' || t === 'progressive' || ['smpte170m', 'bt470bg', 'unknown'].includes(t.split('/')[0])
  })
}
