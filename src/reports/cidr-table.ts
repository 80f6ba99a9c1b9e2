import ipaddr from 'ipaddr.js'
import { hfError, ErrorCodes } from '../errors.js'
import { normaliseCountry } from '../config/country.js'
import { fromAddr, type IpAddr, type IpAddress } from './ip-address.js'

/** One row of the node config's `reports.cidrTable`. */
export interface CidrRow {
  cidr: string
  country: string
  hoster?: string
  asn?: number
}

export interface CidrMatch {
  /** the row's network in canonical form, e.g. `185.12.0.0/16` */
  cidr: string
  country: string
  hoster?: string
  asn?: number
}

/** The operator's own CIDR → country/hoster/ASN table; the most specific prefix wins. */
export interface CidrTable {
  readonly size: number
  lookup (ip: IpAddress): CidrMatch | undefined
}

interface Entry {
  network: IpAddr
  prefix: number
  match: CidrMatch
}

const MAX_ASN = 0xffff_ffff

/**
 * Validates every row up front (HF_INVALID_CONFIG naming the row), so a typo surfaces at
 * start-up instead of silently routing reports elsewhere. Host bits set (`10.0.0.1/8`) and
 * duplicate prefixes are refused: both usually mean a typo, and a wrong country sends a
 * report to the wrong hotline.
 */
export function createCidrTable (rows: readonly CidrRow[], field = 'reports.cidrTable'): CidrTable {
  const entries: Entry[] = []
  const seen = new Map<string, number>()
  rows.forEach((row, i) => {
    const where = `${field}[${i}]`
    const fail = (message: string): never => {
      throw hfError(ErrorCodes.INVALID_CONFIG, `${where}: ${message}`, { field: where, cidr: row.cidr })
    }
    if (typeof row.cidr !== 'string' || !ipaddr.isValidCIDR(row.cidr.trim())) {
      fail(`"${String(row.cidr)}" is not a CIDR block (e.g. 185.12.0.0/16 or 2a01:4f8::/32)`)
    }
    const [parsed, prefix] = ipaddr.parseCIDR(row.cidr.trim())
    // IPv4 in its dotted form only: ipaddr.js also takes `10.1/8`, which isIP refuses.
    if (parsed.kind() === 'ipv4' && !ipaddr.IPv4.isValidCIDRFourPartDecimal(row.cidr.trim())) {
      fail(`"${row.cidr}" is not a CIDR block in dotted-quad form`)
    }
    if (parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).isIPv4MappedAddress()) {
      fail(`"${row.cidr}" is an IPv4-mapped IPv6 block; write the IPv4 block instead`)
    }
    const network = networkOf(parsed, prefix)
    const canonical = `${fromAddr(network).text}/${prefix}`
    if (network.toNormalizedString() !== parsed.toNormalizedString()) {
      fail(`"${row.cidr}" has host bits set; the network is ${canonical}`)
    }
    const before = seen.get(canonical)
    if (before !== undefined) fail(`${canonical} is already listed at ${field}[${before}]`)
    seen.set(canonical, i)
    const country = typeof row.country === 'string' ? normaliseCountry(row.country) : null
    if (country === null) fail(`country "${String(row.country)}" is not an ISO 3166-1 alpha-2 code`)
    const match: CidrMatch = { cidr: canonical, country: country as string }
    const hoster = row.hoster?.trim()
    if (hoster !== undefined && hoster !== '') match.hoster = hoster
    if (row.asn !== undefined) {
      if (!Number.isInteger(row.asn) || row.asn < 1 || row.asn > MAX_ASN) fail(`asn ${row.asn} is not an AS number (1–${MAX_ASN})`)
      match.asn = row.asn
    }
    entries.push({ network, prefix, match })
  })
  // Longest prefix first: the first hit is the most specific.
  entries.sort((a, b) => b.prefix - a.prefix)

  return {
    size: entries.length,
    lookup (ip) {
      for (const e of entries) {
        if (e.network.kind() === ip.addr.kind() && ip.addr.match(e.network, e.prefix)) return { ...e.match }
      }
      return undefined
    }
  }
}

function networkOf (addr: IpAddr, prefix: number): IpAddr {
  const bytes = addr.toByteArray()
  for (let bit = prefix; bit < bytes.length * 8; bit++) bytes[bit >> 3] &= ~(0x80 >> (bit & 7))
  return ipaddr.fromByteArray(bytes)
}
