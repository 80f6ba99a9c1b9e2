import { randomUUID } from 'node:crypto'
import type { Logger } from 'pino'
import { pb, type hashfed } from '../proto/index.js'
import type { Store } from '../store/store.js'
import { decodeStored } from '../store/stored-record.js'
import type { Courier } from '../courier/courier.js'
import { openRecord, sentBy, type Signed } from '../courier/signed-record.js'
import { rejection } from '../courier/rejection.js'
import { parsePeerId, peerIdFromBytes, peerIdToBytes, type Identity } from '../identity/identity.js'
import type { FederationView } from '../context/federation-view.js'
import type { Member } from '../config/federation.js'
import { hfError, ErrorCodes } from '../errors.js'
import { u64 } from '../log/uint64.js'

export const MEMBERSHIP_VERSION = 1
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/
const MAX_NAME = 64
const MAX_LIST = 64

export type MembershipAction = 'add' | 'remove'

/** What an operator proposes. */
export interface ProposalInit {
  action: MembershipAction
  name: string
  peerId: string
  countries?: string[]
  addresses?: string[]
  recoveryKey?: string
}

/** A change as `members proposals` shows it. */
export interface ProposalView {
  id: string
  action: MembershipAction
  name: string
  peerId: string
  countries: string[]
  proposer: string
  votes: string[]
  /** votes that count here: by members named in our membershipQuorum */
  counted: number
  required: number | null
  applied: boolean
}

export interface MembershipInit {
  store: Store
  identity: Identity
  federation: FederationView
  courier: Pick<Courier, 'send' | 'register'>
  logger: Logger
  /** writes the change into the federation file and applies it (node: at once) */
  apply: (change: { action: MembershipAction, member: Member }) => Promise<void>
  /** the audit record of an applied change */
  audit: (details: Record<string, unknown>) => Promise<void>
}

type Change = hashfed.v1.MembershipChange

/** A change's rules beyond its signature; null when it is well-formed. */
export function changeProblem (c: Change): string | null {
  if (c.version !== MEMBERSHIP_VERSION) return `unsupported version ${c.version}`
  if (!UUID.test(c.id)) return 'the id is not a UUID'
  if (c.action !== pb.MembershipChange.Action.ADD && c.action !== pb.MembershipChange.Action.REMOVE) return `unknown action ${c.action}`
  if (c.name.length === 0 || c.name.length > MAX_NAME) return 'a member name has 1 to 64 characters'
  if (c.countries.length > MAX_LIST || c.addresses.length > MAX_LIST) return 'too many countries or addresses'
  try {
    if (peerIdFromBytes(c.member ?? new Uint8Array(0)).type !== 'Ed25519') return 'the member is not an Ed25519 peer ID'
    if (c.recoveryKey != null && c.recoveryKey.length > 0 && peerIdFromBytes(c.recoveryKey).type !== 'Ed25519') return 'the recovery key is not an Ed25519 peer ID'
  } catch {
    return 'the member or recovery key is not a peer ID'
  }
  return null
}

/**
 * Membership changes that travel: a member proposes (a signed MembershipChange and its own
 * vote), members vote for it, and every vote goes by the courier to every member. A node
 * applies a change once `membershipQuorum.required` of the members named in its own
 * federation file's quorum have voted; without a quorum nothing is applied (manual only).
 */
export class Membership {
  constructor (private readonly init: MembershipInit) {
    this.register()
  }

  async propose (p: ProposalInit, now = Date.now()): Promise<ProposalView> {
    const { identity } = this.init
    const change: hashfed.v1.MembershipChange.$Properties = {
      version: MEMBERSHIP_VERSION,
      id: randomUUID(),
      proposer: identity.peerIdBytes,
      action: p.action === 'add' ? pb.MembershipChange.Action.ADD : pb.MembershipChange.Action.REMOVE,
      name: p.name,
      member: peerIdToBytes(parsePeerId(p.peerId)),
      countries: p.countries ?? [],
      addresses: p.addresses ?? [],
      recoveryKey: p.recoveryKey === undefined ? new Uint8Array(0) : peerIdToBytes(parsePeerId(p.recoveryKey)),
      createdMs: now
    }
    const problem = changeProblem(pb.MembershipChange.create(change))
    if (problem !== null) throw hfError(ErrorCodes.INVALID_ARGUMENT, problem)
    const body = pb.MembershipChange.encode(change).finish()
    return await this.vote({ body, signature: identity.sign(body) })
  }

  /** Our vote for a change we hold (a co-signature). */
  async cosign (id: string): Promise<ProposalView> {
    const stored = await this.get(id)
    if (stored === undefined) throw hfError(ErrorCodes.NOT_FOUND, `no membership proposal ${id} here`)
    return await this.vote(stored.change ?? {})
  }

  private async vote (change: Signed): Promise<ProposalView> {
    const { identity, federation } = this.init
    const body = pb.MembershipVote.encode({ author: identity.peerIdBytes, change }).finish()
    const vote: Signed = { body, signature: identity.sign(body) }
    const decoded = pb.MembershipChange.decode(change.body ?? new Uint8Array(0))
    await this.record(decoded, change, vote, identity.peerIdBytes)
    for (const m of federation.others) {
      if (m.mirrorOf !== undefined) continue
      await this.init.courier.send(m.peerId, { membership: vote }, { subject: decoded.id })
    }
    return await this.evaluate(decoded.id)
  }

  private register (): void {
    const { federation } = this.init
    this.init.courier.register<{ change: Change, signedChange: Signed, author: Uint8Array }>('membership', {
      open: (signed, _from, fromBytes) => {
        const vote = openRecord(pb.MembershipVote, signed, 'membership vote', v => v.author ?? new Uint8Array(0), sentBy(fromBytes))
        const change = openRecord(pb.MembershipChange, vote.change, 'membership change', c => c.proposer ?? new Uint8Array(0), (signer, what) => {
          let id: string
          try { id = peerIdFromBytes(signer).toString() } catch { throw rejection('malformed', `${what}: the proposer is not a peer ID`) }
          if (!federation.isOrigin(id)) throw rejection('malformed', `${what}: proposed by ${id}, not a member`)
        })
        const problem = changeProblem(change)
        if (problem !== null) throw rejection('malformed', `membership change: ${problem}`)
        return { record: { author: fromBytes, subject: change.id }, value: { change, signedChange: vote.change ?? {}, author: fromBytes } }
      },
      store: async ({ change, signedChange, author }, signed) => {
        await this.record(change, signedChange, signed, author)
        await this.evaluate(change.id)
        return []
      }
    })
  }

  private async get (id: string): Promise<hashfed.v1.StoredMembershipChange | undefined> {
    const raw = await this.init.store.sub.membership.get(id)
    return raw === undefined ? undefined : decodeStored(pb.StoredMembershipChange, raw, `membership change ${id}`)
  }

  /** Keeps the change (first seen) and the vote (one per author). */
  private async record (change: Change, signedChange: Signed, vote: Signed, author: Uint8Array): Promise<void> {
    const stored = await this.get(change.id) ?? pb.StoredMembershipChange.create({ change: signedChange, votes: [], appliedMs: 0 })
    // one id, one change: a second change under a known id is not this proposal
    if (Buffer.compare(stored.change?.body ?? new Uint8Array(0), signedChange.body ?? new Uint8Array(0)) !== 0) throw rejection('malformed', `membership change ${change.id}: another change holds this id`)
    const authors = new Set(stored.votes.map(v => Buffer.from(pb.MembershipVote.decode(v.body ?? new Uint8Array(0)).author ?? []).toString('hex')))
    if (!authors.has(Buffer.from(author).toString('hex'))) stored.votes.push(vote)
    await this.init.store.sub.membership.put(change.id, pb.StoredMembershipChange.encode(stored).finish())
  }

  /** Applies the change when our quorum is met and it is not applied yet. */
  private async evaluate (id: string): Promise<ProposalView> {
    const stored = await this.get(id)
    if (stored === undefined) throw hfError(ErrorCodes.NOT_FOUND, `no membership proposal ${id} here`)
    const view = this.view(stored)
    if (view.applied || view.required === null || view.counted < view.required) return view
    const change = pb.MembershipChange.decode(stored.change?.body ?? new Uint8Array(0))
    const member: Member = {
      name: change.name,
      peerId: view.peerId,
      countries: change.countries,
      addresses: change.addresses,
      ...(change.recoveryKey != null && change.recoveryKey.length > 0 ? { recoveryKey: peerIdFromBytes(change.recoveryKey).toString() } : {})
    }
    await this.init.apply({ action: view.action, member })
    stored.appliedMs = Date.now()
    await this.init.store.sub.membership.put(id, pb.StoredMembershipChange.encode(stored).finish())
    await this.init.audit({ id, action: view.action, name: view.name, peerId: view.peerId, countries: view.countries, proposer: view.proposer, votes: view.votes })
    this.init.logger.warn({ id, action: view.action, name: view.name, votes: view.votes }, 'membership change applied (quorum met)')
    return { ...view, applied: true }
  }

  private view (stored: hashfed.v1.StoredMembershipChange): ProposalView {
    const { federation } = this.init
    const c = pb.MembershipChange.decode(stored.change?.body ?? new Uint8Array(0))
    const votes = stored.votes.map(v => peerIdFromBytes(pb.MembershipVote.decode(v.body ?? new Uint8Array(0)).author ?? new Uint8Array(0)).toString())
    const quorum = federation.quorum
    const trusted = new Set((quorum?.of ?? []).map(n => federation.byMemberName(n)?.peerId).filter((p): p is string => p !== undefined))
    return {
      id: c.id,
      action: c.action === pb.MembershipChange.Action.ADD ? 'add' : 'remove',
      name: c.name,
      peerId: peerIdFromBytes(c.member ?? new Uint8Array(0)).toString(),
      countries: c.countries,
      proposer: federation.nameOf(peerIdFromBytes(c.proposer ?? new Uint8Array(0)).toString()),
      votes: votes.map(v => federation.nameOf(v)),
      counted: votes.filter(v => trusted.has(v)).length,
      required: quorum?.required ?? null,
      applied: u64(stored.appliedMs) > 0
    }
  }

  async list (): Promise<ProposalView[]> {
    const out: ProposalView[] = []
    for await (const [id, raw] of this.init.store.sub.membership.iterator()) out.push(this.view(decodeStored(pb.StoredMembershipChange, raw, `membership change ${id}`)))
    return out
  }
}
