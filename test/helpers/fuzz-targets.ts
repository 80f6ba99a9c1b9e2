import { readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { randomUUID } from 'node:crypto'
import fc from 'fast-check'
import { pino } from 'pino'
import { isHashfedError } from '../../src/errors.js'
import { pb, type hashfed } from '../../src/proto/index.js'
import { decodeSync } from '../../src/sync/sync-codec.js'
import { headsFromWire } from '../../src/sync/heads-codec.js'
import { buildBatch, decodeBatch, verifyBatchSignature } from '../../src/log/batch.js'
import { entryFromProto, metaFromProto } from '../../src/log/entry-codec.js'
import { openHashLog, type HashLog } from '../../src/log/hash-log.js'
import { openFeedback, openReport, openStatus, signReport, signStatus } from '../../src/reports/report-codec.js'
import { decodeMessage, messageRecord } from '../../src/courier/envelope.js'
import { openReceipt } from '../../src/courier/receipts.js'
import { toReportFact, toReportView, viewStatus } from '../../src/reports/report-view.js'
import { createReportService, type ReportService } from '../../src/reports/report-service.js'
import { decodeStored } from '../../src/store/stored-record.js'
import { Store } from '../../src/store/store.js'
import { batchKey } from '../../src/store/layout.js'
import type { Identity } from '../../src/identity/identity.js'
import { openNodeContext, loadNodeFiles, type NodeContext } from '../../src/context/node-context.js'
import { FORMATS } from '../../src/formats/registry.js'
import { tempDir } from './temp-dir.js'
import { createFederation } from './federation.js'

// Fuzz targets: every decoder that reads bytes from a peer or from disk, through our own
// functions, and every import parser. Each input either decodes (and whatever we do next with
// the result runs) or fails with our typed HashfedError; a RangeError, TypeError or a hang is
// a defect. Inputs are random bytes, valid encodings with random damage, and structured
// messages with random field values (signed with real member keys where a signature gates
// the deeper code).

/** A failure that is not ours: rethrown as a property failure with the original stack. */
export function mustBeTyped (err: unknown, codes?: readonly string[]): void {
  if (isHashfedError(err) && (codes === undefined || codes.includes(err.code))) return
  throw new Error(`untyped or unexpected failure: ${isHashfedError(err) ? err.code + ' ' : ''}${String((err as Error)?.stack ?? err)}`)
}

export async function typedOrOk (fn: () => unknown, codes?: readonly string[]): Promise<void> {
  try {
    await fn()
  } catch (err) {
    mustBeTyped(err, codes)
  }
}

// ---------------------------------------------------------------- arbitraries

export const u64 = fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 2 ** 32 }), fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }))
const u32 = fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 10 }), fc.integer({ min: 0, max: 2 ** 32 - 1 }))
const enumInt = fc.oneof(fc.integer({ min: 0, max: 8 }), fc.integer({ min: -3, max: 2 ** 31 - 1 }))
const text = fc.oneof(fc.constant(''), fc.string({ maxLength: 40 }), fc.string({ maxLength: 40, unit: 'grapheme' }), fc.string({ maxLength: 9000, unit: 'binary' }))
export const bytes = (max = 64): fc.Arbitrary<Uint8Array> => fc.uint8Array({ maxLength: max })

/** A damaged copy of one of `samples`: bytes flipped, cut, inserted, or the tail dropped. */
function damaged (samples: Uint8Array[]): fc.Arbitrary<Uint8Array> {
  const edit = fc.tuple(fc.nat(), fc.nat({ max: 255 }), fc.constantFrom('flip', 'set', 'insert', 'delete'))
  return fc.tuple(fc.constantFrom(...samples), fc.array(edit, { minLength: 1, maxLength: 6 }), fc.option(fc.nat(), { nil: undefined })).map(([base, edits, cut]) => {
    let b = Buffer.from(base)
    for (const [at, v, op] of edits) {
      const i = b.length === 0 ? 0 : at % b.length
      if (op === 'flip' && b.length > 0) b[i] ^= 1 << (v % 8)
      else if (op === 'set' && b.length > 0) b[i] = v
      else if (op === 'insert') b = Buffer.concat([b.subarray(0, i), Buffer.from([v]), b.subarray(i)])
      else if (op === 'delete') b = Buffer.concat([b.subarray(0, i), b.subarray(i + 1)])
    }
    if (cut !== undefined && b.length > 0) b = b.subarray(0, cut % b.length)
    return new Uint8Array(b)
  })
}

/** Random bytes, damaged valid encodings, and the valid encodings themselves. */
export function inputs (samples: Uint8Array[]): fc.Arbitrary<Uint8Array> {
  return fc.oneof({ weight: 2, arbitrary: bytes(600) }, { weight: 5, arbitrary: damaged(samples) }, { weight: 1, arbitrary: fc.constantFrom(...samples) })
}

function hashEntry (): fc.Arbitrary<hashfed.v1.HashEntry.$Properties> {
  return fc.record({
    op: enumInt,
    algorithm: enumInt,
    value: fc.oneof(bytes(70), fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ minLength: 16, maxLength: 16 })),
    quality: fc.option(u32, { nil: undefined }),
    classification: enumInt,
    iwfCategory: text,
    vicsCategory: fc.option(u32, { nil: undefined }),
    ageBand: text,
    media: enumInt,
    tags: fc.array(text, { maxLength: 4 }),
    source: text,
    reason: text
  }, { requiredKeys: [] })
}

function hashRef (): fc.Arbitrary<hashfed.v1.HashRef.$Properties> {
  return fc.record({ algorithm: enumInt, value: bytes(70) }, { requiredKeys: [] })
}

// ---------------------------------------------------------------- fixtures

export interface FuzzWorld {
  /** a federation member's identity and peer ID bytes (signer of valid records) */
  member: Identity
  /** our own node: target of reports */
  self: NodeContext
  reports: ReportService
  log: HashLog
  /** a store for the disk targets */
  store: Store
  cleanup: () => Promise<void>
}

let worldPromise: Promise<FuzzWorld> | null = null

/** One node folder pair (NL receives, DE sends), opened once per process. */
export async function fuzzWorld (): Promise<FuzzWorld> {
  worldPromise ??= (async () => {
    const root = await tempDir('hashfed-fuzz-')
    const [nl, de] = await createFederation(root, [{ name: 'NL', countries: ['NL'] }, { name: 'DE', countries: ['DE'] }])
    const self = await openNodeContext(nl.dir)
    const member = (await loadNodeFiles(de.dir)).identity
    const reports = createReportService({ ctx: self, logger: pino({ level: 'silent' }) })
    const log = await openHashLog({ store: self.store, logger: pino({ level: 'silent' }) })
    const store = await Store.open(join(root, 'disk-store'), { create: true })
    return {
      member, self, reports, log, store,
      cleanup: async () => { await log.close(); await reports.stop().catch(() => {}); await self.store.close(); await store.close() }
    }
  })()
  return await worldPromise
}

// ---------------------------------------------------------------- targets

export interface FuzzTarget {
  name: string
  /** runs relative to the base count: the slow targets (LevelDB writes, parsers) run fewer */
  weight: number
  /** checks one input; throws (an assertion) on a defect */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  property: (w: FuzzWorld) => fc.IAsyncPropertyWithHooks<any>
}

function batchSamples (id: Identity): Uint8Array[] {
  const b1 = buildBatch({ identity: id, seq: 1, prevHash: new Uint8Array(), entries: [{ op: pb.HashEntry.Op.ADD, algorithm: pb.Algorithm.SHA256, value: new Uint8Array(32).fill(7), classification: pb.Classification.BASELINE, tags: ['a'], source: 'case-1' }] })
  const b2 = buildBatch({ identity: id, seq: 2, prevHash: b1.hash, entries: [{ op: pb.HashEntry.Op.RETRACT, algorithm: pb.Algorithm.SHA256, value: new Uint8Array(32).fill(7), reason: 'false positive' }, { op: pb.HashEntry.Op.ADD, algorithm: pb.Algorithm.PDQ, value: new Uint8Array(32).fill(1), quality: 90 }] })
  return [b1.signed, b2.signed]
}

function syncSamples (id: Identity): Uint8Array[] {
  const [b1, b2] = batchSamples(id)
  const o = id.peerIdBytes
  return [
    pb.SyncMessage.encode({ heads: { heads: [{ origin: o, seq: 3, hash: new Uint8Array(32), entries: 10 }, { origin: o, seq: 1, hash: new Uint8Array(32), entries: 1 }] } }).finish(),
    pb.SyncMessage.encode({ request: { origin: o, fromSeq: 1, toSeq: 9 } }).finish(),
    pb.SyncMessage.encode({ frame: { batches: [b1, b2] } }).finish(),
    pb.SyncMessage.encode({ end: { origin: o, lastSeq: 2 } }).finish(),
    pb.SyncMessage.encode({ error: { code: 'HF_PROTOCOL', message: 'x' } }).finish()
  ]
}

function reportSamples (id: Identity, target: Uint8Array): { report: Uint8Array, status: Uint8Array, receipt: Uint8Array, feedback: Uint8Array, message: Uint8Array[] } {
  const report = pb.UrlReport.encode({ version: 1, id: randomUUID(), origin: id.peerIdBytes, target, url: 'https://example.nl/x', ip: '192.0.2.1', country: 'NL', hoster: 'H', asn: 64500, classification: 1, media: 1, hashes: [{ algorithm: 3, value: new Uint8Array(32) }], note: 'n', createdMs: Date.now(), countrySource: 'explicit' }).finish()
  const status = pb.StatusUpdate.encode({ reportId: randomUUID(), author: id.peerIdBytes, seq: 1, status: 4, note: 'gone', atMs: Date.now() }).finish()
  const receipt = pb.Receipt.encode({ reportId: randomUUID(), receiver: id.peerIdBytes, ackedHash: new Uint8Array(32), receivedMs: Date.now() }).finish()
  const feedback = pb.Feedback.encode({ id: randomUUID(), author: id.peerIdBytes, origin: target, hash: { algorithm: 3, value: new Uint8Array(32) }, verdict: 2, reason: 'r', hoster: 'h', atMs: Date.now() }).finish()
  const signed = (body: Uint8Array): hashfed.v1.Signed.$Properties => ({ body, signature: id.sign(body) })
  const message = [
    pb.ReportMessage.encode({ report: signed(report) }).finish(),
    pb.ReportMessage.encode({ status: signed(status) }).finish(),
    pb.ReportMessage.encode({ receipt: signed(receipt) }).finish(),
    pb.ReportMessage.encode({ feedback: signed(feedback) }).finish(),
    pb.ReportMessage.encode({ error: { code: 'HF_PROTOCOL', reason: 'malformed', message: 'm' } }).finish()
  ]
  return { report, status, receipt, feedback, message }
}

/** A Signed record over `body`: signed by the member when `sign`, else a random signature. */
function signedArb (w: FuzzWorld, bodies: fc.Arbitrary<Uint8Array>): fc.Arbitrary<hashfed.v1.Signed.$Properties> {
  return fc.tuple(bodies, fc.boolean(), bytes(70)).map(([body, sign, sig]) => ({ body, signature: sign ? w.member.sign(body) : sig }))
}

/** A UrlReport with random fields (and often our member's origin, us as target, a UUID). */
function urlReport (w: FuzzWorld): fc.Arbitrary<hashfed.v1.UrlReport.$Properties> {
  return fc.record({
    version: fc.oneof(fc.constant(1), u32),
    id: fc.oneof(fc.constant('').map(() => randomUUID()), text),
    origin: fc.oneof(fc.constant(w.member.peerIdBytes), bytes(40)),
    target: fc.oneof(fc.constant(w.self.identity.peerIdBytes), bytes(40)),
    url: fc.oneof(fc.webUrl(), text),
    ip: fc.oneof(fc.ipV4(), fc.ipV6(), text),
    country: fc.oneof(fc.constantFrom('NL', 'DE', 'nl', 'XX', ''), text),
    hoster: text,
    asn: u32,
    classification: enumInt,
    media: enumInt,
    hashes: fc.array(hashRef(), { maxLength: 4 }),
    note: text,
    createdMs: u64,
    countrySource: text
  }, { requiredKeys: [] })
}

const storedReport = (w: FuzzWorld): fc.Arbitrary<Uint8Array> => {
  const s = reportSamples(w.member, w.self.identity.peerIdBytes)
  const signed = (b: Uint8Array[]): fc.Arbitrary<hashfed.v1.Signed.$Properties> => signedArb(w, inputs(b))
  return fc.record({
    report: fc.option(fc.oneof(signed([s.report]), signedArb(w, urlReport(w).map(r => pb.UrlReport.encode(r).finish()))), { nil: undefined }),
    timeline: fc.array(signed([s.status]), { maxLength: 3 }),
    inbound: fc.boolean(),
    unroutable: fc.boolean(),
    receipt: fc.option(signed([s.receipt]), { nil: undefined }),
    status: enumInt,
    updatedMs: u64,
    removedMs: u64,
    receivedMs: u64
  }, { requiredKeys: [] }).map(r => pb.StoredReport.encode(r).finish())
}

/** The decoders of `/hashfed/sync/1.0.0` frames and batches, and the report protocol's records, as a peer's bytes reach them. */
export function codecTargets (): FuzzTarget[] {
  return [
    {
      name: 'sync frame: decodeSync, headsFromWire, decodeBatch of each batch (pb.SyncMessage, pb.Heads, pb.Signed, pb.BatchBody)',
      weight: 1,
      property: (w) => fc.asyncProperty(inputs(syncSamples(w.member)), async (b) => {
        await typedOrOk(() => {
          const msg = decodeSync(b)
          if (msg.kind === 'heads') headsFromWire(msg.heads)
          for (const batch of msg.frame?.batches ?? []) {
            try { decodeBatch(batch) } catch (err) { mustBeTyped(err) }
          }
        })
      })
    },
    {
      name: 'batch: decodeBatch, verifyBatchSignature, entryFromProto (pb.Signed, pb.BatchBody, pb.HashEntry)',
      weight: 1,
      property: (w) => fc.asyncProperty(inputs(batchSamples(w.member)), async (b) => {
        await typedOrOk(() => {
          const batch = decodeBatch(b)
          verifyBatchSignature(batch)
          for (const e of batch.entries) {
            try { entryFromProto(e) } catch (err) { mustBeTyped(err) }
          }
        })
      })
    },
    {
      name: 'report frame: decodeMessage, messageRecord, open* of its record (pb.ReportMessage)',
      weight: 1,
      property: (w) => fc.asyncProperty(inputs(reportSamples(w.member, w.self.identity.peerIdBytes).message), async (b) => {
        await typedOrOk(() => {
          const msg = decodeMessage(b)
          messageRecord(msg)
          if (msg.report != null) openReport(msg.report)
          if (msg.status != null) openStatus(msg.status)
          if (msg.receipt != null) openReceipt(msg.receipt)
          if (msg.feedback != null) openFeedback(msg.feedback)
        })
      })
    },
    ...([
      ['openReport (pb.UrlReport)', (s: ReturnType<typeof reportSamples>) => s.report, openReport],
      ['openStatus (pb.StatusUpdate)', (s: ReturnType<typeof reportSamples>) => s.status, openStatus],
      ['openReceipt (pb.Receipt)', (s: ReturnType<typeof reportSamples>) => s.receipt, openReceipt],
      ['openFeedback (pb.Feedback)', (s: ReturnType<typeof reportSamples>) => s.feedback, openFeedback]
    ] as const).map(([name, pick, open]): FuzzTarget => ({
      name: `signed record: ${name}, signed by a member or not`,
      weight: 1,
      property: (w) => fc.asyncProperty(signedArb(w, inputs([pick(reportSamples(w.member, w.self.identity.peerIdBytes))])), async (signed) => {
        await typedOrOk(() => open(signed))
      })
    }))
  ]
}

/** Records as read back from the store: what a damaged disk (or a foreign write) would feed the readers. */
export function storedTargets (): FuzzTarget[] {
  const head = fc.record({ origin: bytes(40), seq: u64, hash: bytes(40), entries: u64, current: u64, retracted: u64 }, { requiredKeys: [] }).map(h => pb.Head.encode(h).finish())
  const provenance = fc.record({ seq: u64, index: u32, retracted: fc.boolean(), retractedSeq: u64, retractReason: text, entry: hashEntry() }, { requiredKeys: [] }).map(p => pb.Provenance.encode(p).finish())
  return [
    {
      name: 'stored head: decodeStored(pb.Head) as the log loads it',
      weight: 1,
      property: () => fc.asyncProperty(fc.oneof(head, bytes(80), damaged([pb.Head.encode({ origin: new Uint8Array(38), seq: 5, hash: new Uint8Array(32), entries: 9, current: 3 }).finish()])), async (b) => {
        await typedOrOk(() => decodeStored(pb.Head, b, 'head'))
      })
    },
    {
      name: 'stored hash row: decodeStored(pb.Provenance), metaFromProto',
      weight: 1,
      property: () => fc.asyncProperty(fc.oneof(provenance, bytes(80)), async (b) => {
        await typedOrOk(() => metaFromProto(decodeStored(pb.Provenance, b, 'row').entry ?? {}))
      })
    },
    {
      name: 'stored report: decodeStored(pb.StoredReport), toReportView, toReportFact (pb.UrlReport, pb.StatusUpdate, pb.Receipt inside)',
      weight: 1,
      property: (w) => fc.asyncProperty(fc.oneof(storedReport(w), bytes(200)), async (b) => {
        await typedOrOk(() => {
          const stored = decodeStored(pb.StoredReport, b, 'report')
          viewStatus(stored)
          toReportView(stored, w.self.federation)
          toReportFact(stored)
        })
      })
    },
    {
      name: 'stored outbox item: decodeStored(pb.OutboxItem), messageRecord',
      weight: 1,
      property: (w) => fc.asyncProperty(fc.oneof(bytes(200), damaged([pb.OutboxItem.encode({ id: 'report-ab', target: w.member.peerIdBytes, message: pb.ReportMessage.decode(reportSamples(w.member, w.member.peerIdBytes).message[0]), attempts: 2, nextAttemptMs: 5, createdMs: 7, lastError: 'e', subject: randomUUID() }).finish()])), async (b) => {
        await typedOrOk(() => {
          const item = decodeStored(pb.OutboxItem, b, 'outbox item')
          if (item.message != null) messageRecord(item.message)
        })
      })
    }
  ]
}

/**
 * The same records through the real readers of a store: a damaged row is written, the
 * component that reads it runs (open the log, list reports, list the outbox, forks), the row
 * is deleted again. Slower: LevelDB writes per input.
 */
export function diskTargets (): FuzzTarget[] {
  const originKey = (w: FuzzWorld): string => w.member.peerId.toString()
  return [
    {
      name: 'disk: a damaged head row, then openHashLog + verifyOrigin',
      weight: 0.1,
      property: (w) => fc.asyncProperty(fc.oneof(bytes(80), damaged([pb.Head.encode({ origin: w.member.peerIdBytes, seq: 1, hash: new Uint8Array(32), entries: 1, current: 1 }).finish()])), async (b) => {
        await w.store.sub.heads.put(originKey(w), b)
        try {
          await typedOrOk(async () => {
            const log = await openHashLog({ store: w.store, logger: pino({ level: 'silent' }) })
            log.heads()
            await log.verifyOrigin(originKey(w))
          })
        } finally {
          await w.store.sub.heads.del(originKey(w))
        }
      })
    },
    {
      name: 'disk: a damaged hash row and fork row, then currentSet, show, forks',
      weight: 0.1,
      property: (w) => fc.asyncProperty(fc.oneof(bytes(120), damaged([pb.Provenance.encode({ seq: 1, index: 0, entry: { classification: 1, tags: ['x'] } }).finish()])), fc.oneof(bytes(120), damaged([pb.ForkEvidence.encode({ origin: w.member.peerIdBytes, seq: 1, kept: pb.Signed.decode(batchSamples(w.member)[0]), refused: pb.Signed.decode(batchSamples(w.member)[0]), detectedMs: 1 }).finish()])), async (row, fork) => {
        const value = '07'.repeat(32)
        const rowKey = `sha256:${value}:${originKey(w)}`
        const forkKey = `${batchKey(originKey(w), 1)}!00`
        await w.store.write([{ type: 'put', sublevel: w.store.sub.hashes, key: rowKey, value: row }, { type: 'put', sublevel: w.store.sub.forks, key: forkKey, value: fork }])
        try {
          const log = await openHashLog({ store: w.store, logger: pino({ level: 'silent' }) })
          await typedOrOk(async () => { for await (const _ of log.currentSet()) {} })
          await typedOrOk(async () => await log.show('sha256', new Uint8Array(32).fill(7)))
          await typedOrOk(async () => await log.forks())
        } finally {
          await w.store.write([{ type: 'del', sublevel: w.store.sub.hashes, key: rowKey }, { type: 'del', sublevel: w.store.sub.forks, key: forkKey }])
        }
      })
    },
    {
      name: 'disk: a damaged report row and outbox row, then reports list/show/stats and outbox list',
      weight: 0.1,
      property: (w) => fc.asyncProperty(fc.oneof(storedReport(w), bytes(200)), bytes(200), async (report, item) => {
        const id = randomUUID()
        await w.self.store.write([{ type: 'put', sublevel: w.self.store.sub.reports, key: id, value: report }, { type: 'put', sublevel: w.self.store.sub.outbox, key: 'report-00', value: item }])
        try {
          await typedOrOk(async () => await w.reports.list({ limit: 10 }))
          await typedOrOk(async () => await w.reports.show(id))
          await typedOrOk(async () => await w.reports.stats())
          await typedOrOk(async () => await w.reports.reportCounts())
          await typedOrOk(async () => await w.reports.outbox.list())
        } finally {
          await w.self.store.write([{ type: 'del', sublevel: w.self.store.sub.reports, key: id }, { type: 'del', sublevel: w.self.store.sub.outbox, key: 'report-00' }])
        }
      })
    }
  ]
}

/**
 * A member's validly signed records with random contents, through the receiving side:
 * the inbox answers a receipt or a refusal (never `internal`), and whatever it stored can be
 * listed, shown and counted afterwards. Batches signed by a member through applyRemote.
 */
export function deepTargets (): FuzzTarget[] {
  return [
    {
      name: 'inbox: a member\'s signed UrlReport and StatusUpdate with random fields → receipt or refusal, then list/show/stats',
      weight: 0.1,
      property: (w) => fc.asyncProperty(urlReport(w), fc.record({ seq: u32, status: enumInt, note: text, atMs: u64 }, { requiredKeys: [] }), async (r, u) => {
        const from = w.member.peerId.toString()
        const answer = await w.reports.inbox.answer({ report: signReport(w.member, r) } as never, from)
        if (answer.error != null && answer.error.reason === 'internal') throw new Error(`internal error answering a report: ${answer.error.message ?? ''}`)
        const update = await w.reports.inbox.answer({ status: signStatus(w.member, { ...u, reportId: r.id, author: w.member.peerIdBytes }) } as never, from)
        if (update.error != null && update.error.reason === 'internal') throw new Error(`internal error answering a status update: ${update.error.message ?? ''}`)
        if (answer.receipt != null && typeof r.id === 'string') {
          await typedOrOk(async () => await w.reports.show(r.id as string))
          await typedOrOk(async () => await w.reports.list({ limit: 5 }))
          await typedOrOk(async () => await w.reports.stats())
        }
      })
    },
    {
      name: 'applyRemote: a member\'s signed batches with random seq, chain and entries → stored, duplicate or rejected; the chain still verifies',
      weight: 0.1,
      property: (w) => fc.asyncProperty(fc.constantFrom('next', 'next', 'next', 'same', 'skip', 'first'), fc.constantFrom('right', 'right', 'random', 'empty'), fc.array(hashEntry(), { maxLength: 6 }), async (seqKind, prevKind, entries) => {
        const origin = w.member.peerId.toString()
        const head = w.log.head(origin)
        const seq = { next: (head?.seq ?? 0) + 1, same: Math.max(1, head?.seq ?? 1), skip: (head?.seq ?? 0) + 2, first: 1 }[seqKind]
        const prevHash = prevKind === 'empty' ? new Uint8Array() : prevKind === 'random' ? new Uint8Array(32).fill(seq) : (seq === 1 ? new Uint8Array() : (head?.hash ?? new Uint8Array(32)))
        let signed: Uint8Array
        try {
          signed = buildBatch({ identity: w.member, seq, prevHash, entries }).signed
        } catch (err) {
          mustBeTyped(err)
          return
        }
        const res = await w.log.applyRemote(signed, { isMember: (o) => o === origin, fromPeer: origin })
        if (!['stored', 'duplicate', 'rejected'].includes(res.status)) throw new Error(`unexpected status ${res.status}`)
        if (res.status === 'stored') {
          const v = await w.log.verifyOrigin(origin)
          if (!v.ok) throw new Error(`stored a batch that breaks the chain: ${JSON.stringify(v)}`)
        }
      })
    }
  ]
}

/** The fixture file of each import format (test/fixtures/formats). */
export const FIXTURE_OF: Record<string, string> = {
  lines: 'lines.txt',
  csv: 'hashes.csv',
  'ncmec-xml': 'ncmec-queryresult.xml',
  'vics-json': 'vics-media.json',
  'icse-csv': 'icse-export.csv',
  'hma-csv': 'hma-bank.csv',
  'stopncii-json': 'stopncii-fetch.json',
  'vpdq-text': 'vpdq.txt',
  'pytx-vpdq': 'pytx-vpdq.jsonl'
}

/** Parsing must end (10 s is hundreds of times what a few KiB take) and fail only with HF_INVALID_FORMAT. */
const PARSE_DEADLINE_MS = 10_000

export function parserTargets (): FuzzTarget[] {
  return FORMATS.map(format => ({
    name: `import parser ${format.name}: random, damaged or cut input in random chunks`,
    weight: 0.5,
    property: () => {
      const base = new Uint8Array(readFileSync(resolve('test/fixtures/formats', FIXTURE_OF[format.name])))
      const input = fc.oneof(inputs([base]), fc.string({ maxLength: 400, unit: 'grapheme' }).map(s => new Uint8Array(Buffer.from(s))))
      return fc.asyncProperty(input, fc.integer({ min: 1, max: 97 }), async (b, size) => {
        const parse = (async () => {
          const chunks = async function * (): AsyncIterable<Uint8Array> { for (let i = 0; i < b.length; i += size) yield b.subarray(i, i + size) }
          for await (const _ of format.parse(chunks())) {}
        })()
        let timer: NodeJS.Timeout | undefined
        const deadline = new Promise<never>((_resolve, reject) => { timer = setTimeout(() => reject(new Error(`parser hangs: ${format.name} on ${Buffer.from(b).toString('base64')}`)), PARSE_DEADLINE_MS) })
        try {
          await Promise.race([parse, deadline]).catch((err: unknown) => mustBeTyped(err, ['HF_INVALID_FORMAT']))
        } finally {
          clearTimeout(timer)
        }
      })
    }
  }))
}

export interface FuzzRun {
  name: string
  runs: number
  ms: number
}

/**
 * Runs `target` `runs` times (fast-check: shrinks and reports a counterexample on failure).
 * `seed` makes a run repeatable: printed by the callers.
 */
export async function runTarget (target: FuzzTarget, runs: number, seed: number): Promise<FuzzRun> {
  const w = await fuzzWorld()
  const t0 = Date.now()
  let n = 0
  const prop = target.property(w)
  await fc.assert(prop.beforeEach(async (previous) => { n++; await previous() }), { numRuns: runs, seed })
  return { name: target.name, runs: n, ms: Date.now() - t0 }
}

/** The seed of this process's fuzz runs: HASHFED_FUZZ_SEED, or a fresh one (printed). */
export function fuzzSeed (): number {
  const env = process.env.HASHFED_FUZZ_SEED
  return env !== undefined ? Number(env) : Math.floor(Math.random() * 2 ** 31)
}
