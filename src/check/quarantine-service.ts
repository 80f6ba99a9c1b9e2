import { randomUUID } from 'node:crypto'
import type { Logger } from 'pino'
import { pb } from '../proto/index.js'
import { hfError, ErrorCodes } from '../errors.js'
import { parsePeerId, peerIdFromBytes, peerIdToBytes, type Identity } from '../identity/identity.js'
import type { BatchOp, Store } from '../store/store.js'
import { quarantineKey, quarantineRange } from '../store/layout.js'
import type { HashLog } from '../log/hash-log.js'
import { algorithmToEnum, formatHashValue, parseHashRef } from '../log/hash-value.js'
import { u64 } from '../log/uint64.js'
import type { Courier } from '../courier/courier.js'
import { sameBytes, sentBy, type Signed } from '../courier/signed-record.js'
import { rejection } from '../reports/rejection.js'
import { MatchCounter, type CounterLimits, type HoldTrigger } from '../match/match-counter.js'
import { openDecision, openNotice, recordProblem, refOfHash, signDecision, signNotice, type QuarantineDecision, type QuarantineNotice } from './quarantine-codec.js'

export interface QuarantineLimits extends CounterLimits {
  enabled: boolean
  confirmedFactor: number
}

/** A held hash as this node keeps it (JSON in the `quarantine` sublevel). */
export interface Hold {
  ref: string
  kind: 'auto' | 'operator'
  sinceMs: number
  /** operator holds: released by themselves after this */
  untilMs?: number
  reason: string
  trigger?: HoldTrigger
  hosters: number
  matches: number
  hosterTokens: string[]
  /** origins (peer IDs) that vouched for the hash when it was held */
  origins: string[]
  /** ids of the notices sent to them */
  notices: string[]
}

/** What the origin said, as this node knows it. */
export interface OriginWord { decision: 'confirmed', by: string, byPeerId: string, at: string, reason: string }

export interface ReceivedNotice { id: string, ref: string, from: string, fromPeerId: string, hosters: number, matches: number, trigger: string, since: string, at: string }

export interface QuarantineServiceInit {
  store: Store
  identity: Identity
  hashLog: HashLog
  courier?: Pick<Courier, 'send' | 'register'>
  /** peer IDs of the other members (a confirmation goes to each) */
  others: () => string[]
  nameOf: (peerId: string) => string
  logger: Logger
  limits: QuarantineLimits
  now?: () => number
}

/**
 * The false-positive quarantine: counts matches per stored hash (MatchCounter), holds a hash
 * that goes over its limits on this node only and tells its origin(s) with a signed notice;
 * keeps operator holds; applies an origin's signed confirmation (release, thresholds raised
 * by `confirmedFactor`). A confirmation is sent by the origin to every member through the
 * courier, so each node releases its own hold; a retraction goes through the origin's log
 * like any other and ends the matches everywhere.
 */
export class QuarantineService {
  readonly counter: MatchCounter
  readonly stats = { holds: 0, released: 0, heldAnswers: 0, noticesSent: 0, noticesReceived: 0, confirmationsReceived: 0 }
  private readonly holds = new Map<string, Hold>()
  private readonly confirmed = new Map<string, OriginWord>()
  private readonly self: string
  private readonly now: () => number

  private constructor (private readonly init: QuarantineServiceInit) {
    this.counter = new MatchCounter(init.limits)
    this.self = init.identity.peerId.toString()
    this.now = init.now ?? Date.now
    this.register()
  }

  static async open (init: QuarantineServiceInit): Promise<QuarantineService> {
    const q = new QuarantineService(init)
    const sub = init.store.sub.quarantine
    // a row that no longer reads is skipped with a warning: a lost hold is re-earned by counting
    for await (const [key, raw] of sub.iterator(quarantineRange('hold'))) {
      try {
        const hold = JSON.parse(Buffer.from(raw).toString('utf8')) as Hold
        q.holds.set(hold.ref, hold)
      } catch (err) { init.logger.warn({ key, err: (err as Error).message }, 'skipping an unreadable hold') }
    }
    for await (const [key, raw] of sub.iterator(quarantineRange('confirm'))) {
      const ref = key.slice('confirm!'.length)
      try {
        q.confirmed.set(ref, q.wordOf(openDecision(pb.Signed.decode(raw))))
        q.counter.reset(ref, init.limits.confirmedFactor)
      } catch (err) { init.logger.warn({ key, err: (err as Error).message }, 'skipping an unreadable confirmation') }
    }
    return q
  }

  /** The hold on `ref`, if any (the check path: one map lookup). An operator hold past its time ends here. */
  held (ref: string): Hold | undefined {
    if (this.holds.size === 0) return undefined
    const h = this.holds.get(ref)
    if (h?.untilMs !== undefined && this.now() > h.untilMs) {
      this.drop(h.ref, 'hold time over').catch(err => this.init.logger.error({ err, hash: h.ref }, 'could not delete an ended hold'))
      return undefined
    }
    return h
  }

  /** Counts a plain match of `ref` (vouched by `origins`) for `hoster`; holds it when it goes over. */
  record (ref: string, origins: string[], hoster: string): void {
    if (!this.init.limits.enabled) return
    const now = this.now()
    const trigger = this.counter.record(ref, hoster, now)
    if (trigger === null || this.holds.has(ref)) return
    const counts = this.counter.counts(ref, now)
    const hold: Hold = {
      ref, kind: 'auto', sinceMs: now, reason: trigger === 'hosters' ? `matched for ${counts.hosters} distinct hosters` : `${counts.matches} matches in the last hour`,
      trigger, hosters: counts.hosters, matches: counts.matches, hosterTokens: this.counter.hostersOf(ref), origins, notices: []
    }
    this.holds.set(ref, hold)
    this.stats.holds++
    this.init.logger.warn({ hash: ref, trigger, hosters: counts.hosters, matches: counts.matches }, 'over-matching hash held')
    this.notify(hold).catch(err => this.init.logger.error({ err, hash: ref }, 'could not store or queue the quarantine notice'))
  }

  /** Holds `ref` by an operator's word, until `untilMs` (or until released). */
  async hold (refText: string, opts: { untilMs?: number, reason: string }): Promise<Hold> {
    const { algorithm, value } = parseHashRef(refText)
    const ref = `${algorithm}:${formatHashValue(value)}`
    if (opts.untilMs !== undefined && opts.untilMs <= this.now()) throw hfError(ErrorCodes.INVALID_ARGUMENT, 'until: a time in the future', { field: 'until' })
    const origins = (await this.init.hashLog.show(algorithm, value)).filter(p => p.retracted === undefined).map(p => p.origin)
    const hold: Hold = { ref, kind: 'operator', sinceMs: this.now(), reason: opts.reason, hosters: 0, matches: 0, hosterTokens: [], origins, notices: [] }
    if (opts.untilMs !== undefined) hold.untilMs = opts.untilMs
    this.holds.set(ref, hold)
    this.stats.holds++
    await this.save(hold)
    return hold
  }

  /** Ends the hold on `ref` here (operator's decision); counting starts afresh. */
  async release (refText: string): Promise<Hold> {
    const ref = normalRef(refText)
    const h = this.holds.get(ref)
    if (h === undefined) throw hfError(ErrorCodes.NOT_FOUND, `${ref} is not held on this node`)
    await this.drop(ref, 'released by operator')
    return h
  }

  /**
   * The origin confirms its hash: signs a decision, sends it to every other member and
   * applies it here. Throws HF_NOT_FOUND when this node does not vouch for the hash.
   */
  async confirm (refText: string, reason: string): Promise<{ id: string, ref: string, sentTo: string[] }> {
    const { algorithm, value } = parseHashRef(refText)
    const ref = `${algorithm}:${formatHashValue(value)}`
    const ours = (await this.init.hashLog.show(algorithm, value)).some(p => p.origin === this.self && p.retracted === undefined)
    if (!ours) throw hfError(ErrorCodes.NOT_FOUND, `this node does not vouch for ${ref}: only its origin can confirm it`)
    const id = randomUUID()
    const signed = signDecision(this.init.identity, { id, author: this.init.identity.peerIdBytes, hash: { algorithm: algorithmToEnum(algorithm), value }, decision: pb.QuarantineDecision.Decision.CONFIRMED, reason, atMs: this.now() })
    await this.applyConfirmation(ref, signed)
    await this.init.store.sub.quarantine.put(quarantineKey.confirm(ref), pb.Signed.encode(signed).finish())
    const sentTo: string[] = []
    for (const peer of this.init.others()) {
      if (this.init.courier === undefined) break
      await this.init.courier.send(peer, { quarantineDecision: signed }, { subject: id })
      sentTo.push(peer)
    }
    this.init.logger.info({ hash: ref, decisionId: id, members: sentTo.length }, 'quarantine confirmation sent')
    return { id, ref, sentTo }
  }

  list (): Hold[] {
    return [...this.holds.values()].sort((a, b) => a.sinceMs - b.sinceMs || a.ref.localeCompare(b.ref))
  }

  /** What the origin said about `ref`, as received (or decided) here. */
  originWord (ref: string): OriginWord | undefined {
    return this.confirmed.get(ref)
  }

  /** Notices other nodes sent about our hashes (the origin's view), optionally for one hash. */
  async notices (ref?: string): Promise<ReceivedNotice[]> {
    const out: ReceivedNotice[] = []
    for await (const [, raw] of this.init.store.sub.quarantine.iterator(quarantineRange('notice'))) {
      const n = openNotice(pb.Signed.decode(raw))
      const r = refOfHash(n.hash)
      if (typeof r === 'string' || (ref !== undefined && r.ref !== ref)) continue
      const fromPeerId = peerIdFromBytes(n.author).toString()
      out.push({ id: n.id, ref: r.ref, from: this.init.nameOf(fromPeerId), fromPeerId, hosters: n.hosters, matches: n.matches, trigger: n.trigger, since: iso(u64(n.sinceMs)), at: iso(u64(n.atMs)) })
    }
    return out.sort((a, b) => b.at.localeCompare(a.at))
  }

  get heldCount (): number { return this.holds.size }

  // ------------------------------------------------------------------ internals

  private async notify (hold: Hold): Promise<void> {
    const { algorithm, value } = parseHashRef(hold.ref)
    for (const origin of hold.origins) {
      const id = randomUUID()
      const signed = signNotice(this.init.identity, {
        id, author: this.init.identity.peerIdBytes, origin: peerIdToBytes(parsePeerId(origin)), hash: { algorithm: algorithmToEnum(algorithm), value },
        hosters: hold.hosters, matches: hold.matches, sinceMs: hold.sinceMs, trigger: hold.trigger ?? '', atMs: this.now()
      })
      hold.notices.push(id)
      if (origin === this.self) {
        await this.init.store.sub.quarantine.put(quarantineKey.notice(id), pb.Signed.encode(signed).finish())
      } else if (this.init.courier !== undefined) {
        await this.init.courier.send(origin, { quarantineNotice: signed }, { subject: id })
      }
      this.stats.noticesSent++
    }
    await this.save(hold)
  }

  private async applyConfirmation (ref: string, signed: Signed): Promise<void> {
    const word = this.wordOf(openDecision(signed))
    this.confirmed.set(ref, word)
    if (this.holds.has(ref)) await this.drop(ref, `confirmed by ${word.by}`)
    this.counter.reset(ref, this.init.limits.confirmedFactor)
  }

  private async drop (ref: string, why: string): Promise<void> {
    if (!this.holds.delete(ref)) return
    this.stats.released++
    this.counter.reset(ref)
    this.init.logger.info({ hash: ref, why }, 'hold released')
    await this.init.store.sub.quarantine.del(quarantineKey.hold(ref))
  }

  private async save (hold: Hold): Promise<void> {
    await this.init.store.sub.quarantine.put(quarantineKey.hold(hold.ref), Buffer.from(JSON.stringify(hold), 'utf8'))
  }

  private wordOf (d: QuarantineDecision): OriginWord {
    const byPeerId = peerIdFromBytes(d.author).toString()
    return { decision: 'confirmed', by: this.init.nameOf(byPeerId), byPeerId, at: iso(u64(d.atMs)), reason: d.reason }
  }

  private register (): void {
    const { courier, store, logger } = this.init
    if (courier === undefined) return
    courier.register<QuarantineNotice>('quarantineNotice', {
      open: (signed, _from, fromBytes) => {
        const n = openNotice(signed, sentBy(fromBytes))
        if (!sameBytes(n.origin, this.init.identity.peerIdBytes)) throw rejection('wrong-target', 'quarantine notice is addressed to another hotline')
        const problem = recordProblem(n) ?? (typeof refOfHash(n.hash) === 'string' ? refOfHash(n.hash) as string : null)
        if (problem !== null) throw rejection('malformed', `quarantine notice: ${problem}`)
        return { record: { author: n.author, subject: n.id }, value: n }
      },
      store: async (n, signed) => {
        this.stats.noticesReceived++
        logger.warn({ noticeId: n.id, from: this.init.nameOf(peerIdFromBytes(n.author).toString()), hosters: n.hosters, matches: n.matches }, 'quarantine notice received: a member holds one of our hashes')
        return [{ type: 'put', sublevel: store.sub.quarantine, key: quarantineKey.notice(n.id), value: pb.Signed.encode(signed).finish() }]
      }
    })
    courier.register<{ d: QuarantineDecision, ref: string, algorithm: Parameters<HashLog['show']>[0], value: Uint8Array }>('quarantineDecision', {
      open: (signed, _from, fromBytes) => {
        // signed by the member that sent it; whether it vouches for the hash is checked in store
        const d = openDecision(signed, sentBy(fromBytes))
        const r = refOfHash(d.hash)
        const problem = recordProblem(d) ?? (typeof r === 'string' ? r : null) ?? (d.decision !== pb.QuarantineDecision.Decision.CONFIRMED ? `unknown decision ${d.decision}` : null)
        if (problem !== null || typeof r === 'string') throw rejection('malformed', `quarantine decision: ${problem ?? ''}`)
        return { record: { author: d.author, subject: d.id }, value: { d, ...r } }
      },
      store: async (v, signed): Promise<BatchOp[]> => {
        const author = peerIdFromBytes(v.d.author).toString()
        const provenance = await this.init.hashLog.show(v.algorithm, v.value)
        if (provenance.length === 0) throw rejection('unknown-hash', `quarantine decision for ${v.ref}, which nobody vouches for here (yet)`)
        // only an origin that vouches for the hash may release holds on it: anyone else is forging its word
        if (!provenance.some(p => p.origin === author && p.retracted === undefined)) throw rejection('not-origin', `quarantine decision for ${v.ref} by ${this.init.nameOf(author)}, which does not vouch for it`)
        this.stats.confirmationsReceived++
        await this.applyConfirmation(v.ref, signed)
        return [{ type: 'put', sublevel: store.sub.quarantine, key: quarantineKey.confirm(v.ref), value: pb.Signed.encode(signed).finish() }]
      }
    })
  }
}

function normalRef (text: string): string {
  const { algorithm, value } = parseHashRef(text)
  return `${algorithm}:${formatHashValue(value)}`
}

function iso (ms: number): string {
  return new Date(ms).toISOString()
}
