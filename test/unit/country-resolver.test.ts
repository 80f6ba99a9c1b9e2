import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { createCountryResolver, type HostLookup, type ResolvedCountry } from '../../src/reports/country-resolver.js'
import { isHashfedError } from '../../src/errors.js'
import { tempDir } from '../helpers/temp-dir.js'
import { writeMmdb } from '../helpers/mmdb-writer.js'

// No test here sends a packet: the IPs below are only looked up in GeoIP data on disk, and
// every DNS answer is injected, except `localhost`, which /etc/hosts answers.
const noDns: HostLookup = async (host) => { throw new Error(`unexpected DNS lookup of ${host}`) }

function code (c: string) {
  return (e: unknown) => isHashfedError(e) && e.code === c
}

function field (f: string) {
  return (e: unknown) => isHashfedError(e, 'HF_INVALID_REPORT') && e.details?.field === f
}

const geoipLoaded = (): boolean =>
  Object.keys(createRequire(import.meta.url).cache).some(k => k.includes('geoip-country'))

test('explicit and CIDR-table answers do not load the GeoIP data', async () => {
  const r = createCountryResolver({ lookup: noDns, asn: false, cidrTable: [{ cidr: '193.0.0.0/16', country: 'DE' }] })
  assert.deepEqual(await r.resolve({ url: 'https://example.org/a', country: 'nl' }), { country: 'NL', source: 'explicit' })
  assert.equal((await r.resolve({ url: 'https://example.org/a', ip: '193.0.6.139' })).source, 'cidr-table')
  assert.equal(geoipLoaded(), false)
  assert.equal((await r.resolve({ url: 'http://193.0.6.139/' })).source, 'cidr-table')
  assert.equal(geoipLoaded(), false)
  await r.loadGeoip()
  assert.equal(geoipLoaded(), true)
})

// Each address sits in a block the embedded GeoLite2 data assigns as shown (checked in
// geoip-country's .dat files, ranges in the comments); all are long-lived registrations.
const WELL_KNOWN: Array<[string, string, string]> = [
  ['8.8.8.8', 'US', 'Google Public DNS; 8.6.113.0–8.10.5.255'],
  ['2001:4860:4860::8888', 'US', 'Google Public DNS; 2001:4860:0007:1736::–2001:4860:ffff:ffff::'],
  ['193.0.6.139', 'NL', 'RIPE NCC, Amsterdam; 193.0.0.0–193.0.23.255'],
  ['2001:67c:2e8::1', 'NL', 'RIPE NCC; 2001:67c:2e8::/48'],
  ['194.109.6.66', 'NL', 'XS4ALL; 194.109.0.0/16'],
  ['81.91.170.12', 'DE', 'DENIC, Frankfurt; 81.91.160.0/20'],
  ['2a01:4f8::1', 'DE', 'Hetzner; 2a01:4f8::/32'],
  ['212.58.244.1', 'GB', 'BBC; 212.58.224.0/19'],
  ['2001:630::1', 'GB', 'Jisc (JANET); 2001:630::/32'],
  ['139.130.4.5', 'AU', 'Telstra; 139.130.0.0/16'],
  ['2001:200::1', 'JP', 'WIDE project; 2001:200::/32']
]

test('the embedded GeoIP data resolves well-known IPv4 and IPv6 addresses offline', async () => {
  const r = createCountryResolver({ lookup: noDns, asn: false })
  for (const [ip, country, what] of WELL_KNOWN) {
    assert.deepEqual(await r.resolve({ url: 'https://example.org/x', ip }), { country, source: 'geoip', ip }, `${ip} (${what})`)
  }
  // As a URL's IP-literal host, and as IPv4-mapped IPv6 (which the URL parser rewrites to hex).
  assert.deepEqual(await r.resolve({ url: 'http://[2001:67c:2e8::1]:8080/p' }), { country: 'NL', source: 'geoip', ip: '2001:67c:2e8::1' })
  assert.deepEqual(await r.resolve({ url: 'ftp://81.91.170.12/pub' }), { country: 'DE', source: 'geoip', ip: '81.91.170.12' })
  assert.deepEqual(await r.resolve({ url: 'http://[::ffff:212.58.244.1]/' }), { country: 'GB', source: 'geoip', ip: '212.58.244.1' })
  assert.deepEqual(await r.resolve({ url: 'http://x.test/', ip: '::FFFF:193.0.6.139' }), { country: 'NL', source: 'geoip', ip: '193.0.6.139' })
  // The analyst's hoster and ASN travel along with a GeoIP answer.
  assert.deepEqual(await r.resolve({ url: 'http://x.test/', ip: '2A01:04F8:0::1', hoster: ' Hetzner ', asn: 24940 }),
    { country: 'DE', source: 'geoip', ip: '2a01:4f8::1', hoster: 'Hetzner', asn: 24940 })
})

test('addresses without a public location give HF_UNKNOWN_COUNTRY', async () => {
  const r = createCountryResolver({ lookup: noDns, asn: false })
  for (const ip of ['192.0.2.1', '10.1.2.3', '127.0.0.1', '2001:db8::1', 'fe80::1', '::1']) {
    await assert.rejects(r.resolve({ url: 'https://example.org/', ip }), (e: unknown) => {
      assert.ok(isHashfedError(e, 'HF_UNKNOWN_COUNTRY'), `${ip}: ${String(e)}`)
      assert.deepEqual(e.details?.ips, [ip])
      assert.match(e.message, /--country/)
      return true
    })
  }
})

test('the CIDR table overrides GeoIP and fills in hoster and ASN the analyst left out', async () => {
  const r = createCountryResolver({
    asn: false,
    lookup: noDns,
    cidrTable: [
      { cidr: '193.0.0.0/16', country: 'de', hoster: 'Test Hoster', asn: 64500 },
      { cidr: '2001:67c:2e8::/48', country: 'BE' }
    ]
  })
  assert.deepEqual(await r.resolve({ url: 'https://example.org/', ip: '193.0.6.139' }),
    { country: 'DE', source: 'cidr-table', ip: '193.0.6.139', hoster: 'Test Hoster', asn: 64500 })
  assert.deepEqual(await r.resolve({ url: 'https://example.org/', ip: '193.0.6.139', hoster: 'Other', asn: 64501 }),
    { country: 'DE', source: 'cidr-table', ip: '193.0.6.139', hoster: 'Other', asn: 64501 })
  assert.deepEqual(await r.resolve({ url: 'https://[2001:67c:2e8::99]/' }), { country: 'BE', source: 'cidr-table', ip: '2001:67c:2e8::99' })
  // Outside the table, GeoIP answers.
  assert.deepEqual(await r.resolve({ url: 'https://example.org/', ip: '81.91.170.12' }), { country: 'DE', source: 'geoip', ip: '81.91.170.12' })
})

test('the most specific CIDR prefix wins, per address family', async () => {
  const r = createCountryResolver({
    asn: false,
    lookup: noDns,
    cidrTable: [
      { cidr: '10.1.0.0/16', country: 'DE', hoster: 'mid' },
      { cidr: '0.0.0.0/0', country: 'FR' },
      { cidr: '10.1.2.0/24', country: 'GB', hoster: 'small' },
      { cidr: '10.0.0.0/8', country: 'NL', hoster: 'big' },
      { cidr: '10.1.2.3/32', country: 'SE' },
      { cidr: '2001:db8:1::/48', country: 'BE' },
      { cidr: '2001:db8::/32', country: 'NL' }
    ]
  })
  const c = async (ip: string): Promise<ResolvedCountry> => await r.resolve({ url: 'https://example.org/', ip })
  assert.equal((await c('10.1.2.3')).country, 'SE')
  assert.deepEqual(await c('10.1.2.4'), { country: 'GB', source: 'cidr-table', ip: '10.1.2.4', hoster: 'small' })
  assert.equal((await c('10.1.9.9')).hoster, 'mid')
  assert.equal((await c('10.9.9.9')).hoster, 'big')
  assert.equal((await c('11.0.0.1')).country, 'FR')
  assert.equal((await c('::ffff:10.1.2.4')).country, 'GB')
  assert.equal((await c('2001:db8:1:ffff::5')).country, 'BE')
  assert.equal((await c('2001:db8:2::5')).country, 'NL')
  // 0.0.0.0/0 covers IPv4 only: an IPv6 address outside the table falls through to GeoIP.
  assert.deepEqual(await c('2001:630::1'), { country: 'GB', source: 'geoip', ip: '2001:630::1' })
})

test('an explicit country wins over the table, GeoIP and DNS', async () => {
  let lookups = 0
  const r = createCountryResolver({
    asn: false,
    lookup: async () => { lookups++; return ['193.0.6.139'] },
    cidrTable: [{ cidr: '193.0.0.0/16', country: 'DE', hoster: 'Table Hoster' }]
  })
  assert.deepEqual(await r.resolve({ url: 'https://example.org/', ip: '193.0.6.139', country: ' gb ' }),
    { country: 'GB', source: 'explicit', ip: '193.0.6.139' })
  assert.deepEqual(await r.resolve({ url: 'https://example.org/', country: 'FR', hoster: 'OVH', asn: 16276 }),
    { country: 'FR', source: 'explicit', hoster: 'OVH', asn: 16276 })
  assert.equal(lookups, 0)
})

test('without an IP, the host is resolved through the injected lookup', async () => {
  const asked: string[] = []
  const answers: Record<string, string[]> = {
    'mixed.example': ['192.0.2.10', '2001:67c:2e8::1', '81.91.170.12'],
    'tabled.example': ['81.91.170.12', '198.51.100.7'],
    'junk.example': ['not-an-ip', '', '999.1.1.1'],
    'private.example': ['10.0.0.1']
  }
  const lookup: HostLookup = async (host) => {
    asked.push(host)
    if (host in answers) return answers[host]
    throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' })
  }
  const r = createCountryResolver({ asn: false, lookup, cidrTable: [{ cidr: '198.51.100.0/24', country: 'GB', hoster: 'Doc Hoster' }] })

  // The documentation address has no location; the next address decides.
  assert.deepEqual(await r.resolve({ url: 'https://Mixed.Example/a?b=c' }), { country: 'NL', source: 'dns+geoip', ip: '2001:67c:2e8::1' })
  // A table hit on any address outranks GeoIP on an earlier one.
  assert.deepEqual(await r.resolve({ url: 'https://tabled.example/' }),
    { country: 'GB', source: 'dns+cidr-table', ip: '198.51.100.7', hoster: 'Doc Hoster' })
  assert.deepEqual(asked, ['mixed.example', 'tabled.example'])

  await assert.rejects(r.resolve({ url: 'https://nowhere.example/' }), (e: unknown) =>
    isHashfedError(e, 'HF_UNKNOWN_COUNTRY') && e.details?.reason === 'dns' && /does not resolve/.test(e.message))
  await assert.rejects(r.resolve({ url: 'https://junk.example/' }), (e: unknown) =>
    isHashfedError(e, 'HF_UNKNOWN_COUNTRY') && /no address/.test(e.message))
  await assert.rejects(r.resolve({ url: 'https://private.example/' }), (e: unknown) =>
    isHashfedError(e, 'HF_UNKNOWN_COUNTRY') && /private address/.test(e.message))

  // With an IP from the analyst or in the URL, DNS is not asked.
  asked.length = 0
  assert.equal((await r.resolve({ url: 'https://nowhere.example/', ip: '8.8.8.8' })).source, 'geoip')
  assert.equal((await r.resolve({ url: 'https://8.8.8.8/' })).source, 'geoip')
  assert.deepEqual(asked, [])
})

test('a DNS lookup that hangs gives HF_UNKNOWN_COUNTRY after the timeout', async () => {
  const r = createCountryResolver({ lookup: async () => await new Promise<string[]>(() => {}), dnsTimeoutMs: 50 })
  const started = Date.now()
  await assert.rejects(r.resolve({ url: 'https://slow.example/' }), (e: unknown) =>
    isHashfedError(e, 'HF_UNKNOWN_COUNTRY') && e.details?.reason === 'dns' && /50 ms/.test(e.message))
  assert.ok(Date.now() - started < 20_000, 'it gives up rather than hanging')
})

test('the default lookup resolves localhost, and the CIDR table places loopback', async () => {
  const r = createCountryResolver({ cidrTable: [{ cidr: '127.0.0.0/8', country: 'NL' }, { cidr: '::1/128', country: 'NL' }] })
  const got = await r.resolve({ url: 'http://localhost:8080/x' })
  assert.equal(got.country, 'NL')
  assert.equal(got.source, 'dns+cidr-table')
  assert.ok(got.ip === '::1' || got.ip?.startsWith('127.') === true, String(got.ip))
})

test('bad report fields give HF_INVALID_REPORT naming the field', async () => {
  const r = createCountryResolver({ lookup: noDns, asn: false })
  const badUrls = ['', 'not a url', '/relative/path', 'javascript:alert(1)', 'mailto:a@example.org',
    'file:///etc/passwd', 'data:text/plain,x', 'http://', 'https://exa mple.org/', 'https://example.org/' + 'a'.repeat(9000)]
  for (const url of badUrls) {
    await assert.rejects(r.resolve({ url, country: 'NL' }), field('url'), JSON.stringify(url.slice(0, 40)))
  }
  await assert.rejects(r.resolve({ url: undefined as unknown as string }), field('url'))
  for (const ip of ['999.1.1.1', '127.1', '0x7f.0.0.1', 'fe80::1%eth0', '1.2.3.4/24', 'example.org', '2001:db8::g']) {
    await assert.rejects(r.resolve({ url: 'https://example.org/', ip }), field('ip'), ip)
  }
  for (const country of ['XX', 'UK', 'NLD', 'EU', '1']) {
    await assert.rejects(r.resolve({ url: 'https://example.org/', country }), field('country'), country)
  }
  await assert.rejects(r.resolve({ url: 'https://example.org/', country: 'UK' }), (e: unknown) => isHashfedError(e) && /use GB/.test(e.message))
  for (const asn of [0, -1, 1.5, 2 ** 32, Number.NaN]) {
    await assert.rejects(r.resolve({ url: 'https://example.org/', country: 'NL', asn }), field('asn'), String(asn))
  }
  await assert.rejects(r.resolve({ url: 'https://example.org/', country: 'NL', hoster: 'a\nb' }), field('hoster'))
  await assert.rejects(r.resolve({ url: 'https://example.org/', country: 'NL', hoster: 'h'.repeat(300) }), field('hoster'))
})

test('a bad CIDR table is refused at creation with HF_INVALID_CONFIG naming the row', () => {
  const bad: Array<[unknown, RegExp]> = [
    [{ cidr: 'abc', country: 'NL' }, /not a CIDR block/],
    [{ cidr: '10.0.0.0', country: 'NL' }, /not a CIDR block/],
    [{ cidr: '10.0.0.0/33', country: 'NL' }, /not a CIDR block/],
    [{ cidr: '10.1/16', country: 'NL' }, /not a CIDR block/],
    [{ cidr: '10.0.0.1/8', country: 'NL' }, /host bits set; the network is 10\.0\.0\.0\/8/],
    [{ cidr: '2001:db8::1/32', country: 'NL' }, /the network is 2001:db8::\/32/],
    [{ cidr: '::ffff:10.0.0.0/104', country: 'NL' }, /IPv4-mapped/],
    [{ cidr: '10.0.0.0/8', country: 'XX' }, /not an ISO 3166-1/],
    [{ cidr: '10.0.0.0/8', country: 'NL', asn: 2 ** 32 }, /not an AS number/]
  ]
  for (const [row, message] of bad) {
    assert.throws(() => createCountryResolver({ cidrTable: [{ cidr: '192.0.2.0/24', country: 'NL' }, row as never] }), (e: unknown) =>
      isHashfedError(e, 'HF_INVALID_CONFIG') && e.details?.field === 'reports.cidrTable[1]' && message.test(e.message), JSON.stringify(row))
  }
  assert.throws(() => createCountryResolver({ cidrTable: [{ cidr: '2001:DB8::/32', country: 'NL' }, { cidr: '2001:db8:0::/32', country: 'DE' }] }),
    (e: unknown) => isHashfedError(e, 'HF_INVALID_CONFIG') && /already listed at reports.cidrTable\[0\]/.test(e.message))
})

test('a MaxMind mmdb file replaces the embedded data', async () => {
  const dir = await tempDir()
  const path = join(dir, 'country.mmdb')
  const country = (iso: string) => ({ country: { iso_code: iso, names: { en: iso } }, registered_country: { iso_code: iso, names: { en: iso } } })
  // Deliberately not what GeoLite2 says, so the answers prove which database was used.
  await writeFile(path, writeMmdb({
    databaseType: 'GeoLite2-Country',
    networks: [
      { cidr: '193.0.0.0/16', data: country('DE') },
      { cidr: '193.0.6.0/24', data: country('FR') },
      { cidr: '2001:67c:2e8::/48', data: country('SE') },
      // Only a registrant country (as for anycast blocks): not a hosting location.
      { cidr: '8.8.8.0/24', data: { registered_country: { iso_code: 'US', names: { en: 'US' } } } }
    ]
  }))
  const r = createCountryResolver({ lookup: noDns, geoipMmdb: path, asn: false })
  assert.match((await r.loadGeoip()).description, /GeoLite2-Country database .*country\.mmdb/)
  const c = async (ip: string) => await r.resolve({ url: 'https://example.org/', ip })
  assert.deepEqual(await c('193.0.6.139'), { country: 'FR', source: 'geoip', ip: '193.0.6.139' })
  assert.equal((await c('193.0.7.1')).country, 'DE')
  assert.equal((await c('2001:67c:2e8:22::c100:68b')).country, 'SE')
  await assert.rejects(c('8.8.8.8'), code('HF_UNKNOWN_COUNTRY'))
  await assert.rejects(c('81.91.170.12'), (e: unknown) => isHashfedError(e, 'HF_UNKNOWN_COUNTRY') && /country\.mmdb has no country/.test(e.message))
})

test('a missing, invalid or non-country mmdb gives HF_INVALID_CONFIG, and a fixed file is picked up', async () => {
  const dir = await tempDir()
  const missing = join(dir, 'later.mmdb')
  const r = createCountryResolver({ lookup: noDns, geoipMmdb: missing })
  await assert.rejects(r.resolve({ url: 'https://example.org/', ip: '8.8.8.8' }), (e: unknown) =>
    isHashfedError(e, 'HF_INVALID_CONFIG') && e.details?.field === 'reports.geoipMmdb' && /no such file/.test(e.message))
  // Explicit countries still work while the GeoIP file is broken.
  assert.equal((await r.resolve({ url: 'https://example.org/', ip: '8.8.8.8', country: 'US' })).country, 'US')
  await writeFile(missing, writeMmdb({ networks: [{ cidr: '8.8.8.0/24', data: { country: { iso_code: 'CA' } } }] }))
  assert.equal((await r.resolve({ url: 'https://example.org/', ip: '8.8.8.8' })).country, 'CA')

  const garbage = join(dir, 'garbage.mmdb')
  await writeFile(garbage, Buffer.from('this is not a MaxMind database\n'.repeat(10)))
  await assert.rejects(createCountryResolver({ geoipMmdb: garbage }).loadGeoip(), code('HF_INVALID_CONFIG'))

  const asn = join(dir, 'asn.mmdb')
  await writeFile(asn, writeMmdb({ databaseType: 'GeoLite2-ASN', networks: [{ cidr: '8.8.8.0/24', data: { autonomous_system_number: 15169 } }] }))
  await assert.rejects(createCountryResolver({ geoipMmdb: asn }).loadGeoip(), (e: unknown) =>
    isHashfedError(e, 'HF_INVALID_CONFIG') && /GeoLite2-ASN database, which has no countries/.test(e.message))
})

test('the AS number of the deciding address is filled in from the embedded ASN data, unless the analyst or the table gave one', async () => {
  const r = createCountryResolver({ lookup: noDns, cidrTable: [{ cidr: '198.51.100.0/24', country: 'GB', asn: 64500 }] })
  assert.deepEqual(await r.resolve({ url: 'https://example.org/', ip: '193.0.6.139' }), { country: 'NL', source: 'geoip', ip: '193.0.6.139', asn: 3333 })
  assert.deepEqual(await r.resolve({ url: 'http://[2001:67c:2e8:22::c100:68b]/' }), { country: 'NL', source: 'geoip', ip: '2001:67c:2e8:22::c100:68b', asn: 3333 })
  assert.equal((await r.resolve({ url: 'https://example.org/', ip: '193.0.6.139', asn: 1136 })).asn, 1136)
  assert.equal((await r.resolve({ url: 'https://example.org/', ip: '198.51.100.7' })).asn, 64500)
  // an explicit country with an IP: the AS still comes from the IP
  assert.equal((await r.resolve({ url: 'https://example.org/', ip: '193.0.6.139', country: 'DE' })).asn, 3333)
  const as = (await r.loadAsn()).lookup
  assert.equal(typeof as, 'function')
})
