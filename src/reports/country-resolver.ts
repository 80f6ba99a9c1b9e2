import { lookup as dnsLookup } from 'node:dns/promises'
import { hfError, ErrorCodes, type HashfedError } from '../errors.js'
import { normaliseCountry } from '../config/country.js'
import { createCidrTable, type CidrRow, type CidrTable } from './cidr-table.js'
import { openGeoip, type GeoipDatabase } from './geoip.js'
import { openAsnDatabase, type AsnDatabase } from './asn-database.js'
import { parseIpAddress, hostToIp, type IpAddress } from './ip-address.js'
import { checkAsn, checkCountry, checkHoster, checkIp, checkUrl } from './report-validation.js'

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
  /** MaxMind ASN mmdb, config `reports.asnMmdb` @default the embedded @ip-location-db/asn data */
  asnMmdb?: string
  /** fill in the AS number of the deciding address when the analyst and the table gave none @default true */
  asn?: boolean
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
  /** Loads the IP → ASN database now (it is otherwise loaded on first need). */
  loadAsn (): Promise<AsnDatabase>
  /** The addresses of a URL's host or of an IP: DNS only for a name (HF_UNKNOWN_COUNTRY when it fails). */
  addresses (host: string): Promise<IpAddress[]>
}

const DEFAULT_DNS_TIMEOUT_MS = 5000

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

  let asnDb: Promise<AsnDatabase> | undefined
  const loadAsn = async (): Promise<AsnDatabase> => {
    asnDb ??= openAsnDatabase({ mmdb: init.asnMmdb })
    return await asnDb.catch((err: unknown) => { asnDb = undefined; throw err })
  }
  // The ASN of the deciding address when the analyst and the table gave none: what the
  // per-ASN statistics group by. Never fatal: a report is routed by country, not by ASN.
  const withAsn = async (r: ResolvedCountry): Promise<ResolvedCountry> => {
    if (init.asn === false || r.asn !== undefined || r.ip === undefined) return r
    const ip = parseIpAddress(r.ip)
    if (ip === null || ip.range !== 'unicast') return r
    try {
      const hit = (await loadAsn()).lookup(ip)
      return hit !== undefined ? { ...r, asn: hit.asn } : r
    } catch {
      return r
    }
  }

  return {
    loadGeoip,
    loadAsn,
    addresses: async (host) => {
      const literal = hostToIp(host)
      return literal !== null ? [literal] : await resolveHost(lookup, host, dnsTimeoutMs)
    },
    async resolve (location) {
      return await withAsn(await decide(location))
    }
  }

  async function decide (location: ReportLocation): Promise<ResolvedCountry> {
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

interface ValidLocation {
  host: string
  ip?: IpAddress
  country?: string
  hoster?: string
  asn?: number
}

/** The analyst's input, with the checks every report record passes (report-validation). */
function validate (location: ReportLocation): ValidLocation {
  const url = checkUrl(location?.url)
  const out: ValidLocation = { host: url.hostname }
  if (location.ip !== undefined && location.ip !== '') out.ip = checkIp(location.ip)
  if (location.country !== undefined && location.country !== '') out.country = checkCountry(location.country)
  if (location.hoster !== undefined) {
    const hoster = checkHoster(location.hoster)
    if (hoster !== '') out.hoster = hoster
  }
  if (location.asn !== undefined) out.asn = checkAsn(location.asn)
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
