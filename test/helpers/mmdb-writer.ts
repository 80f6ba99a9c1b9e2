// Writes a tiny MaxMind DB (format 2.0, https://maxmind.github.io/MaxMind-DB/) so tests can
// exercise the mmdb option without shipping a real database. No npm package writes mmdb;
// this covers what the tests need: an IPv6 tree (IPv4 under ::/96), 24-bit records, and
// data of strings, unsigned integers, booleans, arrays and maps.
import ipaddr from 'ipaddr.js'

export type MmdbValue = string | number | bigint | boolean | MmdbValue[] | { [key: string]: MmdbValue }

export interface MmdbNetwork {
  cidr: string
  data: MmdbValue
}

export interface MmdbInit {
  databaseType?: string
  networks: MmdbNetwork[]
}

const METADATA_MARKER = Buffer.from('abcdef4d61784d696e642e636f6d', 'hex')

type Rec = { node: number } | { data: number } | null

export function writeMmdb (init: MmdbInit): Buffer {
  const data = new DataSection()
  const nodes: Array<[Rec, Rec]> = [[null, null]]
  // Less specific first, so a more specific network splits the leaf of its parent.
  const nets = init.networks.map(n => ({ ...n, bits: cidrBits(n.cidr) })).sort((a, b) => a.bits.length - b.bits.length)
  for (const net of nets) {
    const offset = data.add(net.data)
    let node = 0
    for (let depth = 0; depth < net.bits.length; depth++) {
      const bit = net.bits[depth]
      if (depth === net.bits.length - 1) { nodes[node][bit] = { data: offset }; break }
      const rec = nodes[node][bit]
      if (rec !== null && 'node' in rec) { node = rec.node; continue }
      nodes.push([rec, rec]) // a covering network's data continues on both sides
      nodes[node][bit] = { node: nodes.length - 1 }
      node = nodes.length - 1
    }
  }
  const nodeCount = nodes.length
  const tree = Buffer.alloc(nodeCount * 6)
  const value = (r: Rec): number => r === null ? nodeCount : 'node' in r ? r.node : nodeCount + 16 + r.data
  nodes.forEach(([l, r], i) => { tree.writeUIntBE(value(l), i * 6, 3); tree.writeUIntBE(value(r), i * 6 + 3, 3) })
  const metadata = encode({
    node_count: nodeCount,
    record_size: u16(24),
    ip_version: u16(6),
    database_type: init.databaseType ?? 'Test-Country',
    languages: ['en'],
    binary_format_major_version: u16(2),
    binary_format_minor_version: u16(0),
    build_epoch: BigInt(Math.floor(Date.now() / 1000)),
    description: { en: 'hashfed test database' }
  })
  return Buffer.concat([tree, Buffer.alloc(16), data.bytes(), METADATA_MARKER, metadata])
}

/** 128 bits for IPv6, IPv4 placed under ::/96 as the format asks. */
function cidrBits (cidr: string): number[] {
  const [addr, prefix] = ipaddr.parseCIDR(cidr)
  const bytes = addr.kind() === 'ipv4' ? [...new Array(12).fill(0), ...addr.toByteArray()] : addr.toByteArray()
  const len = addr.kind() === 'ipv4' ? prefix + 96 : prefix
  const bits: number[] = []
  for (let i = 0; i < len; i++) bits.push((bytes[i >> 3] >> (7 - (i & 7))) & 1)
  return bits
}

class DataSection {
  private readonly chunks: Buffer[] = []
  private size = 0
  private readonly seen = new Map<string, number>()
  add (value: MmdbValue): number {
    const key = JSON.stringify(value, (_k, v) => typeof v === 'bigint' ? v.toString() : v)
    const known = this.seen.get(key)
    if (known !== undefined) return known
    const bytes = encode(value)
    const offset = this.size
    this.chunks.push(bytes)
    this.size += bytes.length
    this.seen.set(key, offset)
    return offset
  }

  bytes (): Buffer { return Buffer.concat(this.chunks) }
}

// uint16 marker: plain numbers are written as uint32.
class U16 { constructor (readonly n: number) {} }
function u16 (n: number): MmdbValue { return new U16(n) as unknown as MmdbValue }

function control (type: number, size: number): Buffer {
  const head: number[] = []
  let sizeBytes: number[] = []
  let low = size
  if (size >= 65821) { low = 31; const s = size - 65821; sizeBytes = [(s >> 16) & 255, (s >> 8) & 255, s & 255] } else if (size >= 285) { low = 30; const s = size - 285; sizeBytes = [(s >> 8) & 255, s & 255] } else if (size >= 29) { low = 29; sizeBytes = [size - 29] }
  if (type <= 7) head.push((type << 5) | low)
  else head.push(low, type - 7)
  return Buffer.from([...head, ...sizeBytes])
}

function uintBytes (n: bigint): Buffer {
  const out: number[] = []
  for (let v = n; v > 0n; v >>= 8n) out.unshift(Number(v & 255n))
  return Buffer.from(out)
}

function encode (value: MmdbValue): Buffer {
  if (value instanceof U16) { const b = uintBytes(BigInt(value.n)); return Buffer.concat([control(5, b.length), b]) }
  if (typeof value === 'string') { const b = Buffer.from(value, 'utf8'); return Buffer.concat([control(2, b.length), b]) }
  if (typeof value === 'boolean') return control(14, value ? 1 : 0)
  if (typeof value === 'bigint') { const b = uintBytes(value); return Buffer.concat([control(9, b.length), b]) }
  if (typeof value === 'number') {
    if (!Number.isInteger(value) || value < 0 || value > 0xffff_ffff) throw new Error(`mmdb-writer: ${value} is not a uint32`)
    const b = uintBytes(BigInt(value))
    return Buffer.concat([control(6, b.length), b])
  }
  if (Array.isArray(value)) return Buffer.concat([control(11, value.length), ...value.map(encode)])
  const entries = Object.entries(value)
  return Buffer.concat([control(7, entries.length), ...entries.flatMap(([k, v]) => [encode(k), encode(v)])])
}
