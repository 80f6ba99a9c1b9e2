import { lookup as dnsLookup } from 'node:dns/promises'
import { hfError, ErrorCodes, HashfedError } from '../errors.js'
import { parseCountry, normaliseCountry } from '../config/country.js'
import { createCidrTable, type CidrRow, type CidrTable } from './cidr-table.js'
import { openGeoip, type GeoipDatabase } from './geoip.js'
import { parseIpAddress, hostToIp, type IpAddress } from './ip-address.js'

/** Where a report's hosting country came from (UrlReport.country_source). */
export type CountrySource = 'explicit' | 'cidr-table' | 'geoip' | 'dns+cidr-table' | 'dns+geoip'

/** What the analyst told us about where a URL is hosted; only `url` is required. */
export interface ReportLocation {
  url: string
  ip?: string
  country?: string
  hoster?: string
  asn?: number
}

export interface ResolvedCountry {
  country: string
  source: CountrySource
  /** canonical form of the address that decided (IPv4-mapped IPv6 unwrapped) */
  ip?: string
  hoster?: string
  asn?: number
}

export type HostLookup = (host: string) => Promise<string[]>

export interface CountryResolverInit {
  /** the operator's table, usually config `reports.cidrTable` @default [] */
  cidrTable?: readonly CidrRow[]
  /** MaxMind country mmdb, config `reports.geoipMmdb` @default the embedded GeoLite2 data */
  geoipMmdb?: string
  /** resolves a host to its addresses when the report has no IP @default node:dns lookup, all addresses */
  lookup?: HostLookup
  /** give up on DNS after this long @default 5000 */
  dnsTimeoutMs?: number
}

export interface CountryResolver {
  /** Throws HF_INVALID_REPORT for bad input, HF_UNKNOWN_COUNTRY when nothing resolves. */
  resolve (location: ReportLocation): Promise<ResolvedCountry>
  /** Loads the GeoIP database now (it is otherwise loaded on first need); surfaces a bad mmdb path at start-up. */
  loadGeoip (): Promise<GeoipDatabase>
}

const DEFAULT_DNS_TIMEOUT_MS = 5000
const URL_SCHEMES = new Set(['http:', 'https:', 'ftp:'])
// Browsers cut URLs at ~2 MB, servers at 8–64 KiB; anything longer is not a real report.
const MAX_URL_LENGTH = 8192
const MAX_HOSTER_LENGTH = 256
const MAX_ASN = 0xffff_ffff

export const defaultHostLookup: HostLookup = async (host) => {
  // lookup (getaddrinfo) rather than resolve4/6: it honours /etc/hosts like the
  // analyst's browser did, and gives both families in the system's preferred order.
  const answers = await dnsLookup(host, { all: true, verbatim: true })
  return answers.map(a => a.address)
}

/**
 * Decides the hosting country of a URL report, first answer wins: the analyst's explicit
 * country; the operator's CIDR table; GeoIP; and, when the analyst gave no IP, DNS for
 * the URL's host followed by the CIDR table and GeoIP. The CIDR table's hoster/ASN fill in
 * what the analyst left out.
 */
export function createCountryResolver (init: CountryResolverInit = {}): CountryResolver {
  const table = createCidrTable(init.cidrTable ?? [])
  const lookup = init.lookup ?? defaultHostLookup
  const dnsTimeoutMs = init.dnsTimeoutMs ?? DEFAULT_DNS_TIMEOUT_MS
  let geoip: Promise<GeoipDatabase> | undefined

  const loadGeoip = async (): Promise<GeoipDatabase> => {
    geoip ??= openGeoip({ mmdb: init.geoipMmdb })
    // A failed open is not cached: the operator may fix the file without a restart.
    return await geoip.catch((err: unknown) => { geoip = undefined; throw err })
  }

  return {
    loadGeoip,
    async resolve (location) {
      const input = validate(location)
      const given = { ...(input.hoster !== undefined && { hoster: input.hoster }), ...(input.asn !== undefined && { asn: input.asn }) }
      const ipField = input.ip !== undefined ? { ip: input.ip.text } : {}
      if (input.country !== undefined) return { country: input.country, source: 'explicit', ...ipField, ...given }

      let addresses: IpAddress[]
      let viaDns = false
      const literal = hostToIp(input.host)
      if (input.ip !== undefined) addresses = [input.ip]
      else if (literal !== null) addresses = [literal]
      else {
        addresses = await resolveHost(lookup, input.host, dnsTimeoutMs)
        viaDns = true
      }
      const prefix = viaDns ? 'dns+' : ''

      // The table outranks GeoIP across all addresses: the operator's word beats the data.
      for (const ip of addresses) {
        const hit = table.lookup(ip)
        if (hit !== undefined) {
          return {
            country: hit.country,
            source: `${prefix}cidr-table` as CountrySource,
            ip: ip.text,
            ...(hit.hoster !== undefined && { hoster: hit.hoster }),
            ...(hit.asn !== undefined && { asn: hit.asn }),
            ...given
          }
        }
      }
      const reasons: string[] = []
      const db = await loadGeoip()
      for (const ip of addresses) {
        if (ip.range !== 'unicast') {
          reasons.push(`${ip.text} is a ${ip.range} address, which has no public location`)
          continue
        }
        const raw = db.country(ip)
        const country = raw === undefined ? null : normaliseCountry(raw)
        if (country !== null) return { country, source: `${prefix}geoip` as CountrySource, ip: ip.text, ...given }
        reasons.push(raw === undefined
          ? `${db.description} has no country for ${ip.text}`
          : `${db.description} gives ${ip.text} the code "${raw}", which is not a country a hotline covers`)
      }
      throw unknownCountry(input.host, addresses, `${table.size === 0 ? 'reports.cidrTable is empty' : 'no reports.cidrTable row matches'}; ${reasons.join('; ')}`)
    }
  }
}

interface ValidLocation {
  host: string
  ip?: IpAddress
  country?: string
  hoster?: string
  asn?: number
}

function invalid (field: string, message: string, cause?: unknown): HashfedError {
  return hfError(ErrorCodes.INVALID_REPORT, `${field}: ${message}`, { field }, cause)
}

function validate (location: ReportLocation): ValidLocation {
  if (typeof location?.url !== 'string' || location.url.trim() === '') throw invalid('url', 'a URL is required')
  if (location.url.length > MAX_URL_LENGTH) throw invalid('url', `longer than ${MAX_URL_LENGTH} characters`)
  let url: URL
  try {
    url = new URL(location.url.trim())
  } catch (err) {
    throw invalid('url', 'not an absolute URL (e.g. https://example.com/path)', err)
  }
  if (!URL_SCHEMES.has(url.protocol)) throw invalid('url', `scheme "${url.protocol.slice(0, -1)}" is not http, https or ftp`)
  if (url.hostname === '') throw invalid('url', 'the URL has no host')
  const out: ValidLocation = { host: url.hostname }

  if (location.ip !== undefined && location.ip !== '') {
    const ip = typeof location.ip === 'string' ? parseIpAddress(location.ip) : null
    if (ip === null) throw invalid('ip', `"${String(location.ip)}" is not an IPv4 or IPv6 address`)
    out.ip = ip
  }
  if (location.country !== undefined && location.country !== '') {
    try {
      out.country = parseCountry(String(location.country))
    } catch (err) {
      throw invalid('country', (err as Error).message.replace(/^country: /, ''), err)
    }
  }
  if (location.hoster !== undefined) {
    const hoster = String(location.hoster).trim()
    // eslint-disable-next-line no-control-regex
    if (hoster.length > MAX_HOSTER_LENGTH || /[\u0000-\u001f\u007f]/.test(hoster)) {
      throw invalid('hoster', `a hoster name is at most ${MAX_HOSTER_LENGTH} printable characters`)
    }
    if (hoster !== '') out.hoster = hoster
  }
  if (location.asn !== undefined) {
    if (!Number.isInteger(location.asn) || location.asn < 1 || location.asn > MAX_ASN) {
      throw invalid('asn', `${String(location.asn)} is not an AS number (1–${MAX_ASN})`)
    }
    out.asn = location.asn
  }
  return out
}

async function resolveHost (lookup: HostLookup, host: string, timeoutMs: number): Promise<IpAddress[]> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(Object.assign(new Error(`no answer within ${timeoutMs} ms`), { code: 'ETIMEOUT' })), timeoutMs)
  })
  let answers: string[]
  try {
    answers = await Promise.race([lookup(host), timeout])
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    const why = code === 'ENOTFOUND' || code === 'ENODATA' ? 'the name does not resolve' : (err as Error).message
    throw hfError(ErrorCodes.UNKNOWN_COUNTRY,
      `cannot resolve the hosting country of ${host}: DNS failed (${why}); give the IP (--ip) or the country (--country)`,
      { host, reason: 'dns', dnsCode: code }, err)
  } finally {
    clearTimeout(timer)
  }
  // Keep the resolver's order (it is the order a browser tries), drop junk and duplicates.
  const seen = new Set<string>()
  const addresses: IpAddress[] = []
  for (const a of Array.isArray(answers) ? answers : []) {
    const ip = typeof a === 'string' ? parseIpAddress(a) : null
    if (ip !== null && !seen.has(ip.text)) { seen.add(ip.text); addresses.push(ip) }
  }
  if (addresses.length === 0) {
    throw hfError(ErrorCodes.UNKNOWN_COUNTRY,
      `cannot resolve the hosting country of ${host}: DNS gave no address; give the IP (--ip) or the country (--country)`,
      { host, reason: 'dns' })
  }
  return addresses
}

function unknownCountry (host: string, addresses: IpAddress[], why: string): HashfedError {
  return hfError(ErrorCodes.UNKNOWN_COUNTRY,
    `cannot resolve the hosting country of ${host} (${addresses.map(a => a.text).join(', ')}): ${why}; give the country (--country) or add the range to reports.cidrTable`,
    { host, ips: addresses.map(a => a.text), reason: 'no-match' })
}
