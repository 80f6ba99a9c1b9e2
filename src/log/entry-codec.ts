import { hfError, ErrorCodes } from '../errors.js'
import { pb, type hashfed } from '../proto/index.js'
import { ALGORITHMS, VALUE_BYTES, algorithmToEnum, type AlgorithmName } from './hash-value.js'
import { AGE_BANDS, CLASSIFICATIONS, IWF_CATEGORIES, MEDIA_TYPES, type ClassificationName, type EntryMeta, type HashRecord, type LogEntry } from './entry.js'
import { framesFromProto, framesProblem, framesToProto } from './vpdq-value.js'
import type { VpdqFrame } from './vpdq-value.js'
import { MAX_REASON_LENGTH, MAX_SOURCE_LENGTH, MAX_TAGS, MAX_TAG_LENGTH } from './constants.js'

type PbEntry = hashfed.v1.HashEntry.$Properties

const CLASSIFICATION_TO_ENUM: Record<ClassificationName, number> = {
  baseline: pb.Classification.BASELINE,
  national: pb.Classification.NATIONAL,
  'not-illegal': pb.Classification.NOT_ILLEGAL
}
const CLASSIFICATION_FROM_ENUM = new Map<number, ClassificationName>(Object.entries(CLASSIFICATION_TO_ENUM).map(([k, v]) => [v, k as ClassificationName]))

const MEDIA_TO_ENUM: Record<NonNullable<EntryMeta['media']>, number> = {
  image: pb.MediaType.IMAGE,
  video: pb.MediaType.VIDEO
}
const MEDIA_FROM_ENUM = new Map<number, NonNullable<EntryMeta['media']>>(Object.entries(MEDIA_TO_ENUM).map(([k, v]) => [v, k as NonNullable<EntryMeta['media']>]))

const ALGORITHM_FROM_ENUM = new Map<number, AlgorithmName>(ALGORITHMS.map(name => [algorithmToEnum(name), name]))

/**
 * What is wrong with an entry, or null. One rule set for what we sign and what we accept from
 * peers, so every node indexes exactly what every other node does.
 */
export function entryProblem (entry: LogEntry): string | null {
  return valueProblem(entry) ?? opProblem(entry)
}

function opProblem (entry: LogEntry): string | null {
  if (entry.op === 'add') return recordProblem(entry.record)
  if (entry.op === 'benign') return benignProblem(entry)
  return retractProblem(entry)
}

function benignProblem (entry: Extract<LogEntry, { op: 'benign' }>): string | null {
  if (typeof entry.reason !== 'string' || entry.reason.trim() === '' || entry.reason.length > MAX_REASON_LENGTH) return `a benign entry needs a reason of 1-${MAX_REASON_LENGTH} characters`
  return null
}

/** What is wrong with the algorithm or value of an entry, or null. */
function valueProblem (entry: LogEntry): string | null {
  const { algorithm, value } = entry.op === 'add' ? (entry.record ?? {} as Partial<HashRecord>) : entry
  if (algorithm === undefined || !(ALGORITHMS as readonly string[]).includes(algorithm)) return `unknown algorithm "${String(algorithm)}"`
  if (!(value instanceof Uint8Array) || value.length !== VALUE_BYTES[algorithm]) return `a ${algorithm} value has ${VALUE_BYTES[algorithm]} bytes`
  return null
}

function retractProblem (entry: Extract<LogEntry, { op: 'retract' }>): string | null {
  if (typeof entry.reason !== 'string' || entry.reason.length > MAX_REASON_LENGTH) return `a retraction reason is text of at most ${MAX_REASON_LENGTH} characters`
  if (entry.source !== undefined && (typeof entry.source !== 'string' || entry.source.length > MAX_SOURCE_LENGTH)) return `source is text of at most ${MAX_SOURCE_LENGTH} characters`
  return null
}

function recordProblem (r: HashRecord): string | null {
  if (r.quality !== undefined) {
    if (r.algorithm !== 'pdq') return 'quality applies to pdq values only'
    if (!Number.isInteger(r.quality) || r.quality < 0 || r.quality > 100) return `pdq quality is an integer 0-100, got ${r.quality}`
  }
  if (r.algorithm === 'vpdq') {
    const bad = framesProblem(r.frames, r.value)
    if (bad !== null) return bad
  } else if (r.frames !== undefined) return 'frames apply to vpdq values only'
  return metaProblem(r)
}

function metaProblem (m: EntryMeta): string | null {
  if (m.classification !== undefined && !(CLASSIFICATIONS as readonly string[]).includes(m.classification)) return `classification is one of ${CLASSIFICATIONS.join(', ')}`
  if (m.iwfCategory !== undefined && !(IWF_CATEGORIES as readonly string[]).includes(m.iwfCategory)) return `IWF category is one of ${IWF_CATEGORIES.join(', ')}`
  if (m.vicsCategory !== undefined && (!Number.isInteger(m.vicsCategory) || m.vicsCategory < 0 || m.vicsCategory > 4)) return `VICS category is an integer 0-4, got ${m.vicsCategory}`
  if (m.ageBand !== undefined && !(AGE_BANDS as readonly string[]).includes(m.ageBand)) return `age band is one of ${AGE_BANDS.join(', ')}`
  if (m.media !== undefined && !(MEDIA_TYPES as readonly string[]).includes(m.media)) return `media is one of ${MEDIA_TYPES.join(', ')}`
  if (m.tags !== undefined) {
    if (!Array.isArray(m.tags) || m.tags.length > MAX_TAGS) return `at most ${MAX_TAGS} tags`
    for (const tag of m.tags) {
      if (typeof tag !== 'string' || tag.length === 0 || tag.length > MAX_TAG_LENGTH) return `a tag is text of 1-${MAX_TAG_LENGTH} characters`
    }
  }
  if (m.source !== undefined && (typeof m.source !== 'string' || m.source.length > MAX_SOURCE_LENGTH)) return `source is text of at most ${MAX_SOURCE_LENGTH} characters`
  return null
}

/** The metadata part of a record as HashEntry fields (no op, algorithm or value). */
export function metaToProto (r: EntryMeta & { quality?: number, frames?: VpdqFrame[] }): PbEntry {
  const e: PbEntry = {}
  if (r.quality !== undefined) e.quality = r.quality
  if (r.frames !== undefined) e.vpdq = framesToProto(r.frames)
  if (r.classification !== undefined) e.classification = CLASSIFICATION_TO_ENUM[r.classification]
  if (r.iwfCategory !== undefined) e.iwfCategory = r.iwfCategory
  if (r.vicsCategory !== undefined) e.vicsCategory = r.vicsCategory
  if (r.ageBand !== undefined) e.ageBand = r.ageBand
  if (r.media !== undefined) e.media = MEDIA_TO_ENUM[r.media]
  if (r.tags !== undefined && r.tags.length > 0) e.tags = r.tags
  if (r.source !== undefined && r.source !== '') e.source = r.source
  return e
}

/**
 * Validates an entry we are about to sign and returns its HashEntry fields. Throws
 * HF_INVALID_HASH for a bad value, HF_INVALID_ARGUMENT for bad metadata.
 */
export function entryToProto (entry: LogEntry): PbEntry {
  checkEntry(entry)
  if (entry.op === 'benign') {
    return { op: entry.withdraw === true ? pb.HashEntry.Op.BENIGN_RETRACT : pb.HashEntry.Op.BENIGN, algorithm: algorithmToEnum(entry.algorithm), value: entry.value, reason: entry.reason }
  }
  if (entry.op === 'retract') {
    const e: PbEntry = { op: pb.HashEntry.Op.RETRACT, algorithm: algorithmToEnum(entry.algorithm), value: entry.value, reason: entry.reason }
    if (entry.source !== undefined && entry.source !== '') e.source = entry.source
    return e
  }
  const e = metaToProto(entry.record)
  e.op = pb.HashEntry.Op.ADD
  e.algorithm = algorithmToEnum(entry.record.algorithm)
  e.value = entry.record.value
  return e
}

/**
 * entryToProto for an add, with its metadata alone as well (what an index row keeps), so the
 * write path builds it once; `sharedMeta`, when the caller has one equal to it, stands in for it.
 */
export function addToProto (record: HashRecord, sharedMeta?: PbEntry): { entry: PbEntry, meta: PbEntry } {
  checkEntry({ op: 'add', record })
  // two plain builds, not a spread: protobufjs encodes spread objects ~10x slower (measured)
  const entry = metaToProto(record)
  entry.op = pb.HashEntry.Op.ADD
  entry.algorithm = algorithmToEnum(record.algorithm)
  entry.value = record.value
  return { entry, meta: sharedMeta ?? metaToProto(record) }
}

/** Throws HF_INVALID_HASH for a bad value, HF_INVALID_ARGUMENT for bad metadata or op fields. */
export function checkEntry (entry: LogEntry): void {
  const badValue = valueProblem(entry)
  if (badValue !== null) throw hfError(ErrorCodes.INVALID_HASH, `invalid log entry: ${badValue}`)
  const problem = opProblem(entry)
  if (problem !== null) throw hfError(ErrorCodes.INVALID_ARGUMENT, `invalid log entry: ${problem}`)
}

/** Metadata of a stored or received HashEntry (the fields `metaToProto` writes). */
export function metaFromProto (e: PbEntry): EntryMeta & { quality?: number, frames?: VpdqFrame[] } {
  const m: EntryMeta & { quality?: number, frames?: VpdqFrame[] } = {}
  if (e.quality != null) m.quality = e.quality
  if (e.vpdq != null) m.frames = framesFromProto(e.vpdq)
  return metaInto(m, e)
}

/** The EntryMeta fields of `e`, set on `m` in a fixed order (what a record's keys list). */
function metaInto<T extends EntryMeta> (m: T, e: PbEntry): T {
  if (e.classification != null && e.classification !== 0) {
    const c = CLASSIFICATION_FROM_ENUM.get(e.classification)
    if (c === undefined) throw malformed(`unknown classification number ${e.classification}`)
    m.classification = c
  }
  if (e.iwfCategory != null && e.iwfCategory !== '') m.iwfCategory = e.iwfCategory as EntryMeta['iwfCategory']
  if (e.vicsCategory != null) m.vicsCategory = e.vicsCategory
  if (e.ageBand != null && e.ageBand !== '') m.ageBand = e.ageBand as EntryMeta['ageBand']
  if (e.media != null && e.media !== 0) {
    const media = MEDIA_FROM_ENUM.get(e.media)
    if (media === undefined) throw malformed(`media number ${e.media} is not valid for a hash entry`)
    m.media = media
  }
  if (e.tags != null && e.tags.length > 0) m.tags = [...e.tags]
  if (e.source != null && e.source !== '') m.source = e.source
  return m
}

/** Algorithm name of a HashEntry's enum value; throws HF_INVALID_BATCH (malformed). */
export function algorithmOf (e: PbEntry): AlgorithmName {
  const name = ALGORITHM_FROM_ENUM.get(e.algorithm ?? 0)
  if (name === undefined) throw malformed(`unknown algorithm number ${e.algorithm ?? 0}`)
  return name
}

/**
 * Decodes and validates an entry of a received batch. Throws HF_INVALID_BATCH with
 * `details.reason = 'malformed'` when it breaks the rules of `entryProblem`.
 */
export function entryFromProto (e: PbEntry): LogEntry {
  const algorithm = algorithmOf(e)
  const value = e.value ?? new Uint8Array(0)
  let entry: LogEntry
  if (e.op === pb.HashEntry.Op.ADD) {
    // built in place, keys in the order a spread of metaFromProto gave (no copies: a sync decodes millions)
    const record = metaInto<HashRecord>({ algorithm, value }, e)
    if (e.quality != null) record.quality = e.quality
    if (e.vpdq != null) record.frames = framesFromProto(e.vpdq)
    entry = { op: 'add', record }
  } else if (e.op === pb.HashEntry.Op.RETRACT) {
    entry = { op: 'retract', algorithm, value, reason: e.reason ?? '' }
    if (e.source != null && e.source !== '') entry.source = e.source
  } else if (e.op === pb.HashEntry.Op.BENIGN || e.op === pb.HashEntry.Op.BENIGN_RETRACT) {
    entry = { op: 'benign', algorithm, value, reason: e.reason ?? '' }
    if (e.op === pb.HashEntry.Op.BENIGN_RETRACT) entry.withdraw = true
  } else {
    throw malformed(`unknown entry op ${e.op ?? 0}`)
  }
  const problem = entryProblem(entry)
  if (problem !== null) throw malformed(problem)
  return entry
}

function malformed (message: string): Error {
  return hfError(ErrorCodes.INVALID_BATCH, `malformed entry: ${message}`, { reason: 'malformed' })
}
