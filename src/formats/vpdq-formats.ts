import type { HashRecord, ImportItem } from '../log/entry.js'
import { entryFrames, vpdqValue, type VpdqFrame } from '../log/vpdq-value.js'
import { fixed3 } from '../util/fixed3.js'
import type { HashListFormat, ParseInit } from './format.js'
import { textLines } from './input.js'
import { invalidFormat } from './invalid-format.js'
import { makeRecord, quote } from './record.js'
import { chunked } from './write-chunks.js'

/** A video's record: the deduplicated frames, their SHA-256 as value, media "video". */
export function vpdqRecord (features: readonly VpdqFrame[], init: ParseInit = {}): HashRecord {
  const frames = entryFrames(features)
  const record = makeRecord('vpdq', vpdqValue(frames), {}, { ...init, defaults: { media: 'video', ...init.defaults } })
  record.frames = frames
  return record
}

const TEXT_LINE = /^(\d{1,9}),(\d{1,3}),([0-9a-fA-F]{64}),(\d{1,9}(?:\.\d+)?)$/

/**
 * `vpdq-text`: Meta's vPDQ text form (`frame,quality,pdq-hex,timestamp`, one hashed frame a
 * line, what `hashfed hash --vpdq` prints) as one video. Several videos in one file are
 * separated by a blank line (what the writer does; a file of one video is exactly Meta's form).
 * Lines starting with `#` are skipped.
 */
export const vpdqTextFormat: HashListFormat = {
  name: 'vpdq-text',
  parse: parseVpdqText,
  write: async function * (records) {
    let first = true
    yield * chunked(records, r => {
      if (r.algorithm !== 'vpdq' || r.frames === undefined) return ''
      const text = (first ? '' : '\n') + r.frames.map(f => `${f.frameNumber},${f.quality},${Buffer.from(f.hash).toString('hex')},${fixed3(f.timestamp)}\n`).join('')
      first = false
      return text
    })
  },
  unsupported: vpdqOnly('vpdq-text')
}

async function * parseVpdqText (input: AsyncIterable<Uint8Array | string>, init: ParseInit = {}): AsyncGenerator<ImportItem> {
  let frames: VpdqFrame[] = []
  let start = 0
  for await (const { line, text } of textLines(input, 'vpdq-text')) {
    const t = text.trim()
    if (t.startsWith('#')) continue
    if (t === '') {
      if (frames.length > 0) yield { kind: 'add', line: start, record: vpdqRecord(frames, init) }
      frames = []
      continue
    }
    const m = TEXT_LINE.exec(t)
    if (m === null || Number(m[2]) > 100) throw invalidFormat('vpdq-text', line, `${quote(t)} is not "frame,quality,pdq-hex,timestamp"`)
    if (frames.length === 0) start = line
    frames.push({ frameNumber: Number(m[1]), quality: Number(m[2]), hash: new Uint8Array(Buffer.from(m[3], 'hex')), timestamp: Number(m[4]) })
  }
  if (frames.length > 0) yield { kind: 'add', line: start, record: vpdqRecord(frames, init) }
}

function vpdqOnly (name: string): (r: HashRecord) => string | undefined {
  return (r) => r.algorithm !== 'vpdq' ? `${name} holds vPDQ videos only` : r.frames === undefined ? 'a vpdq record without its frames' : undefined
}

/**
 * `pytx-vpdq`: python-threatexchange's vPDQ signal string, one video a line: a JSON array of
 * `"pdq-hex,quality,timestamp"` strings (pytx `vpdq_to_json`; the timestamp in Python's `.3`
 * format). It carries no frame numbers: frames are numbered in order on import.
 */
export const pytxVpdqFormat: HashListFormat = {
  name: 'pytx-vpdq',
  parse: async function * (input, init = {}) {
    for await (const { line, text } of textLines(input, 'pytx-vpdq')) {
      const t = text.trim()
      if (t === '' || t.startsWith('#')) continue
      let parsed: unknown
      try { parsed = JSON.parse(t) } catch { throw invalidFormat('pytx-vpdq', line, 'not a JSON array of "pdq-hex,quality,timestamp" strings') }
      if (!Array.isArray(parsed)) throw invalidFormat('pytx-vpdq', line, 'not a JSON array')
      const frames: VpdqFrame[] = []
      for (const s of parsed) {
        const m = typeof s === 'string' ? /^([0-9a-fA-F]{64}),(\d{1,3}),(\d+(?:\.\d*)?(?:e[+-]?\d+)?)$/.exec(s) : null
        if (m === null || Number(m[2]) > 100) { yield { kind: 'reject', line, reason: `${quote(String(s))} is not "pdq-hex,quality,timestamp"` }; frames.length = 0; break }
        frames.push({ frameNumber: frames.length, quality: Number(m[2]), hash: new Uint8Array(Buffer.from(m[1], 'hex')), timestamp: Math.fround(Number(m[3])) })
      }
      if (frames.length > 0) yield { kind: 'add', line, record: vpdqRecord(frames, init) }
    }
  },
  write: async function * (records) {
    yield * chunked(records, r => r.algorithm !== 'vpdq' || r.frames === undefined ? '' : JSON.stringify(r.frames.map(f => `${Buffer.from(f.hash).toString('hex')},${f.quality},${pyG3(f.timestamp)}`)) + '\n')
  },
  unsupported: vpdqOnly('pytx-vpdq')
}

/** Python's `format(x, '.3')`: 3 significant digits, shortest form, exponent beyond 1e16. */
function pyG3 (x: number): string {
  if (x === 0) return '0.0'
  const p = Number(x.toPrecision(3))
  const exp = Math.floor(Math.log10(Math.abs(p)))
  if (exp >= 3 || exp < -4) {
    const [mant, e] = p.toExponential(2).split('e')
    const m = mant.replace(/\.?0+$/, '')
    const n = Number(e)
    return `${m}e${n < 0 ? '-' : '+'}${String(Math.abs(n)).padStart(2, '0')}`
  }
  const s = String(p)
  return s.includes('.') ? s : `${s}.0`
}
