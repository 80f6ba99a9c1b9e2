import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'

/** Bytes of a window that must not appear: any 64 consecutive bytes of an image. */
export const LEAK_WINDOW = 64
/** Aligned chunks indexed; every 64-byte window of an image contains a whole aligned chunk. */
const CHUNK = 32
const P = 0x01000193 // FNV prime as the rolling multiplier
const P_TOP = (() => { let x = 1; for (let i = 0; i < CHUNK - 1; i++) x = Math.imul(x, P) >>> 0; return x })()

export interface Leak {
  /** where the bytes were found (a file path, `value of <key>`, `log`) */
  where: string
  at: number
  image: string
  imageOffset: number
  /** how many consecutive bytes match (at least LEAK_WINDOW) */
  length: number
}

function hashOf (b: Uint8Array, from: number): number {
  let h = 0
  for (let i = 0; i < CHUNK; i++) h = (Math.imul(h, P) + b[from + i]) >>> 0
  return h
}

/**
 * Finds any 64-byte window of a set of images in other bytes. Every window of 64 contains an
 * image chunk starting at a multiple of 32, so it suffices to index those chunks (a rolling
 * hash of each) and, where a 32-byte stretch of the scanned bytes hashes like one, compare the
 * bytes and extend the match both ways. Chunks of fewer than 8 distinct byte values (runs of
 * zeros or 0xff, common in any file) are not indexed: a leak of real image data is never
 * only that.
 */
export class ImageWindows {
  private readonly byHash = new Map<number, Array<{ image: string, offset: number }>>()
  private readonly images = new Map<string, Uint8Array>()

  add (name: string, bytes: Uint8Array): void {
    this.images.set(name, bytes)
    for (let q = 0; q + CHUNK <= bytes.length; q += CHUNK) {
      if (new Set(bytes.subarray(q, q + CHUNK)).size < 8) continue
      const h = hashOf(bytes, q)
      const list = this.byHash.get(h) ?? []
      list.push({ image: name, offset: q })
      this.byHash.set(h, list)
    }
  }

  get chunks (): number {
    let n = 0
    for (const l of this.byHash.values()) n += l.length
    return n
  }

  /** Every place in `data` where at least LEAK_WINDOW bytes of an image appear. */
  scan (data: Uint8Array, where: string): Leak[] {
    const leaks: Leak[] = []
    if (data.length < CHUNK) return leaks
    let h = hashOf(data, 0)
    for (let i = 0; ; i++) {
      const hits = this.byHash.get(h)
      if (hits !== undefined) {
        for (const hit of hits) {
          const img = this.images.get(hit.image) as Uint8Array
          if (!Buffer.from(data.buffer, data.byteOffset + i, CHUNK).equals(img.subarray(hit.offset, hit.offset + CHUNK))) continue
          let left = 0
          while (i - left > 0 && hit.offset - left > 0 && data[i - left - 1] === img[hit.offset - left - 1]) left++
          let right = 0
          while (i + CHUNK + right < data.length && hit.offset + CHUNK + right < img.length && data[i + CHUNK + right] === img[hit.offset + CHUNK + right]) right++
          const length = left + CHUNK + right
          if (length >= LEAK_WINDOW) leaks.push({ where, at: i - left, image: hit.image, imageOffset: hit.offset - left, length })
        }
      }
      if (i + CHUNK >= data.length) break
      h = (Math.imul((h - Math.imul(data[i], P_TOP)) >>> 0, P) + data[i + CHUNK]) >>> 0
    }
    // one leak is reported once per aligned chunk it covers: keep distinct start positions
    const seen = new Set<string>()
    return leaks.filter(l => { const k = `${l.where}:${l.at}:${l.image}`; if (seen.has(k)) return false; seen.add(k); return true })
  }

  /** Scans every file under `dir`, recursively; returns leaks and the bytes read. */
  async scanTree (dir: string): Promise<{ leaks: Leak[], bytes: number, files: number }> {
    const out = { leaks: [] as Leak[], bytes: 0, files: 0 }
    for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
      if (!entry.isFile()) continue
      const path = join(entry.parentPath, entry.name)
      const data = new Uint8Array(await readFile(path))
      out.bytes += data.length
      out.files++
      out.leaks.push(...this.scan(data, path))
    }
    return out
  }
}
