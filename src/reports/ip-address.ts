import { isIP } from 'node:net'
import ipaddr from 'ipaddr.js'

export type IpAddr = ipaddr.IPv4 | ipaddr.IPv6

/**
 * A validated IP address in one canonical form: IPv4-mapped IPv6 (`::ffff:1.2.3.4`, which
 * the WHATWG URL parser turns into `::ffff:102:304`) is unwrapped to IPv4, so the CIDR
 * table and GeoIP see every host the same way.
 */
export interface IpAddress {
  /** dotted quad, or RFC 5952 IPv6 (lower case, `::` compressed) */
  readonly text: string
  readonly version: 4 | 6
  readonly addr: IpAddr
  /** ipaddr.js range name: `unicast` for public addresses, else `private`, `loopback`, … */
  readonly range: string
}

/** Parses a textual IP address; null unless `node:net` isIP accepts it (no zone ids). */
export function parseIpAddress (text: string): IpAddress | null {
  const trimmed = text.trim()
  // isIP is strict (no `127.1`, no octal); ipaddr.js alone would accept those.
  if (isIP(trimmed) === 0 || trimmed.includes('%')) return null
  let addr: IpAddr = ipaddr.parse(trimmed)
  if (addr.kind() === 'ipv6' && (addr as ipaddr.IPv6).isIPv4MappedAddress()) {
    addr = (addr as ipaddr.IPv6).toIPv4Address()
  }
  return fromAddr(addr)
}

export function fromAddr (addr: IpAddr): IpAddress {
  const v4 = addr.kind() === 'ipv4'
  return {
    text: v4 ? addr.toString() : (addr as ipaddr.IPv6).toRFC5952String(),
    version: v4 ? 4 : 6,
    addr,
    range: addr.range()
  }
}

/** Strips the brackets the URL parser keeps around an IPv6 host. */
export function hostToIp (hostname: string): IpAddress | null {
  const bare = hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname
  return parseIpAddress(bare)
}
