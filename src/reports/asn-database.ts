import { readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import maxmind, { type AsnResponse } from 'maxmind'
import { hfError, ErrorCodes } from '../errors.js'
import type { IpAddress } from './ip-address.js'

/**
 * Attribution the embedded data's licences (CC BY 4.0: DB-IP, RouteViews, NRO) require
 * wherever it is used; shown by `hashfed trace` and the README. See NOTICE.
 */
export const ASN_ATTRIBUTION = 'AS data: IP to ASN Lite by DB-IP (https://db-ip.com), RouteViews (routeviews.org) and NRO (nro.net), CC BY 4.0, via @ip-location-db/asn.'

/** The network an address is announced from. */
export interface AsnAnswer {
  asn: number
  /** the AS organisation, e.g. "Reseaux IP Europeens Network Coordination Centre (RIPE NCC)" */
  name: string
}

/** An IP → ASN database, already loaded. */
export interface AsnDatabase {
  readonly description: string
  lookup (ip: IpAddress): AsnAnswer | undefined
}

export interface AsnInit {
  /**
   * A MaxMind DB ASN file (e.g. GeoLite2-ASN.mmdb), config `reports.asnMmdb`.
   * @default the data embedded in the @ip-location-db/asn package
   */
  mmdb?: string
}

/**
 * Loads the database. The embedded data is two CSV files (IPv4 21 MB, IPv6 11 MB), parsed on
 * the first lookup of each family into sorted arrays; callers open it on first need, never at import.
 */
export async function openAsnDatabase (init: AsnInit = {}): Promise<AsnDatabase> {
  return init.mmdb === undefined ? openEmbedded() : await openMmdb(init.mmdb)
}

/** Sorted, non-overlapping ranges; `find` is a binary search. */
interface RangeTable<T> {
  starts: T[] | Uint32Array
  ends: T[] | Uint32Array
  asns: Uint32Array
  /** the AS name is text.slice(nameFrom, nameTo), CSV-quoted (names are cut on demand: no 400,000 strings) */
  nameFrom: Uint32Array
  nameTo: Uint32Array
  text: string
}

async function openEmbedded (): Promise<AsnDatabase> {
  const require = createRequire(import.meta.url)
  let dir: string
  let version: string
  let text4: string
  let text6: string
  try {
    const pkg = require.resolve('@ip-location-db/asn/package.json')
    dir = dirname(pkg)
    version = (require(pkg) as { version: string }).version
    ;[text4, text6] = await Promise.all([readFile(join(dir, 'asn-ipv4-num.csv'), 'utf8'), readFile(join(dir, 'asn-ipv6-num.csv'), 'utf8')])
  } catch (err) {
    throw hfError(ErrorCodes.INTERNAL, `the embedded ASN data (@ip-location-db/asn) could not be loaded: ${(err as Error).message}; reinstall hashfed or set reports.asnMmdb`, undefined, err)
  }
  let v4: RangeTable<number> | undefined
  let v6: RangeTable<bigint> | undefined
  return {
    description: `embedded ASN data (@ip-location-db/asn ${version}: DB-IP, RouteViews, NRO; CC BY 4.0)`,
    // each family is parsed on its first lookup (IPv6 is rarer)
    lookup (ip) {
      if (ip.version === 4) {
        v4 ??= parseTable(text4, false) as RangeTable<number>
        return find(v4, ipv4Number(ip))
      }
      v6 ??= parseTable(text6, true) as RangeTable<bigint>
      return find(v6, ipv6Number(ip))
    }
  }
}

function ipv4Number (ip: IpAddress): number {
  const o = ip.addr.toByteArray()
  return ((o[0] << 24) >>> 0) + (o[1] << 16) + (o[2] << 8) + o[3]
}

function ipv6Number (ip: IpAddress): bigint {
  let n = 0n
  for (const b of ip.addr.toByteArray()) n = (n << 8n) | BigInt(b)
  return n
}

/**
 * Rows `start,end,asn,name` with the name CSV-quoted when it holds a comma or a quote. Scans
 * positions into preallocated arrays; the text stays as the names' store.
 */
function parseTable (text: string, big: boolean): RangeTable<number> | RangeTable<bigint> {
  let rows = 0
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) rows++
  rows++
  const starts32 = big ? undefined : new Uint32Array(rows)
  const ends32 = big ? undefined : new Uint32Array(rows)
  const startsBig: bigint[] = []
  const endsBig: bigint[] = []
  const asns = new Uint32Array(rows)
  const nameFrom = new Uint32Array(rows)
  const nameTo = new Uint32Array(rows)
  let n = 0
  let pos = 0
  while (pos < text.length) {
    let eol = text.indexOf('\n', pos)
    if (eol < 0) eol = text.length
    const a = text.indexOf(',', pos)
    const b = a < 0 ? -1 : text.indexOf(',', a + 1)
    const c = b < 0 ? -1 : text.indexOf(',', b + 1)
    if (c > 0 && c < eol) {
      if (big) {
        startsBig.push(BigInt(text.slice(pos, a)))
        endsBig.push(BigInt(text.slice(a + 1, b)))
      } else {
        starts32![n] = digits(text, pos, a)
        ends32![n] = digits(text, a + 1, b)
      }
      asns[n] = digits(text, b + 1, c)
      nameFrom[n] = c + 1
      nameTo[n] = text.charCodeAt(eol - 1) === 13 ? eol - 1 : eol
      n++
    }
    pos = eol + 1
  }
  return {
    starts: big ? startsBig : starts32!.subarray(0, n),
    ends: big ? endsBig : ends32!.subarray(0, n),
    asns: asns.subarray(0, n),
    nameFrom,
    nameTo,
    text
  } as RangeTable<number> | RangeTable<bigint>
}

/** A decimal number below 2^32 from text[from, to). */
function digits (text: string, from: number, to: number): number {
  let v = 0
  for (let i = from; i < to; i++) v = v * 10 + (text.charCodeAt(i) - 48)
  return v
}

function find<T extends number | bigint> (t: RangeTable<T>, n: T): AsnAnswer | undefined {
  let lo = 0
  let hi = t.starts.length - 1
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1
    if ((t.starts[mid] as T) > n) hi = mid - 1
    else if ((t.ends[mid] as T) < n) lo = mid + 1
    else return t.asns[mid] === 0 ? undefined : { asn: t.asns[mid], name: unquote(t.text.slice(t.nameFrom[mid], t.nameTo[mid])) }
  }
  return undefined
}

function unquote (field: string): string {
  return field.startsWith('"') && field.endsWith('"') ? field.slice(1, -1).replaceAll('""', '"') : field
}

async function openMmdb (path: string): Promise<AsnDatabase> {
  let reader: maxmind.Reader<AsnResponse>
  try {
    reader = await maxmind.open<AsnResponse>(path)
  } catch (err) {
    const e = err as NodeJS.ErrnoException
    const why = e.code === 'ENOENT' ? 'no such file' : e.code !== undefined ? e.message : `not a MaxMind DB file (${e.message})`
    throw hfError(ErrorCodes.INVALID_CONFIG, `reports.asnMmdb: cannot open ${path}: ${why}`, { field: 'reports.asnMmdb', path }, err)
  }
  const type = String(reader.metadata.databaseType)
  if (!/ASN|ISP/i.test(type)) {
    throw hfError(ErrorCodes.INVALID_CONFIG, `reports.asnMmdb: ${path} is a ${type} database, which has no AS numbers; use an ASN database (e.g. GeoLite2-ASN.mmdb)`,
      { field: 'reports.asnMmdb', path, databaseType: type })
  }
  return {
    description: `${type} database ${path}`,
    lookup (ip) {
      const r = reader.get(ip.text)
      const asn = r?.autonomous_system_number
      return typeof asn === 'number' && asn > 0 ? { asn, name: r?.autonomous_system_organization ?? '' } : undefined
    }
  }
}
