import type { hashfed } from '../proto/index.js'
import { pb } from '../proto/index.js'
import { hfError, ErrorCodes, type HashfedError } from '../errors.js'
import { parseCountry } from '../config/country.js'
import { algorithmFromEnum, VALUE_BYTES, type AlgorithmName } from '../log/hash-value.js'
import { u64 } from '../log/uint64.js'
import { MAX_ASN, MAX_CLOCK_SKEW_MS, MAX_HASHES, MAX_HOSTER_LENGTH, MAX_NOTE_LENGTH, MAX_URL_LENGTH, URL_SCHEMES } from './constants.js'
import { parseIpAddress, type IpAddress } from './ip-address.js'

/**
 * The one validation of a URL report, shared by local submit and the receiving hotline. The
 * field checks below validate what an analyst typed; `validateReportRecord` checks a whole
 * signed record field by field with the same checks. Submit runs it on the record it is about
 * to sign, the receiver on the record it is about to store, so a receiver never holds a
 * report its own submit would have refused.
 */

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/
export const COUNTRY_SOURCES = ['explicit', 'cidr-table', 'geoip', 'dns+cidr-table', 'dns+geoip'] as const

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/

export function invalidReport (field: string, message: string, cause?: unknown): HashfedError {
  return hfError(ErrorCodes.INVALID_REPORT, `${field}: ${message}`, { field }, cause)
}

/** An absolute http, https or ftp URL with a host, at most MAX_URL_LENGTH characters. */
export function checkUrl (text: unknown): URL {
  if (typeof text !== 'string' || text.trim() === '') throw invalidReport('url', 'a URL is required')
  if (text.length > MAX_URL_LENGTH) throw invalidReport('url', `longer than ${MAX_URL_LENGTH} characters`)
  let url: URL
  try {
    url = new URL(text.trim())
  } catch (err) {
    throw invalidReport('url', 'not an absolute URL (e.g. https://example.com/path)', err)
  }
  if (!URL_SCHEMES.has(url.protocol)) throw invalidReport('url', `scheme "${url.protocol.slice(0, -1)}" is not http, https or ftp`)
  if (url.hostname === '') throw invalidReport('url', 'the URL has no host')
  return url
}

export function checkIp (text: unknown): IpAddress {
  const ip = typeof text === 'string' ? parseIpAddress(text) : null
  if (ip === null) throw invalidReport('ip', `"${String(text).slice(0, 64)}" is not an IPv4 or IPv6 address`)
  return ip
}

export function checkCountry (text: unknown): string {
  try {
    return parseCountry(String(text))
  } catch (err) {
    throw invalidReport('country', (err as Error).message.replace(/^country: /, ''), err)
  }
}

/** The trimmed hoster name ('' for none). */
export function checkHoster (text: unknown): string {
  const hoster = String(text).trim()
  if (hoster.length > MAX_HOSTER_LENGTH || CONTROL.test(hoster)) throw invalidReport('hoster', `a hoster name is at most ${MAX_HOSTER_LENGTH} printable characters`)
  return hoster
}

export function checkAsn (value: unknown): number {
  if (!Number.isInteger(value) || (value as number) < 1 || (value as number) > MAX_ASN) throw invalidReport('asn', `${String(value)} is not an AS number (1–${MAX_ASN})`)
  return value as number
}

/** The trimmed note ('' for none). */
export function checkNote (text: unknown): string {
  if (typeof text !== 'string' || text.length > MAX_NOTE_LENGTH || text.includes('\u0000')) throw invalidReport('note', `text of at most ${MAX_NOTE_LENGTH} characters`)
  return text.trim()
}

export function checkHashCount (n: number): void {
  if (n > MAX_HASHES) throw invalidReport('hashes', `at most ${MAX_HASHES} ALG:VALUE hashes`)
}

/** A signed time: set, and not later than `now` + MAX_CLOCK_SKEW_MS. */
export function checkSignedTime (field: string, value: Parameters<typeof u64>[0], now: number): number {
  const ms = u64(value)
  if (!(ms > 0) || ms > now + MAX_CLOCK_SKEW_MS) throw invalidReport(field, `${ms} is not a time up to ${MAX_CLOCK_SKEW_MS / 60_000} minutes ahead of ours`)
  return ms
}

const known = (values: Record<string, unknown>, v: number): boolean => Object.values(values).includes(v)

/**
 * Every field of a UrlReport as local submit would have written it. Throws HF_INVALID_REPORT
 * naming the field. `origin` and `target` are the router's business, not checked here.
 */
export function validateReportRecord (r: hashfed.v1.UrlReport.$Properties, now: number): void {
  if (r.version !== 1) throw invalidReport('version', `${String(r.version)} is not supported`)
  if (typeof r.id !== 'string' || !UUID.test(r.id)) throw invalidReport('id', 'not a UUID')
  const url = r.url ?? ''
  checkUrl(url)
  if (url !== url.trim()) throw invalidReport('url', 'not trimmed')
  const ip = r.ip ?? ''
  if (ip !== '' && checkIp(ip).text !== ip) throw invalidReport('ip', `"${ip}" is not in canonical form`)
  const country = r.country ?? ''
  if (checkCountry(country) !== country) throw invalidReport('country', `"${country}" is not an upper-case ISO 3166-1 alpha-2 code`)
  const hoster = r.hoster ?? ''
  if (checkHoster(hoster) !== hoster) throw invalidReport('hoster', 'not trimmed')
  if ((r.asn ?? 0) !== 0) checkAsn(r.asn)
  if (!known(pb.Classification, r.classification ?? 0)) throw invalidReport('classification', `unknown value ${String(r.classification)}`)
  if (!known(pb.MediaType, r.media ?? 0)) throw invalidReport('media', `unknown value ${String(r.media)}`)
  const hashes = r.hashes ?? []
  checkHashCount(hashes.length)
  for (const h of hashes) {
    let alg: AlgorithmName
    try { alg = algorithmFromEnum(h.algorithm ?? 0) } catch (err) { throw invalidReport('hashes', `unknown algorithm ${String(h.algorithm)}`, err) }
    if (h.value?.length !== VALUE_BYTES[alg]) throw invalidReport('hashes', `a ${alg} value has ${VALUE_BYTES[alg]} bytes`)
  }
  const note = r.note ?? ''
  if (checkNote(note) !== note) throw invalidReport('note', 'not trimmed')
  checkSignedTime('createdMs', r.createdMs ?? 0, now)
  if (!(COUNTRY_SOURCES as readonly string[]).includes(r.countrySource ?? '')) throw invalidReport('countrySource', `"${String(r.countrySource).slice(0, 32)}" is not one of ${COUNTRY_SOURCES.join(', ')}`)
}
