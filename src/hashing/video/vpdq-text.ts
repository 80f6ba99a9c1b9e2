import { hfError, ErrorCodes } from '../../errors.js'
import type { VpdqFeature } from './vpdq.js'
import { fixed3 } from '../../util/fixed3.js'

export { fixed3 }

/**
 * Meta's vPDQ text form (`vpdq/cpp/vpdq/cpp/io/vpdqio.cpp`), one hashed frame per line:
 * `frameNumber,quality,pdqHex,timestamp` with the timestamp printed as C's `%.3f`.
 */
export function formatVpdqText (features: readonly VpdqFeature[]): string {
  return features.map(f => `${f.frameNumber},${f.quality},${Buffer.from(f.hash).toString('hex')},${fixed3(f.timestamp)}\n`).join('')
}

/** Most lines read from one vPDQ text (a day of 30 fps hashed per frame is 2.6 M). */
export const VPDQ_TEXT_MAX_LINES = 3_000_000

/** Parses Meta's vPDQ text form; throws HF_INVALID_FORMAT naming the first bad line. */
export function parseVpdqText (text: string): VpdqFeature[] {
  const out: VpdqFeature[] = []
  const lines = text.split(/\r?\n/)
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n].trim()
    if (line === '') continue
    if (out.length === VPDQ_TEXT_MAX_LINES) throw hfError(ErrorCodes.TOO_LARGE, `vPDQ text over ${VPDQ_TEXT_MAX_LINES} lines`)
    const m = /^(\d{1,9}),(\d{1,3}),([0-9a-fA-F]{64}),(\d{1,9}(?:\.\d+)?)$/.exec(line)
    if (m === null || Number(m[2]) > 100) throw hfError(ErrorCodes.INVALID_FORMAT, `vPDQ line ${n + 1} is not "frame,quality,pdq-hex,timestamp"`, { line: n + 1 })
    out.push({ frameNumber: Number(m[1]), quality: Number(m[2]), hash: new Uint8Array(Buffer.from(m[3], 'hex')), timestamp: Number(m[4]) })
  }
  return out
}
