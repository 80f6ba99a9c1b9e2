import { test } from 'node:test'
import assert from 'node:assert/strict'
import { isHashfedError } from '../../src/errors.js'
import { FORMAT_NAMES } from '../../src/formats/format.js'
import { FORMATS, getFormat, writableFormats } from '../../src/formats/registry.js'
import { formatLoader } from '../../src/formats/load-format.js'
import { formatSuite } from '../helpers/format-suite.js'

// Synthetic values: digests of the strings "hashfed fixture N" / "hashfed pdq N" (see SOURCES.md).
const MD5 = ['', '84f64b65db3192a980783835b078a28b', '13083016c5197ec3250d6728af75ba65', '55bbc1d4987fe6dc3b5571357b6a736e', 'ba460b1b3cc3b01cbdcfae7b99820002', 'f546837b55a0e683119b015fc4479bc2', '', '269c707f9a338a898c7b2c96deac3d7e', '786daf3e526bd0510cc77606c12ba1a1']
const SHA1 = ['', '159a45c2f964c33f5f9c22a9043380060da41f2e', '637cd1b52cd75a5e41bb4bb1dd1d826cc3b3b38f', '639b30236a738a8b5a1fbcc6b5e2b498f5ac7211', '1228d9d141d981dfe3153f55b6bedd1aa62e10d1', 'd484702131af64110773ce94feebf2d4748fd41d', 'c11e2808831845a7bee9dc36853176112e1f74bf', '5d66440718dcf98e5e06e043ed58d7df655f2f92']
const SHA256 = ['', 'c501cfa7aa34cb7dcaf1aeadc8f95188659516bd9c3acf4aa77d218e25b5d0a1', '8c50b392f0d02198359bdb752242a6646450fb99c4ffe49d54ef219420ff3204', '89b7e6fbee8aceb168bad41d14ecc1d678d74091915f13a78ef4f03a93e734e4', '', '8b04dde821be18055a3b30f09aee0c9fb397b10fbdd2273e8db95c34bf9ed05b']
const PDQ = ['', '27e9416929d305a3e78cdd07a6e459231f1ce50d5a30b91d2b751e3f1696f7ba', '3a74df25d0fdf24461a20a6ef700ee3ba9b0138b9e222f697c40ca2558153126', '214b6ad4716047a1d310ce076f7294ec16697695e987136607f4bb5e2bceeeac', 'e7d5ec90497da90daf4fc3a206d5766d72190f90b70c3fc092fee5bff49ee048']
const PDNA1 = Buffer.from('BjFtTDnrCHPr3Ya9YDxbK3h1zHAdt0AUslyOQnpHMp3SOm6vXAVo7iS8rS+NYTlv2eh12bX3Pu+Kqk8ugh2xEAYxbUw56whz692GvWA8Wyt4dcxwHbdAFLJcjkJ6RzKd0jpur1wFaO4kvK0vjWE5b9noddm19z7viqpPLoIdsRAGMW1MOesIc+vdhr1gPFsr', 'base64').toString('hex')
const PDNA2 = Buffer.from('2YDdKlUqzzg1BBIJTELZC1qWq20E0dLvDIlW1xpzEvrrAq3+52N6xbwFsEJ+qR9TO+5r328ZW3z+p2xdSaZrjtmA3SpVKs84NQQSCUxC2QtalqttBNHS7wyJVtcacxL66wKt/udjesW8BbBCfqkfUzvua99vGVt8/qdsXUmma47ZgN0qVSrPODUEEglMQtkL', 'base64').toString('hex')

test('the registry holds every format by name and refuses unknown names', () => {
  assert.deepEqual(FORMATS.map(f => f.name), [...FORMAT_NAMES])
  for (const name of FORMAT_NAMES) assert.equal(getFormat(name).name, name)
  assert.deepEqual(writableFormats(), [...FORMAT_NAMES])
  assert.throws(() => getFormat('ncmec'), (e: unknown) => isHashfedError(e, 'HF_INVALID_ARGUMENT') && e.message.includes('ncmec-xml'))
  for (const f of FORMATS) assert.equal(typeof f.unsupported, 'function', `${f.name} says what it cannot write`)
})

test('the lazy format loader gives the registry\'s format for every name and refuses unknown names with its error', async () => {
  for (const name of FORMAT_NAMES) assert.equal(await formatLoader(name)(), getFormat(name))
  for (const bad of ['ncmec', 'toString', '__proto__', '']) {
    let expected: unknown
    try { getFormat(bad) } catch (e) { expected = e }
    assert.throws(() => formatLoader(bad), (e: unknown) => isHashfedError(e, 'HF_INVALID_ARGUMENT') && e.message === (expected as Error).message)
  }
})

formatSuite({
  name: 'lines',
  fixture: 'lines.txt',
  expected: [
    { kind: 'add', line: 3, ref: `md5:${MD5[1]}` },
    { kind: 'add', line: 4, ref: `sha1:${SHA1[1]}` },
    { kind: 'add', line: 5, ref: `sha256:${SHA256[1]}` },
    { kind: 'add', line: 8, ref: `sha256:${SHA256[2]}` },
    { kind: 'add', line: 9, ref: `pdq:${PDQ[1]}`, quality: 87 },
    { kind: 'add', line: 10, ref: `pdq:${PDQ[2]}`, quality: 100 },
    { kind: 'add', line: 11, ref: `photodna:${PDNA1}` },
    { kind: 'add', line: 13, ref: `sha256:${SHA256[3]}` },
    { kind: 'reject', line: 15, reason: /invalid sha256 value "9828e455.*": expected 64 hex characters, got 62/ },
    { kind: 'reject', line: 16, reason: /cannot tell the algorithm of "f546837b.*" \(34 characters\)/ }
  ],
  firstRecordEnd: MD5[1],
  truncations: [{ after: 'sha256:8c50b392f0d0', expect: 'reject' }],
  wrongStructure: [
    { name: 'a JSON file', text: '{"value": []}\n' },
    { name: 'an XML file', text: '<?xml version="1.0"?>\n<queryResult/>\n' },
    { name: 'a binary file', text: `${MD5[1]}\n\u0000\u0001PNG\n` },
    { name: 'text without any hash', text: 'hello\nworld\n' }
  ]
})

formatSuite({
  name: 'csv',
  fixture: 'hashes.csv',
  expected: [
    { kind: 'add', line: 2, ref: `md5:${MD5[1]}`, classification: 'baseline', iwfCategory: 'A', ageBand: '3-6', media: 'image', tags: ['eokm-2024', 'priority'], source: 'eokm:case-2024-113' },
    { kind: 'add', line: 3, ref: `sha1:${SHA1[1]}`, classification: 'national', vicsCategory: 1, media: 'video', source: 'icse:7731' },
    { kind: 'add', line: 4, ref: `pdq:${PDQ[1]}`, quality: 87, classification: 'baseline', iwfCategory: 'B', ageBand: '7-10', media: 'image', tags: ['reviewed, twice'] },
    { kind: 'add', line: 5, ref: `sha256:${SHA256[1]}`, classification: 'not-illegal', vicsCategory: 0, media: 'image' },
    { kind: 'add', line: 6, ref: `photodna:${PDNA1}`, classification: 'baseline', media: 'image', source: 'ncmec:5002' },
    { kind: 'add', line: 7, ref: `blockhash:${PDQ[3]}`, iwfCategory: 'C', ageBand: '16-17' },
    { kind: 'add', line: 8, ref: `sha256:${SHA256[2]}` },
    { kind: 'reject', line: 9, reason: /invalid sha256 value "abc"/ },
    { kind: 'reject', line: 10, reason: /invalid classification "illegal"/ },
    { kind: 'reject', line: 11, reason: /expected 10 cells .*got 4/ }
  ],
  firstRecordEnd: 'eokm:case-2024-113\r\n',
  truncations: [
    { after: 'md5,84f64b65db31', expect: 'reject' },
    { after: '"reviewed,', expect: 'invalid-format' }
  ],
  wrongStructure: [
    { name: 'an unknown column', text: `algorithm,hash\nmd5,${MD5[1]}\n` },
    { name: 'a duplicate column', text: `value,value\n${MD5[1]},${MD5[1]}\n` },
    { name: 'a header without value', text: `algorithm,source\nmd5,x\n` },
    { name: 'an unclosed quote', text: `value,tags\n${MD5[1]},"a\n` }
  ]
})

formatSuite({
  name: 'ncmec-xml',
  fixture: 'ncmec-queryresult.xml',
  expected: [
    { kind: 'add', line: 10, ref: `md5:${MD5[1]}`, classification: 'baseline', media: 'image', source: 'ncmec:5001' },
    { kind: 'add', line: 11, ref: `sha1:${SHA1[1]}`, classification: 'baseline', media: 'image', source: 'ncmec:5001' },
    { kind: 'add', line: 12, ref: `photodna:${PDNA1}`, classification: 'baseline', media: 'image', source: 'ncmec:5001' },
    { kind: 'reject', line: 28, reason: /NCMEC entry "5002": invalid md5 value "13083016c5197ec3250d6728af75ba": expected 32 hex/ },
    { kind: 'add', line: 29, ref: `pdq:${PDQ[1]}`, quality: 100, classification: 'national', iwfCategory: 'C', media: 'image', source: 'ncmec:5002' },
    { kind: 'add', line: 39, ref: `sha1:${SHA1[2]}`, media: 'image', tags: ['ncmec-classification:E'], source: 'ncmec:5003' },
    { kind: 'retract-source', line: 42, source: 'ncmec:4870' },
    { kind: 'add', line: 55, ref: `md5:${MD5[3]}`, classification: 'baseline', iwfCategory: 'C', media: 'video', source: 'ncmec:6001' },
    { kind: 'retract-source', line: 60, source: 'ncmec:5990' }
  ],
  firstRecordEnd: '</image>',
  truncations: [
    { after: '<md5>84F64B65', expect: 'invalid-format' },
    { after: '</deletedImage>', expect: 'invalid-format' }
  ],
  wrongStructure: [
    { name: 'another root element', text: '<?xml version="1.0"?>\n<status><member id="1">x</member></status>\n' },
    { name: 'a JSON file', text: '{"queryResult": {}}' },
    { name: 'mismatched tags', text: '<queryResult><images><image></images></image></queryResult>' },
    { name: 'an undefined entity', text: '<!DOCTYPE q [<!ENTITY a "aaaa">]><queryResult>&a;</queryResult>' }
  ]
})

formatSuite({
  name: 'vics-json',
  fixture: 'vics-media.json',
  alsoValid: ['vics-media-1.3.json'],
  expected: [
    { kind: 'add', line: 4, ref: `md5:${MD5[4]}`, classification: 'national', vicsCategory: 1, source: 'vics:1001' },
    { kind: 'add', line: 4, ref: `sha1:${SHA1[4]}`, classification: 'national', vicsCategory: 1, source: 'vics:1001' },
    { kind: 'add', line: 4, ref: `photodna:${PDNA2}`, classification: 'national', vicsCategory: 1, source: 'vics:1001' },
    { kind: 'add', line: 18, ref: `md5:${MD5[5]}`, vicsCategory: 2, source: 'vics:1002' },
    { kind: 'add', line: 18, ref: `sha1:${SHA1[5]}`, vicsCategory: 2, source: 'vics:1002' },
    { kind: 'add', line: 18, ref: `sha256:${SHA256[5]}`, vicsCategory: 2, source: 'vics:1002' },
    { kind: 'reject', line: 18, reason: /hash kind "MD5 Partial" is not one hashfed stores/ },
    { kind: 'reject', line: 31, reason: /invalid md5 value "90dda7a59ae2e5aa51130207b601a55"/ },
    { kind: 'add', line: 31, ref: `sha1:${SHA1[6]}`, classification: 'not-illegal', vicsCategory: 0, source: 'vics:1003' },
    { kind: 'add', line: 39, ref: `sha1:${SHA1[7]}`, classification: 'not-illegal', vicsCategory: 4, source: 'vics:1004' }
  ],
  firstRecordEnd: '"MimeType": "image/jpeg"\n    }',
  truncations: [
    { after: '"MD5": "BA460B', expect: 'invalid-format' },
    { after: '"Category": 2,', expect: 'invalid-format' }
  ],
  wrongStructure: [
    { name: 'a missing context header', text: `{"value": [{"MediaID": 1, "MD5": "${MD5[1]}"}]}` },
    { name: 'a context after value', text: `{"value": [], "@odata.context": "http://github.com/VICSDATAMODEL/ProjectVic/DataModels/2.0.xml/US/$metadata#Media"}` },
    { name: 'a foreign OData context', text: '{"@odata.context": "https://services.odata.org/V4/$metadata#Products", "value": []}' },
    { name: 'a top-level array', text: '[{"MD5": "x"}]' },
    { name: 'trailing data', text: '{"@odata.context": "http://github.com/VICSDATAMODEL/ProjectVic/DataModels/2.0.xml/US/$metadata#Media", "value": []} {}' }
  ]
})

formatSuite({
  name: 'icse-csv',
  fixture: 'icse-export.csv',
  expected: [
    { kind: 'add', line: 2, ref: `md5:${MD5[1]}`, classification: 'baseline', media: 'image', source: 'icse:100231' },
    { kind: 'add', line: 2, ref: `sha1:${SHA1[1]}`, classification: 'baseline', media: 'image', source: 'icse:100231' },
    { kind: 'add', line: 3, ref: `md5:${MD5[2]}`, classification: 'national', media: 'image', source: 'icse:100232' },
    { kind: 'add', line: 4, ref: `md5:${MD5[3]}`, classification: 'baseline', media: 'video', source: 'icse:100233' },
    { kind: 'add', line: 4, ref: `sha1:${SHA1[3]}`, classification: 'baseline', media: 'video', source: 'icse:100233' },
    { kind: 'add', line: 4, ref: `photodna:${PDNA2}`, classification: 'baseline', media: 'video', source: 'icse:100233' },
    { kind: 'reject', line: 5, reason: /^MD5: invalid md5 value "ba460b1b3cc3b01cbdcfae7b9982"/ },
    { kind: 'add', line: 5, ref: `sha1:${SHA1[4]}`, classification: 'national', media: 'image', source: 'icse:100234' }
  ],
  firstRecordEnd: 'Image;Yes\r\n',
  truncations: [{ after: '\r\n84f64b65db3192', expect: 'reject' }],
  wrongStructure: [
    { name: 'a comma-separated header', text: 'MD5,SHA1,PhotoDNA,Image ID,Is distributed,Victim identified,Offender identified,Series name,Number of submissions,File Available,Media Type,Baseline\n' },
    { name: 'a header without Baseline', text: `MD5;SHA1;PhotoDNA;Image ID;Is distributed;Victim identified;Offender identified;Series name;Number of submissions;File Available;Media Type\n${MD5[1]};;;1;;;;;;;Image\n` }
  ]
})

formatSuite({
  name: 'hma-csv',
  fixture: 'hma-bank.csv',
  expected: [
    { kind: 'add', line: 2, ref: `pdq:${PDQ[1]}`, quality: 100, media: 'image', tags: ['NCMEC_CSAM'], source: 'hma:101' },
    { kind: 'add', line: 3, ref: `pdq:${PDQ[2]}`, quality: 100, media: 'image', tags: ['NCMEC_CSAM'], source: 'hma:102' },
    { kind: 'add', line: 4, ref: `md5:${MD5[7]}`, media: 'video', tags: ['EOKM_VIDEO'], source: 'hma:103' },
    { kind: 'add', line: 5, ref: `md5:${MD5[8]}`, media: 'image', tags: ['EOKM_IMAGES'], source: 'hma:104' },
    { kind: 'reject', line: 6, reason: /signal type "url" is not a hash hashfed stores/ },
    { kind: 'reject', line: 7, reason: /invalid pdq value ".*X": "X" at position 64 is not a hex digit/ }
  ],
  firstRecordEnd: 'NCMEC_CSAM,101\n',
  truncations: [{ after: '\npdq,27e9416929d305a3e7', expect: 'reject' }],
  wrongStructure: [
    { name: 'a header without signal_type', text: `type,value\npdq,${PDQ[1]}\n` },
    { name: 'a JSON file', text: '{"signal_type": "pdq"}\n' }
  ]
})

formatSuite({
  name: 'stopncii-json',
  fixture: 'stopncii-fetch.json',
  expected: [
    { kind: 'add', line: 7, ref: `pdq:${PDQ[3]}`, quality: 100, media: 'image' },
    { kind: 'add', line: 15, ref: `md5:${MD5[7]}`, media: 'video' },
    { kind: 'retract', line: 23, ref: `pdq:${PDQ[4]}` },
    { kind: 'reject', line: 31, reason: /signalType "VideoTMK" is not a hash hashfed stores/ },
    { kind: 'retract', line: 39, ref: `md5:${MD5[8]}` }
  ],
  firstRecordEnd: '"source": "Example CSP" } ]\n    }',
  truncations: [
    { after: '"hashValue": "269c707f', expect: 'invalid-format' },
    { after: '"hashStatus": "Withdrawn",', expect: 'invalid-format' }
  ],
  wrongStructure: [
    { name: 'an object without hashRecords', text: '{"count": 0, "records": []}' },
    { name: 'a top-level array', text: '[]' },
    { name: 'a bare string', text: '"hashRecords"' },
    { name: 'invalid JSON', text: '{"hashRecords": [}' }
  ]
})
