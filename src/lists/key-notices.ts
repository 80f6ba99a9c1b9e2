import type { Logger } from 'pino'
import { pb } from '../proto/index.js'
import type { HashLog } from '../log/hash-log.js'
import { openRevocation, decodeRevocation, type Revocation } from '../log/revocation.js'
import type { Courier } from '../courier/courier.js'
import { openRecord, sentBy, bodyHash, hex, type Signed } from '../courier/signed-record.js'
import { rejection } from '../courier/rejection.js'
import { parsePeerId, peerIdFromBytes, peerIdToBytes, type Identity } from '../identity/identity.js'
import type { FederationView } from '../context/federation-view.js'

export interface KeyNoticesInit {
  identity: Identity
  federation: FederationView
  hashLog: HashLog
  courier: Pick<Courier, 'send' | 'register'>
  logger: Logger
}

/** A revocation as status shows it: the alarm an operator acts on. */
export interface RevocationAlarm {
  origin: string
  name: string
  firstBadSeq: number
  newKey: string
  createdMs: number
}

/**
 * Carries revocations between members through the courier (durable, receipted): the origin
 * sends its own to every member, and every member that applies one passes it on once, so a
 * member the origin cannot reach still learns it. A revocation counts only when the recovery
 * key in our federation file signed it; whoever carries it signs the KeyNotice around it.
 */
export class KeyNotices {
  constructor (private readonly init: KeyNoticesInit) {
    this.register()
  }

  /** The recovery key our federation file names for `origin`, as peer ID bytes. */
  recoveryKeyOf (origin: string): Uint8Array | undefined {
    const key = this.init.federation.byPeerId(origin)?.recoveryKey
    return key === undefined ? undefined : peerIdToBytes(parsePeerId(key))
  }

  /** Applies a verified revocation here and sends it to every other member (except `except`). */
  async publish (revocation: Revocation, except?: string): Promise<{ applied: boolean, notified: number }> {
    const applied = (await this.init.hashLog.applyRevocation(revocation)) === 'applied'
    if (!applied) return { applied, notified: 0 }
    const { identity, federation } = this.init
    const notice = pb.KeyNotice.encode({ author: identity.peerIdBytes, revocation: revocation.signed }).finish()
    const signed: Signed = { body: notice, signature: identity.sign(notice) }
    const subject = revocationSubject(revocation.signed)
    let notified = 0
    for (const m of federation.others) {
      if (m.peerId === except || m.mirrorOf !== undefined) continue
      await this.init.courier.send(m.peerId, { keyNotice: signed }, { subject })
      notified++
    }
    return { applied, notified }
  }

  private register (): void {
    const { federation, logger } = this.init
    this.init.courier.register<Revocation>('keyNotice', {
      open: (signed, _from, fromBytes) => {
        const notice = openRecord(pb.KeyNotice, signed, 'key notice', n => n.author ?? new Uint8Array(0), sentBy(fromBytes))
        const inner = notice.revocation ?? {}
        let originId: string
        try {
          originId = decodeRevocation(inner).originId
        } catch (err) {
          throw rejection('malformed', `key notice: ${(err as Error).message}`)
        }
        const recovery = this.recoveryKeyOf(originId)
        // not an offence: an honest member relays a revocation our federation file cannot check
        if (recovery === undefined || !federation.isOrigin(originId)) throw rejection('wrong-target', `key notice: ${originId} is no member with a recovery key in our federation file`)
        try {
          return { record: { author: fromBytes, subject: revocationSubject(inner) }, value: openRevocation(inner, recovery) }
        } catch (err) {
          throw rejection('bad-signature', `key notice: ${(err as Error).message}`)
        }
      },
      store: async (revocation, _signed, from) => {
        const { applied } = await this.publish(revocation, from)
        if (applied) logger.warn({ origin: federation.nameOf(revocation.originId), firstBadSeq: revocation.firstBadSeq, from: federation.nameOf(from) }, 'key revocation received and applied')
        return []
      }
    })
  }

  /** Every revocation applied here, per origin: shown as an alarm in status. */
  alarms (): RevocationAlarm[] {
    const out: RevocationAlarm[] = []
    for (const m of this.init.federation.members) {
      const history = this.init.hashLog.keyHistory(m.peerId, peerIdToBytes(parsePeerId(m.peerId)))
      for (const signed of history.revocations) {
        const r = decodeRevocation(signed)
        out.push({ origin: m.peerId, name: m.name, firstBadSeq: r.firstBadSeq, newKey: peerIdFromBytes(r.newKey).toString(), createdMs: r.createdMs })
      }
    }
    return out
  }
}

/** The subject a revocation's notices and receipts name: the same for the sender and every receiver. */
function revocationSubject (signed: Signed): string {
  return `revocation-${hex(bodyHash(signed)).slice(0, 32)}`
}
