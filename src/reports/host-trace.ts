import { hfError, ErrorCodes, isHashfedError } from '../errors.js'
import type { FederationView } from '../context/federation-view.js'
import { normaliseCountry } from '../config/country.js'
import type { CountryResolver } from './country-resolver.js'
import { hostToIp } from './ip-address.js'
import { MAX_URL_LENGTH } from './constants.js'

/** One address of a traced host. */
export interface TracedAddress {
  ip: string
  /** `unicast` for a public address; `loopback`, `private`, … have no location or AS */
  range: string
  country: string | null
  asn: number | null
  asName: string | null
}

/** Where a URL or IP is hosted, from the node's own data (no network but DNS for a name). */
export interface HostTrace {
  host: string
  addresses: TracedAddress[]
  /** the country a report of this URL is routed by (CIDR table, then GeoIP), null when none */
  country: string | null
  countrySource: string | null
  asn: number | null
  asName: string | null
  /** the member hotline a report would go to */
  responsible: { name: string, peerId: string } | null
  /** why there is no country or member, in words */
  notes: string[]
  /** where the answers came from (licences ask for attribution) */
  sources: { country: string, asn: string }
}

/** The host of a URL (`https://x/…`), a bare host name, or an IP (v6 with or without brackets). */
export function traceTarget (text: string): { host: string, url: string } {
  const t = text.trim()
  if (t === '' || t.length > MAX_URL_LENGTH) throw hfError(ErrorCodes.INVALID_ARGUMENT, 'target: give a URL, a host name or an IP address', { field: 'target' })
  const ip = hostToIp(t)
  if (ip !== null) return { host: ip.text, url: `http://${ip.version === 6 ? `[${ip.text}]` : ip.text}/` }
  let url: URL
  try {
    url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(t) ? t : `http://${t}/`)
  } catch (err) {
    throw hfError(ErrorCodes.INVALID_ARGUMENT, `target: "${t.slice(0, 200)}" is not a URL, a host name or an IP address`, { field: 'target' }, err)
  }
  if (url.hostname === '') throw hfError(ErrorCodes.INVALID_ARGUMENT, 'target: the URL has no host', { field: 'target' })
  const literal = hostToIp(url.hostname)
  return { host: literal?.text ?? url.hostname, url: url.href }
}

/**
 * Traces a URL or IP to its hosting network: each address's country and AS, the country a
 * report would be routed by and the member responsible for it.
 */
export async function traceHost (text: string, deps: { resolver: CountryResolver, federation: FederationView }): Promise<HostTrace> {
  const { host, url } = traceTarget(text)
  const addresses = await deps.resolver.addresses(host)
  const [geoip, asnDb] = await Promise.all([deps.resolver.loadGeoip(), deps.resolver.loadAsn()])
  const traced: TracedAddress[] = addresses.map(ip => {
    if (ip.range !== 'unicast') return { ip: ip.text, range: ip.range, country: null, asn: null, asName: null }
    const raw = geoip.country(ip)
    const as = asnDb.lookup(ip)
    return { ip: ip.text, range: ip.range, country: raw === undefined ? null : normaliseCountry(raw), asn: as?.asn ?? null, asName: as?.name ?? null }
  })
  const notes: string[] = []
  for (const a of traced) if (a.range !== 'unicast') notes.push(`${a.ip} is a ${a.range} address, which has no public location or AS`)
  let country: string | null = null
  let countrySource: string | null = null
  let asn: number | null = null
  try {
    // the very decision a report submission makes (CIDR table first, every address)
    const decided = await deps.resolver.resolve({ url })
    country = decided.country
    countrySource = decided.source
    asn = decided.asn ?? null
  } catch (err) {
    if (!isHashfedError(err)) throw err
    const public1 = traced.find(a => a.country !== null)
    if (public1 === undefined) notes.push(err.message)
    else { country = public1.country; countrySource = 'geoip' }
  }
  const first = traced.find(a => a.asn !== null)
  const asName = asn !== null ? (traced.find(a => a.asn === asn)?.asName ?? null) : first?.asName ?? null
  asn ??= first?.asn ?? null
  const member = country !== null ? deps.federation.forCountry(country) : undefined
  if (country !== null && member === undefined) notes.push(`no member of the federation covers ${country}: a report would be kept as unroutable`)
  return {
    host,
    addresses: traced,
    country,
    countrySource,
    asn,
    asName,
    responsible: member !== undefined ? { name: member.name, peerId: member.peerId } : null,
    notes,
    sources: { country: geoip.description, asn: asnDb.description }
  }
}
