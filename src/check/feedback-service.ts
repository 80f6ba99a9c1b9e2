import { randomUUID } from 'node:crypto'
import type { Logger } from 'pino'
import { pb } from '../proto/index.js'
import { hfError, ErrorCodes } from '../errors.js'
import { parsePeerId, peerIdFromBytes, peerIdToBytes, type Identity } from '../identity/identity.js'
import type { Store } from '../store/store.js'
import type { HashLog } from '../log/hash-log.js'
import { algorithmFromEnum, algorithmToEnum, formatHashValue, parseHashRef, VALUE_BYTES, type AlgorithmName } from '../log/hash-value.js'
import { u64 } from '../log/uint64.js'
import type { Courier } from '../courier/courier.js'
import { rejection } from '../courier/rejection.js'
import { sameBytes, sentBy } from '../courier/signed-record.js'
import { openFeedback, signFeedback, type Feedback } from '../reports/report-codec.js'
import { MAX_FEEDBACK_REASON, VERDICTS } from './constants.js'
import { checkSignedTime } from '../reports/report-validation.js'

export { VERDICTS }
export type Verdict = typeof VERDICTS[number]

const VERDICT_TO_ENUM: Record<Verdict, number> = { confirmed: pb.Feedback.Verdict.CONFIRMED, disputed: pb.Feedback.Verdict.DISPUTED }
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/
const MAX_HOSTER = 64

export interface FeedbackRequest {
  /** `ALG:VALUE` of the stored hash that matched (a match's `algorithm` and `value`) */
  ref: string
  verdict: string
  /** why (for a dispute: what the image really is, e.g. "default WordPress theme image") */
  reason?: string
  /** check token name of the hoster, or `analyst:<node>` from the admin side */
  hoster: string
  /** origins the sender may address (the check API: enabled origins only); @default all */
  accept?: (origin: string) => boolean
}

export interface FeedbackSent {
  id: string
  origin: string
  name: string
  /** `stored`: we are the origin; `queued`: in the outbox until the origin receipts it */
  delivery: 'stored' | 'queued'
}

/** Feedback as the origin's analysts see it (`hashfed disputes list`). */
export interface FeedbackView {
  id: string
  verdict: Verdict
  algorithm: AlgorithmName
  value: string
  ref: string
  reason: string
  hoster: string
  /** member name of the node that collected it */
  from: string
  fromPeerId: string
  at: string
  /** whether we still vouch for the hash (false once retracted) */
  current: boolean
}

export interface FeedbackServiceInit {
  store: Store
  identity: Identity
  hashLog: HashLog
  /** carries feedback to other origins (and brings theirs) */
  courier: Pick<Courier, 'send' | 'register'>
  nameOf: (peerId: string) => string
  logger: Logger
}

/**
 * Hoster feedback on matches: signed by the node that collected it and sent only to the
 * origin hotline(s) vouching for the hash, through the courier (durable, receipted).
 * The origin keeps it in its `feedback` sublevel for its analysts, who may then retract.
 */
export class FeedbackService {
  private readonly self: string

  constructor (private readonly init: FeedbackServiceInit) {
    this.self = init.identity.peerId.toString()
    this.register()
  }

  /** Signs one Feedback per vouching origin and stores or queues it. Throws HF_NOT_FOUND when nobody vouches for the hash. */
  async send (req: FeedbackRequest, now = Date.now()): Promise<FeedbackSent[]> {
    const { identity, logger, nameOf } = this.init
    const verdict = parseVerdict(req.verdict)
    const reason = (req.reason ?? '').trim()
    if (reason.length > MAX_FEEDBACK_REASON || reason.includes('\u0000')) throw hfError(ErrorCodes.INVALID_ARGUMENT, `reason: text of at most ${MAX_FEEDBACK_REASON} characters`, { field: 'reason' })
    if (verdict === 'disputed' && reason === '') throw hfError(ErrorCodes.INVALID_ARGUMENT, 'reason: say why the match is wrong, for the analyst who decides on a retraction', { field: 'reason' })
    const { algorithm, value } = parseHashRef(req.ref)
    const origins = (await this.init.hashLog.show(algorithm, value))
      .filter(p => p.retracted === undefined && (req.accept?.(p.origin) ?? true))
      .map(p => p.origin)
    if (origins.length === 0) throw hfError(ErrorCodes.NOT_FOUND, `no hotline vouches for ${algorithm}:${formatHashValue(value)} here`, { algorithm })
    const sent: FeedbackSent[] = []
    for (const origin of origins) {
      const id = randomUUID()
      const signed = signFeedback(identity, {
        id,
        author: identity.peerIdBytes,
        origin: peerIdToBytes(parsePeerId(origin)),
        hash: { algorithm: algorithmToEnum(algorithm), value },
        verdict: VERDICT_TO_ENUM[verdict],
        reason,
        hoster: req.hoster.slice(0, MAX_HOSTER),
        atMs: now
      })
      if (origin === this.self) {
        await this.init.store.sub.feedback.put(id, pb.Signed.encode(signed).finish())
        sent.push({ id, origin, name: nameOf(origin), delivery: 'stored' })
      } else {
        await this.init.courier.send(origin, { feedback: signed }, { subject: id })
        sent.push({ id, origin, name: nameOf(origin), delivery: 'queued' })
      }
      logger.info({ feedbackId: id, verdict, origin: nameOf(origin), hoster: req.hoster }, 'feedback sent')
    }
    return sent
  }

  /** Accepts feedback addressed to us, signed by the member that sent it; logs ours when its origin receipts it. */
  private register (): void {
    const { logger, nameOf } = this.init
    this.init.courier.register<Feedback>('feedback', {
      open: (signed, _from, fromBytes) => {
        // signed by the sender (checked before the signature), in this version's fields only
        const f = openFeedback(signed, sentBy(fromBytes))
        if (!sameBytes(f.origin, this.init.identity.peerIdBytes)) throw rejection('wrong-target', 'feedback is addressed to another hotline')
        const problem = feedbackProblem(f)
        if (problem !== null) throw rejection('malformed', `feedback ${UUID.test(f.id) ? f.id : '(bad id)'}: ${problem}`)
        return { record: { author: f.author, subject: f.id }, value: f }
      },
      store: async (f, signed) => {
        if (await this.init.store.sub.feedback.get(f.id) !== undefined) return []
        logger.info({ feedbackId: f.id, from: nameOf(peerIdFromBytes(f.author).toString()), verdict: verdictOf(f) }, 'feedback received')
        return [{ type: 'put', sublevel: this.init.store.sub.feedback, key: f.id, value: pb.Signed.encode(signed).finish() }]
      },
      delivered: async (item) => {
        logger.info({ feedbackId: item.subject, origin: nameOf(peerIdFromBytes(item.target).toString()) }, 'feedback delivered')
        return []
      }
    })
  }

  /** Feedback received about our hashes, newest first; disputes only unless `all`. */
  async list (filter: { all?: boolean } = {}): Promise<FeedbackView[]> {
    const out: FeedbackView[] = []
    for await (const [id, raw] of this.init.store.sub.feedback.iterator()) {
      let f: Feedback
      try {
        f = openFeedback(pb.Signed.decode(raw))
      } catch (err) {
        this.init.logger.warn({ feedbackId: id, err: (err as Error).message }, 'skipping unreadable feedback')
        continue
      }
      const verdict = verdictOf(f)
      if (verdict === null || (filter.all !== true && verdict !== 'disputed')) continue
      const algorithm = algorithmFromEnum(f.hash?.algorithm ?? 0)
      const value = f.hash?.value ?? new Uint8Array(0)
      const fromPeerId = peerIdFromBytes(f.author).toString()
      const ours = (await this.init.hashLog.show(algorithm, value)).find(p => p.origin === this.self)
      out.push({
        id,
        verdict,
        algorithm,
        value: formatHashValue(value),
        ref: `${algorithm}:${formatHashValue(value)}`,
        reason: f.reason,
        hoster: f.hoster,
        from: this.init.nameOf(fromPeerId),
        fromPeerId,
        at: new Date(u64(f.atMs)).toISOString(),
        current: ours !== undefined && ours.retracted === undefined
      })
    }
    return out.sort((a, b) => b.at.localeCompare(a.at) || a.id.localeCompare(b.id))
  }
}

export function parseVerdict (text: string): Verdict {
  if (!(VERDICTS as readonly string[]).includes(text)) throw hfError(ErrorCodes.INVALID_ARGUMENT, `verdict: one of ${VERDICTS.join(', ')}`, { field: 'verdict' })
  return text as Verdict
}

function verdictOf (f: Feedback): Verdict | null {
  return f.verdict === pb.Feedback.Verdict.CONFIRMED ? 'confirmed' : f.verdict === pb.Feedback.Verdict.DISPUTED ? 'disputed' : null
}

function feedbackProblem (f: Feedback): string | null {
  if (!UUID.test(f.id)) return 'the id is not a UUID'
  if (verdictOf(f) === null) return `unknown verdict ${f.verdict}`
  let algorithm: AlgorithmName
  try { algorithm = algorithmFromEnum(f.hash?.algorithm ?? 0) } catch { return 'no known hash algorithm' }
  if (f.hash?.value == null || f.hash.value.length !== VALUE_BYTES[algorithm]) return `a ${algorithm} value has ${VALUE_BYTES[algorithm]} bytes`
  if (f.reason.length > MAX_FEEDBACK_REASON) return 'the reason is too long'
  if (f.hoster.length > MAX_HOSTER) return 'the hoster name is too long'
  try { checkSignedTime('atMs', f.atMs, Date.now()) } catch (err) { return (err as Error).message }
  return null
}
