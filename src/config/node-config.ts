import { readFile, writeFile, rename } from 'node:fs/promises'
import { isAbsolute, join } from 'node:path'
import { z } from 'zod'
import { multiaddr } from '@multiformats/multiaddr'
import { hfError, ErrorCodes } from '../errors.js'
import { normaliseCountry } from './country.js'
import { describeIssues } from './validation.js'
import type { NodeDir } from './node-dir.js'

export const CONFIG_VERSION = 1

export const countryCode = z.string().transform((s, ctx) => {
  const code = normaliseCountry(s)
  if (code === null) {
    ctx.addIssue({ code: 'custom', message: `"${s}" is not an ISO 3166-1 alpha-2 country code (e.g. NL, DE, GB)` })
    return z.NEVER
  }
  return code
})

export const multiaddrString = z.string().refine((s) => {
  try { multiaddr(s); return true } catch { return false }
}, { message: 'not a multiaddr (e.g. /ip4/127.0.0.1/tcp/4001)' })

const cidrRow = z.strictObject({
  cidr: z.string(),
  country: countryCode,
  hoster: z.string().optional(),
  asn: z.number().int().nonnegative().optional()
})

const nodeConfigSchema = z.strictObject({
  version: z.literal(CONFIG_VERSION),
  name: z.string().min(1).max(64),
  countries: z.array(countryCode),
  listen: z.array(multiaddrString).min(1),
  /** federation file; relative paths are taken from the node folder */
  federationFile: z.string().default('federation.json'),
  api: z.strictObject({
    host: z.string().default('127.0.0.1'),
    port: z.number().int().min(0).max(65535),
    /** required when host is not a loopback address */
    token: z.string().min(16).optional(),
    /**
     * further `Host` names the admin API answers to (`name` or `name:port`), e.g. the name a
     * reverse proxy forwards; its own listen names and addresses need no entry
     */
    allowedHosts: z.array(z.string().min(1).max(255)).optional()
  }),
  check: z.strictObject({
    host: z.string().default('127.0.0.1'),
    port: z.number().int().min(0).max(65535),
    /** hashes per request @default 10000 */
    maxHashes: z.number().int().positive().default(10_000),
    /** requests per second per token @default 200 */
    rateLimit: z.number().positive().default(200),
    /** largest video `POST /v1/check/video` takes, bytes @default 200 MiB */
    maxVideoBytes: z.number().int().positive().default(200 * 1024 * 1024),
    /** Meta's Hasher-Matcher-Actioner API on the check port (README "For hosters running HMA") */
    hma: z.strictObject({
      /** path prefix of the HMA routes, e.g. `/hma` (`/hma/m/lookup`) @default '' (HMA's own paths) */
      prefix: z.string().regex(/^(\/[A-Za-z0-9._~-]+)*$/, 'a path prefix like /hma (no trailing slash), or empty').default(''),
      /**
       * a header that also carries the check token, for HMA deployments whose proxy adds one
       * (e.g. `x-api-key`); `Authorization: Bearer` is always accepted
       */
      tokenHeader: z.string().regex(/^[A-Za-z0-9-]{1,64}$/, 'an HTTP header name').transform(s => s.toLowerCase()).optional()
    }).default({ prefix: '' })
  }).optional(),
  video: z.strictObject({
    /** a system ffmpeg to decode videos with instead of the one shipped in the npm package */
    ffmpegPath: z.string().min(1).optional()
  }).default({}),
  match: z.strictObject({
    /** PDQ authors' advice @default 31 */
    pdqThreshold: z.number().int().min(0).max(128).default(31),
    blockhashThreshold: z.number().int().min(0).max(128).default(10),
    /** origins whose lists are not matched (kill switch), by member name */
    disabledOrigins: z.array(z.string()).default([]),
    /** % of a stored video's frames that must be found in the query (README: Videos) @default 80 */
    vpdqComparePct: z.number().min(0).max(100).default(80),
    /** % of the query video's frames that must be found in the stored video @default 0 */
    vpdqQueryPct: z.number().min(0).max(100).default(0),
    /** also match an image's 7 rotated and mirrored PDQ variants @default true */
    dihedral: z.boolean().default(true),
    /** members whose benign entries suppress matches here (names or peer IDs); absent: every member */
    benignTrustedOrigins: z.array(z.string()).optional(),
    /** a PDQ match within this distance of a trusted benign PDQ value is suppressed @default 31 */
    benignPdqThreshold: z.number().int().min(0).max(128).default(31)
  }).default({ pdqThreshold: 31, blockhashThreshold: 10, disabledOrigins: [], vpdqComparePct: 80, vpdqQueryPct: 0, dihedral: true, benignPdqThreshold: 31 }),
  /** automatic hold of over-matching hashes (README "False-positive defences") */
  quarantine: z.strictObject({
    /** off: no counting, no automatic holds (operator holds still apply) @default true */
    enabled: z.boolean().default(true),
    /** a stored hash matched for more distinct hoster tokens than this in the window is held @default 5 */
    maxHosters: z.number().int().positive().default(5),
    /** ... or matched more often than this in the last hour @default 1000 */
    maxMatchesPerHour: z.number().int().positive().default(1000),
    /** the sliding window distinct hosters are counted over @default 86400000 (24 h) */
    hosterWindowMs: z.number().int().positive().default(86_400_000),
    /** after the origin confirms a hash, its thresholds here are multiplied by this @default 10 */
    confirmedFactor: z.number().int().min(1).default(10)
  }).default({ enabled: true, maxHosters: 5, maxMatchesPerHour: 1000, hosterWindowMs: 86_400_000, confirmedFactor: 10 }),
  reports: z.strictObject({
    cidrTable: z.array(cidrRow).default([]),
    /** MaxMind country mmdb; the embedded geoip-country data is used otherwise */
    geoipMmdb: z.string().optional(),
    /** MaxMind ASN mmdb (GeoLite2-ASN); the embedded @ip-location-db/asn data is used otherwise */
    asnMmdb: z.string().optional(),
    /** closed reports are deleted after this many days @default 365 */
    retentionDays: z.number().positive().default(365),
    /** hosters with reports open longer than this are listed @default 7 */
    openAlertDays: z.number().positive().default(7),
    /**
     * report-protocol messages each member may send us, per kind: `burst` at once, refilled at
     * `perMinute` @default { burst: 2000, perMinute: 60 } (reports/constants.ts says why)
     */
    inboundQuota: z.strictObject({
      burst: z.number().int().positive(),
      perMinute: z.number().positive()
    }).optional()
  }).default({ cidrTable: [], retentionDays: 365, openAlertDays: 7 }),
  /** set on a read-only mirror: the member name whose check service it scales */
  mirrorOf: z.string().optional()
})

export type NodeConfig = z.output<typeof nodeConfigSchema>
export type NodeConfigInput = z.input<typeof nodeConfigSchema>

export function parseNodeConfig (data: unknown, file = 'config.json'): NodeConfig {
  const result = nodeConfigSchema.safeParse(data)
  if (!result.success) {
    throw hfError(ErrorCodes.INVALID_CONFIG, describeIssues(file, result.error), { file })
  }
  return result.data
}

export async function loadNodeConfig (dir: NodeDir): Promise<NodeConfig> {
  let text: string
  try {
    text = await readFile(dir.config, 'utf8')
  } catch (err) {
    throw hfError(ErrorCodes.NODE_NOT_FOUND, `no hashfed node at ${dir.root} (missing ${dir.config}); create one with: hashfed init --dir ${dir.root}`, undefined, err)
  }
  let data: unknown
  try {
    data = JSON.parse(text)
  } catch (err) {
    throw hfError(ErrorCodes.INVALID_CONFIG, `${dir.config}: not valid JSON: ${(err as Error).message}`, { file: dir.config })
  }
  return parseNodeConfig(data, dir.config)
}

export async function saveNodeConfig (dir: NodeDir, config: NodeConfigInput): Promise<void> {
  parseNodeConfig(config, dir.config)
  // an admin token in the file makes it a secret
  await writeJsonAtomic(dir.config, config, config.api.token !== undefined ? 0o600 : 0o644)
}

export function federationPath (dir: NodeDir, config: NodeConfig): string {
  return isAbsolute(config.federationFile) ? config.federationFile : join(dir.root, config.federationFile)
}

/** Write-then-rename, so a crash never leaves half a file. */
export async function writeJsonAtomic (path: string, data: unknown, mode = 0o644): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`
  await writeFile(tmp, JSON.stringify(data, null, 2) + '\n', { mode })
  await rename(tmp, path)
}
