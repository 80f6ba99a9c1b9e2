import { createRequire } from 'node:module'
import maxmind, { type CountryResponse } from 'maxmind'
import { hfError, ErrorCodes } from '../errors.js'
import type { IpAddress } from './ip-address.js'

/**
 * Attribution the GeoLite2 licence (CC BY-SA 4.0, MaxMind's EULA) requires wherever the
 * embedded data is used; shown by the CLI and the README. See NOTICE.
 */
export const GEOLITE2_ATTRIBUTION = 'This product includes GeoLite2 data created by MaxMind, available from https://www.maxmind.com/.'

/** An IP → country database, already loaded. */
export interface GeoipDatabase {
  /** what answered, for messages: "embedded GeoLite2 data (geoip-country 5.0.…)" or the mmdb path */
  readonly description: string
  /** the ISO 3166-1 code the database gives for the address's location, as stored, or undefined */
  country (ip: IpAddress): string | undefined
}

export interface GeoipInit {
  /**
   * A MaxMind DB country (or city) file, e.g. GeoLite2-Country.mmdb.
   * @default the GeoLite2 data embedded in the geoip-country package
   */
  mmdb?: string
}

/**
 * Loads the database. The embedded data is read synchronously when geoip-country is first
 * required: 25–50 ms and 7.8 MB of buffers (RSS +6–18 MB) on a 2-core machine, so callers
 * open it on first need (see CountryResolver), never at import.
 */
export async function openGeoip (init: GeoipInit = {}): Promise<GeoipDatabase> {
  return init.mmdb === undefined ? openEmbedded() : await openMmdb(init.mmdb)
}

interface GeoipCountryModule {
  lookup (ip: string): { country?: string } | null
}

function openEmbedded (): GeoipDatabase {
  const require = createRequire(import.meta.url)
  let mod: GeoipCountryModule
  let version: string
  try {
    // geoip-country reads its .dat files synchronously when first required.
    mod = require('geoip-country') as GeoipCountryModule
    version = (require('geoip-country/package.json') as { version: string }).version
  } catch (err) {
    throw hfError(ErrorCodes.INTERNAL,
      `the embedded GeoIP data (geoip-country) could not be loaded: ${(err as Error).message}; reinstall hashfed or set reports.geoipMmdb`,
      undefined, err)
  }
  return {
    description: `embedded GeoLite2 data (geoip-country ${version})`,
    country (ip) {
      // toNormalizedString: all eight groups, because geoip-country's own IPv6 parser
      // mishandles some `::` forms.
      const text = ip.version === 4 ? ip.text : ip.addr.toNormalizedString()
      return mod.lookup(text)?.country ?? undefined
    }
  }
}

// Databases that hold no country: pointing at one is a config mistake, not "unknown".
const NOT_COUNTRY_DB = /ASN|ISP|Anonymous|Connection-Type|Domain/i

async function openMmdb (path: string): Promise<GeoipDatabase> {
  let reader: maxmind.Reader<CountryResponse>
  try {
    reader = await maxmind.open<CountryResponse>(path)
  } catch (err) {
    const e = err as NodeJS.ErrnoException
    const why = e.code === 'ENOENT' ? 'no such file' : e.code !== undefined ? e.message : `not a MaxMind DB file (${e.message})`
    throw hfError(ErrorCodes.INVALID_CONFIG, `reports.geoipMmdb: cannot open ${path}: ${why}`, { field: 'reports.geoipMmdb', path }, err)
  }
  const type = String(reader.metadata.databaseType)
  if (NOT_COUNTRY_DB.test(type)) {
    throw hfError(ErrorCodes.INVALID_CONFIG,
      `reports.geoipMmdb: ${path} is a ${type} database, which has no countries; use a Country or City database (e.g. GeoLite2-Country.mmdb)`,
      { field: 'reports.geoipMmdb', path, databaseType: type })
  }
  return {
    description: `${type} database ${path}`,
    country (ip) {
      // The located country only, like the embedded data: registered_country names the
      // network's registrant (e.g. for anycast ranges), which says little about hosting.
      const iso = reader.get(ip.text)?.country?.iso_code
      return typeof iso === 'string' ? iso : undefined
    }
  }
}
