import { randomUUID } from 'node:crypto'
import type { Logger } from 'pino'
import { pb } from '../proto/index.js'
import { hfError, ErrorCodes, isHashfedError } from '../errors.js'
import { parsePeerId, peerIdToBytes } from '../identity/identity.js'
import type { NodeContext } from '../context/node-context.js'
import type { Courier } from '../courier/courier.js'
import type { Signed } from '../courier/signed-record.js'
import type { CountryResolver } from './country-resolver.js'
import { signReport } from './report-codec.js'
import { checkSubmitFields, parseReportDetails, type SubmitInput } from './report-input.js'
import type { ReportStore } from './report-store.js'
import { validateReportRecord } from './report-validation.js'

export type Route = 'local' | 'outbound' | 'unroutable'

/** One item of a batch: the report made, or why this item was refused (the others go on). */
export type SubmitOutcome =
  | { ok: true, id: string, route: Route }
  | { ok: false, error: { code: string, message: string, details?: Record<string, unknown> } }

export interface SubmitterInit {
  ctx: NodeContext
  logger: Logger
  reports: ReportStore
  courier: Courier
  resolver: CountryResolver
}

/**
 * Makes reports from an analyst's input: validates, resolves the hosting country, signs as
 * this node, and stores each with its route in one atomic write (our inbound queue, the outbox
 * toward the one responsible member, or unroutable). Nothing of who reported it is taken.
 */
export class ReportSubmitter {
  private readonly self: string

  constructor (private readonly init: SubmitterInit) {
    this.self = init.ctx.identity.peerId.toString()
  }

  /** One report; throws HF_INVALID_REPORT, HF_INVALID_HASH, HF_UNKNOWN_COUNTRY, HF_FORBIDDEN (mirror). */
  async submit (input: SubmitInput): Promise<{ id: string, route: Route }> {
    this.checkNotMirror()
    const { ctx, logger } = this.init
    if (input === null || typeof input !== 'object') throw hfError(ErrorCodes.INVALID_REPORT, 'url: a URL is required', { field: 'url' })
    checkSubmitFields(input)
    const details = parseReportDetails(input)
    const where = await this.init.resolver.resolve({ url: input.url, ip: input.ip, country: input.country, hoster: input.hoster, asn: input.asn })
    const member = ctx.federation.forCountry(where.country)
    const id = randomUUID()
    const now = Date.now()
    const record = {
      version: 1,
      id,
      origin: ctx.identity.peerIdBytes,
      target: member !== undefined ? peerIdToBytes(parsePeerId(member.peerId)) : new Uint8Array(),
      url: input.url.trim(),
      ip: where.ip ?? '',
      country: where.country,
      hoster: where.hoster ?? '',
      asn: where.asn ?? 0,
      ...details,
      createdMs: now,
      countrySource: where.source
    }
    // the very check the responsible hotline runs on receipt: what we sign, it accepts
    validateReportRecord(record, now)
    const signed = signReport(ctx.identity, record)
    const route = await this.route(id, signed, member?.peerId ?? null, now)
    logger.info({ reportId: id, country: where.country, countrySource: where.source, route, target: member?.name ?? null }, 'report submitted')
    logger.debug({ reportId: id, url: input.url }, 'report URL')
    return { id, route }
  }

  /**
   * Many reports: each is validated, signed and stored on its own (its own atomic write; the
   * report store commits concurrent writes together), so a bad item is refused with its error
   * and loses nothing of the others. Outcomes are in the order of `inputs`.
   */
  async submitMany (inputs: readonly unknown[]): Promise<SubmitOutcome[]> {
    this.checkNotMirror()
    return await Promise.all(inputs.map(async (input): Promise<SubmitOutcome> => {
      try {
        return { ok: true, ...await this.submit(input as SubmitInput) }
      } catch (err) {
        // every failure stays with its item (a store failure too): the caller learns exactly
        // which reports were stored and can send the others again, without duplicates
        if (!isHashfedError(err)) {
          this.init.logger.warn({ err: (err as Error).message }, 'report of a batch failed')
          return { ok: false, error: { code: ErrorCodes.INTERNAL, message: (err as Error).message } }
        }
        return { ok: false, error: { code: err.code, message: err.message, ...(err.details !== undefined && { details: err.details }) } }
      }
    }))
  }

  /** Stores a signed report for its route: our own inbound queue, the outbox, or unroutable. */
  async route (id: string, signed: Signed, target: string | null, now: number): Promise<Route> {
    const { reports, courier } = this.init
    if (target === null) {
      await reports.write([reports.put(id, { report: signed, unroutable: true, updatedMs: now })])
      return 'unroutable'
    }
    if (target === this.self) {
      await reports.write([reports.put(id, { report: signed, inbound: true, status: pb.ReportStatus.RECEIVED, updatedMs: now, receivedMs: now })])
      return 'local'
    }
    await courier.send(target, { report: signed }, { subject: id, with: [reports.put(id, { report: signed, updatedMs: now })] })
    return 'outbound'
  }

  private checkNotMirror (): void {
    const mirrorOf = this.init.ctx.config.mirrorOf
    if (mirrorOf !== undefined) throw hfError(ErrorCodes.FORBIDDEN, `this node is a mirror of ${mirrorOf}; submit reports at that member`)
  }
}
