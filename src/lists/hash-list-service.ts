import { hfError, ErrorCodes } from '../errors.js'
import { formatLoader } from '../formats/load-format.js'
import type { ParseInit } from '../formats/format.js'
import { vpdqRecord } from '../formats/vpdq-formats.js'
import { importHashes, type ImportProgress, type ImportSummary } from './importer.js'
import { exportHashes } from './exporter.js'
import { formatHashValue, parseAlgorithm, parseHashRef, parseHashValue, type AlgorithmName } from '../log/hash-value.js'
import { CLASSIFICATIONS, type AppendItem, type EntryMeta, type HashRecord } from '../log/entry.js'
import type { HashLog } from '../log/hash-log.js'
import type { NodeContext } from '../context/node-context.js'
import { DEFAULT_CLASSIFICATION } from './default-classification.js'

/**
 * What `hashes import` takes, from the CLI or the admin API. The list's bytes come separately
 * (an upload or the CLI's own file): the node never opens a path a request names.
 */
export interface ImportRequest {
  format: string
  classification?: string
  source?: string
  /** `lines` only */
  algorithm?: string
}

/** What `hashes add-images` sends: hashes computed from images (never the images). */
export interface AddHashesRequest {
  records: Array<{ algorithm: string, value: string, quality?: number, media?: 'image' | 'video', frames?: Array<{ frame: number, quality: number, hash: string, timestamp: number }> }>
  classification?: string
  source?: string
}

export interface AddHashesSummary {
  added: number
  updated: number
  alreadyPresent: number
  batches: number
}

export interface ExportRequest {
  format: string
  /** member name or peer ID */
  origin?: string
  algorithm?: string
}

/** Hash-list operations of one node, the same whether the admin API or an offline CLI calls them. */
export class HashListService {
  constructor (private readonly ctx: Omit<NodeContext, 'store'>, readonly log: HashLog) {}

  private assertPublisher (): void {
    if (this.ctx.config.mirrorOf !== undefined) throw hfError(ErrorCodes.FORBIDDEN, `this node is a read-only mirror of ${this.ctx.config.mirrorOf}: publish on the member's own node`)
  }

  /** `input` opens the list's bytes afresh each time (the importer reads them twice: check, then write). */
  async import (req: ImportRequest, input: () => AsyncIterable<Uint8Array | string>, onProgress?: (p: ImportProgress) => void): Promise<ImportSummary> {
    this.assertPublisher()
    const loadFormat = formatLoader(req.format)
    const defaults: EntryMeta = { classification: DEFAULT_CLASSIFICATION }
    if (req.classification !== undefined) {
      if (!(CLASSIFICATIONS as readonly string[]).includes(req.classification)) throw hfError(ErrorCodes.INVALID_ARGUMENT, `--classification must be one of ${CLASSIFICATIONS.join(', ')}`)
      defaults.classification = req.classification as EntryMeta['classification']
    }
    if (req.source !== undefined) defaults.source = req.source
    const init: ParseInit = { defaults, ...(req.algorithm !== undefined ? { algorithm: parseAlgorithm(req.algorithm) } : {}) }
    const format = await loadFormat()
    return await importHashes({
      log: this.log,
      identity: this.ctx.identity,
      format,
      input,
      init,
      onProgress
    })
  }

  /** Appends hashes (e.g. of images) to our origin log as adds, all validated before anything is written. */
  async addHashes (req: AddHashesRequest): Promise<AddHashesSummary> {
    this.assertPublisher()
    const meta: EntryMeta = { classification: DEFAULT_CLASSIFICATION }
    if (req.classification !== undefined) {
      if (!(CLASSIFICATIONS as readonly string[]).includes(req.classification)) throw hfError(ErrorCodes.INVALID_ARGUMENT, `--classification must be one of ${CLASSIFICATIONS.join(', ')}`)
      meta.classification = req.classification as EntryMeta['classification']
    }
    if (req.source !== undefined && req.source !== '') meta.source = req.source
    const items = req.records.map((r, i) => {
      try {
        const algorithm = parseAlgorithm(r.algorithm)
        if (algorithm === 'vpdq') {
          if (r.frames === undefined) throw hfError(ErrorCodes.INVALID_HASH, 'a vpdq record carries its frames')
          const record = vpdqRecord(r.frames.map(f => ({ frameNumber: f.frame, quality: f.quality, hash: new Uint8Array(Buffer.from(f.hash, 'hex')), timestamp: f.timestamp })), { defaults: meta })
          if (r.value !== '' && formatHashValue(record.value) !== r.value.toLowerCase()) throw hfError(ErrorCodes.INVALID_HASH, 'the vpdq value is not the SHA-256 of its frames')
          return { op: 'add' as const, record }
        }
        const record: HashRecord = { algorithm, value: parseHashValue(algorithm, r.value), ...meta }
        if (r.quality !== undefined) record.quality = r.quality
        if (r.media !== undefined) record.media = r.media
        return { op: 'add' as const, record }
      } catch (err) {
        throw hfError(ErrorCodes.INVALID_HASH, `records[${i}]: ${(err as Error).message}`, { index: i })
      }
    })
    const res = await this.log.append(this.ctx.identity, items)
    return { added: res.added, updated: res.updated, alreadyPresent: res.unchanged, batches: res.batches.length }
  }

  export (req: ExportRequest): AsyncIterable<string> {
    // a bad format, origin or algorithm throws here, before any output; the format's module loads on the first read
    const loadFormat = formatLoader(req.format)
    const init = {
      log: this.log,
      origin: req.origin !== undefined ? this.originId(req.origin) : undefined,
      algorithm: req.algorithm !== undefined ? parseAlgorithm(req.algorithm) : undefined
    }
    return (async function * () { yield * exportHashes({ ...init, format: await loadFormat() }) })()
  }

  async retract (ref: string, reason: string): Promise<{ retracted: number, seq: number }> {
    this.assertPublisher()
    const { algorithm, value } = parseHashRef(ref)
    const res = await this.log.append(this.ctx.identity, [{ op: 'retract', algorithm, value, reason }])
    return { retracted: res.retracted, seq: res.batches.at(-1)?.seq ?? 0 }
  }

  /**
   * Publishes benign entries (values that are not abuse material, e.g. CMS default images) in
   * our log, or withdraws them; `retract` also retracts our own vouch for each value in the
   * same write (a dispute accepted in one step).
   */
  async benign (refs: string[], reason: string, opts: { withdraw?: boolean, retract?: boolean } = {}): Promise<{ entries: number, retracted: number, seq: number }> {
    this.assertPublisher()
    const items: AppendItem[] = []
    for (const ref of refs) {
      const { algorithm, value } = parseHashRef(ref)
      if (opts.retract === true) items.push({ op: 'retract', algorithm, value, reason })
      items.push({ op: 'benign', algorithm, value, reason, ...(opts.withdraw === true ? { withdraw: true } : {}) })
    }
    const res = await this.log.append(this.ctx.identity, items, { missingRetract: 'ignore' })
    return { entries: items.length, retracted: res.retracted, seq: res.batches.at(-1)?.seq ?? 0 }
  }

  async show (ref: string): Promise<{ algorithm: AlgorithmName, value: string, origins: unknown[] }> {
    const { algorithm, value } = parseHashRef(ref)
    const provenance = await this.log.show(algorithm, value)
    return {
      algorithm,
      value: formatHashValue(value),
      origins: provenance.map(p => ({
        origin: p.origin,
        name: this.ctx.federation.nameOf(p.origin),
        seq: p.seq,
        index: p.index,
        batchHash: formatHashValue(p.batchHash),
        retracted: p.retracted ?? null,
        ...recordMeta(p.record)
      }))
    }
  }

  listOrigins (): Array<Record<string, unknown>> {
    return this.log.listOrigins().map(o => ({
      origin: o.origin,
      name: this.ctx.federation.nameOf(o.origin),
      entries: o.entries,
      retractions: o.retractions,
      headSeq: o.headSeq,
      headHash: formatHashValue(o.headHash),
      logEntries: o.logEntries
    }))
  }

  /** A member name or peer ID to the origin's peer ID. */
  originId (nameOrId: string): string {
    const m = this.ctx.federation.byMemberName(nameOrId) ?? this.ctx.federation.byPeerId(nameOrId)
    if (m === undefined) throw hfError(ErrorCodes.NOT_FOUND, `no member "${nameOrId}" in the federation`)
    return m.peerId
  }
}

function recordMeta (r: EntryMeta & { quality?: number, frames?: unknown[] }): Record<string, unknown> {
  const { classification, iwfCategory, vicsCategory, ageBand, media, tags, source, quality } = r
  // a vpdq entry's frames are shown as their number (export them with --format vpdq-text)
  const frames = r.frames?.length
  return Object.fromEntries(Object.entries({ classification, iwfCategory, vicsCategory, ageBand, media, tags, source, quality, frames }).filter(([, v]) => v !== undefined))
}
