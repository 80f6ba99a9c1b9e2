import { hfError, ErrorCodes } from '../errors.js'
import { FORMAT_NAMES } from '../formats/format.js'
import { ALGORITHMS } from '../log/hash-value.js'
import { CLASSIFICATIONS } from '../log/entry.js'
import { defineOp, field, type Zod } from './operation.js'

const noInput = (z: Zod) => z.strictObject({})
const int = { type: 'integer' } as const
const str = { type: 'string' } as const

export const hashesImportOp = defineOp({
  name: 'hashes.import',
  summary: 'import a hash list into our origin log; the body is the file\'s bytes (application/octet-stream)',
  authority: 'change',
  http: { method: 'POST', path: '/v1/hashes/import' },
  transport: 'upload',
  input: (z) => z.strictObject({
    format: z.enum(FORMAT_NAMES),
    classification: z.enum(CLASSIFICATIONS).optional(),
    source: z.string().max(200).optional(),
    algorithm: z.enum(ALGORITHMS).optional(),
    name: z.string().max(1024).optional().meta({ description: 'the file\'s name on the client, for the audit log' })
  }),
  output: { description: 'NDJSON: `{progress}` lines, then one `{summary}` or `{error}` line', content: { 'application/x-ndjson': { schema: { type: 'object', additionalProperties: true } } } },
  run: async (c, q, io) => {
    if (io.upload === undefined) throw hfError(ErrorCodes.INVALID_ARGUMENT, 'send the hash list\'s bytes as the body, with content-type application/octet-stream')
    const { format, classification, source, algorithm } = q
    return await (await c.hashLists()).import({ format, classification, source, algorithm }, io.upload.open, io.progress)
  },
  audit: (q, s, _c, io) => ({
    action: 'hashes.import',
    details: { file: q.name ?? 'upload', bytes: io.upload?.bytes, format: q.format, classification: q.classification, source: q.source, added: s.added, updated: s.updated, retracted: s.retracted, rejected: s.rejectedCount, batches: s.batches }
  })
})

export const hashesExportOp = defineOp({
  name: 'hashes.export',
  summary: 'the current set in a format',
  authority: 'read',
  http: { method: 'GET', path: '/v1/hashes/export' },
  transport: 'stream',
  input: (z) => z.strictObject({ format: z.enum(FORMAT_NAMES), origin: z.string().max(128).optional(), algorithm: z.enum(ALGORITHMS).optional() }),
  output: { description: 'the file, streamed', content: { 'text/plain': { schema: str } } },
  run: async (c, q) => (await c.hashLists()).export(q)
})

export const hashesRetractOp = defineOp({
  name: 'hashes.retract',
  summary: 'retract one of our hashes',
  authority: 'change',
  http: { method: 'POST', path: '/v1/hashes/retract' },
  input: (z) => z.strictObject({ ref: z.string().max(400), reason: z.string().min(1).max(500) }),
  output: { type: 'object', required: ['retracted', 'seq'], properties: { retracted: int, seq: int } },
  run: async (c, { ref, reason }) => await (await c.hashLists()).retract(ref, reason),
  audit: ({ ref, reason }, res) => ({ action: 'hashes.retract', details: { ref, reason, seq: res.seq, retracted: res.retracted } })
})

export const hashesShowOp = defineOp({
  name: 'hashes.show',
  summary: 'which origins vouch for a hash',
  authority: 'read',
  http: { method: 'GET', path: '/v1/hashes/show' },
  input: (z) => z.strictObject({ ref: z.string().max(400) }),
  output: { type: 'object', required: ['algorithm', 'value', 'origins'], properties: { algorithm: str, value: str, origins: { type: 'array', items: { type: 'object', additionalProperties: true } } } },
  run: async (c, { ref }) => await (await c.hashLists()).show(ref)
})

export const hashesOriginsOp = defineOp({
  name: 'hashes.origins',
  summary: 'per origin: entries, retractions, head',
  authority: 'read',
  http: { method: 'GET', path: '/v1/hashes/origins' },
  input: noInput,
  output: { type: 'object', required: ['origins'], properties: { origins: { type: 'array', items: { type: 'object', properties: { origin: str, name: str, entries: int, retractions: int, headSeq: int, headHash: str, logEntries: int } } } } },
  run: async (c) => ({ origins: (await c.hashLists()).listOrigins() })
})

export const hashesForksOp = defineOp({
  name: 'hashes.forks',
  summary: 'fork evidence: an origin signed two different batches for one sequence number',
  authority: 'read',
  http: { method: 'GET', path: '/v1/hashes/forks' },
  input: noInput,
  output: { type: 'object', required: ['forks'], properties: { forks: { type: 'array', items: { type: 'object', properties: { origin: str, name: str, seq: int, keptHash: str, refusedHash: str, reportedBy: { type: ['string', 'null'] }, detectedAt: str } } } } },
  run: async (c) => ({
    forks: (await (await c.hashLog()).forks()).map(f => ({
      origin: f.origin,
      name: c.ctx.federation.nameOf(f.origin),
      seq: f.seq,
      keptHash: Buffer.from(f.keptHash).toString('hex'),
      refusedHash: Buffer.from(f.refusedHash).toString('hex'),
      reportedBy: f.reportedBy ?? null,
      detectedAt: new Date(f.detectedMs).toISOString()
    }))
  })
})

/** Hashes computed from images on the client (`hashes add-images`): only hashes reach the node. */
export const hashesAddOp = defineOp({
  name: 'hashes.add',
  summary: 'add hashes (computed from images by the client) to our origin log',
  authority: 'change',
  http: { method: 'POST', path: '/v1/hashes/add', bodyLimit: () => 16 * 1024 * 1024 },
  input: (z) => z.strictObject({
    records: z.array(z.strictObject({ algorithm: z.enum(ALGORITHMS), value: z.string().max(400), quality: z.number().int().min(0).max(100).optional() })).max(50_000),
    classification: z.enum(CLASSIFICATIONS).optional(),
    source: z.string().max(200).optional()
  }),
  output: { type: 'object', required: ['added', 'updated', 'alreadyPresent', 'batches'], properties: { added: int, updated: int, alreadyPresent: int, batches: int } },
  run: async (c, req) => await (await c.hashLists()).addHashes(req),
  audit: (req, res) => ({ action: 'hashes.add', details: { records: req.records.length, classification: req.classification ?? null, source: req.source ?? null, ...res } })
})
