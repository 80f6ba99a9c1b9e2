import fc from 'fast-check'
import { pb } from '../../src/proto/index.js'
import { buildBatch, decodeBatch } from '../../src/log/batch.js'
import { KeyHistory, historyFromStored, rotationRecord } from '../../src/log/key-history.js'
import { decodeRevocation, openRevocation, signRevocation } from '../../src/log/revocation.js'
import { openRecord } from '../../src/courier/signed-record.js'
import { decodeStored } from '../../src/store/stored-record.js'
import type { Identity } from '../../src/identity/identity.js'
import { changeProblem } from '../../src/lists/membership.js'
import { bytes, inputs, mustBeTyped, typedOrOk, u64, type FuzzTarget } from './fuzz-targets.js'

// Fuzz targets of the key lifecycle's records (issue 21): rotation records inside batches,
// revocations, the key notices that carry them, and key history rows as read from disk.

function rotationSamples (id: Identity): Uint8Array[] {
  const first = buildBatch({ identity: id, seq: 1, prevHash: new Uint8Array(0), entries: [] })
  const rotation = rotationRecord(id.peerIdBytes, 2, first.hash, id)
  return [buildBatch({ identity: id, seq: 2, prevHash: first.hash, entries: [], rotation }).signed]
}

function revocationSamples (id: Identity): Uint8Array[] {
  const r = signRevocation(id, { origin: id.peerIdBytes, firstBadSeq: 3, newKey: id.peerIdBytes })
  return [r.body as Uint8Array, pb.Signed.encode(r).finish(), pb.KeyNotice.encode({ author: id.peerIdBytes, revocation: r }).finish()]
}

export function keyTargets (): FuzzTarget[] {
  return [
    {
      name: 'key rotation: decodeBatch, KeyHistory.check and accept (pb.BatchBody.rotation, pb.KeyRotation)',
      weight: 0.5,
      property: (w) => {
        const random = fc.record({ newKey: bytes(40), newKeySignature: bytes(70) }, { requiredKeys: [] })
          .chain(rotation => fc.constant(buildBatch({ identity: w.member, seq: 2, prevHash: new Uint8Array(32), entries: [], rotation }).signed))
        return fc.asyncProperty(fc.oneof(inputs(rotationSamples(w.member)), random), async (b) => {
          await typedOrOk(() => {
            const batch = decodeBatch(b)
            const history = new KeyHistory(batch.origin)
            if (history.check(batch) === null) {
              history.accept(batch)
              history.keyAt(batch.seq + 1)
              historyFromStored(batch.originId, history.encode())
            }
          })
        })
      }
    },
    {
      name: 'revocation: decodeRevocation, openRevocation (pb.Signed, pb.KeyRevocation), signed by the recovery key or not',
      weight: 1,
      property: (w) => {
        const body = fc.record({ version: fc.integer({ min: 0, max: 3 }), origin: fc.oneof(bytes(40), fc.constant(w.member.peerIdBytes)), firstBadSeq: u64, newKey: fc.oneof(bytes(40), fc.constant(w.member.peerIdBytes)), createdMs: u64 }, { requiredKeys: [] })
          .map(r => pb.KeyRevocation.encode(r).finish())
        const signed = fc.tuple(fc.oneof(body, inputs(revocationSamples(w.member))), fc.boolean(), bytes(70)).map(([b, sign, sig]) => ({ body: b, signature: sign ? w.member.sign(b) : sig }))
        return fc.asyncProperty(signed, async (s) => {
          await typedOrOk(() => decodeRevocation(s))
          await typedOrOk(() => openRevocation(s, w.member.peerIdBytes))
        })
      }
    },
    {
      name: 'key notice: openRecord(pb.KeyNotice) as the courier opens it, then its revocation',
      weight: 1,
      property: (w) => fc.asyncProperty(fc.tuple(inputs(revocationSamples(w.member)), fc.boolean(), bytes(70)), async ([b, sign, sig]) => {
        await typedOrOk(() => {
          const notice = openRecord(pb.KeyNotice, { body: b, signature: sign ? w.member.sign(b) : sig }, 'key notice', n => n.author ?? new Uint8Array(0))
          try { openRevocation(notice.revocation ?? {}, w.member.peerIdBytes) } catch (err) { mustBeTyped(err) }
        })
      })
    },
    {
      name: 'membership vote: openRecord(pb.MembershipVote), openRecord(pb.MembershipChange), changeProblem, signed by a member or not',
      weight: 1,
      property: (w) => {
        const change = fc.record({ version: fc.integer({ min: 0, max: 2 }), id: fc.oneof(fc.uuid(), fc.string({ maxLength: 40 })), proposer: fc.oneof(bytes(40), fc.constant(w.member.peerIdBytes)), action: fc.integer({ min: -1, max: 4 }), name: fc.string({ maxLength: 80 }), member: fc.oneof(bytes(40), fc.constant(w.member.peerIdBytes)), countries: fc.array(fc.string({ maxLength: 3 }), { maxLength: 70 }), addresses: fc.array(fc.string({ maxLength: 30 }), { maxLength: 3 }), recoveryKey: bytes(40), createdMs: u64 }, { requiredKeys: [] })
          .map(c => pb.MembershipChange.encode(c).finish())
        const sign = (b: Uint8Array, yes: boolean, sig: Uint8Array): { body: Uint8Array, signature: Uint8Array } => ({ body: b, signature: yes ? w.member.sign(b) : sig })
        const vote = fc.tuple(change, fc.boolean(), bytes(70), fc.oneof(bytes(40), fc.constant(w.member.peerIdBytes)))
          .map(([c, yes, sig, author]) => pb.MembershipVote.encode({ author, change: sign(c, yes, sig) }).finish())
        return fc.asyncProperty(fc.oneof(vote, bytes(300)), fc.boolean(), bytes(70), async (b, yes, sig) => {
          await typedOrOk(() => {
            const v = openRecord(pb.MembershipVote, sign(b, yes, sig), 'membership vote', x => x.author ?? new Uint8Array(0))
            const c = openRecord(pb.MembershipChange, v.change, 'membership change', x => x.proposer ?? new Uint8Array(0))
            changeProblem(c)
          })
        })
      }
    },
    {
      name: 'stored key history: decodeStored(pb.KeyHistory), historyFromStored, keyAt',
      weight: 1,
      property: (w) => {
        const row = fc.record({
          epochs: fc.array(fc.record({ fromSeq: u64, key: fc.oneof(bytes(40), fc.constant(w.member.peerIdBytes)) }, { requiredKeys: [] }), { maxLength: 4 }),
          revocations: fc.array(fc.record({ body: fc.oneof(bytes(60), fc.constantFrom(...revocationSamples(w.member))), signature: bytes(64) }, { requiredKeys: [] }), { maxLength: 2 })
        }, { requiredKeys: [] }).map(h => pb.KeyHistory.encode(h).finish())
        return fc.asyncProperty(fc.oneof(row, bytes(120)), fc.nat(), async (b, seq) => {
          await typedOrOk(() => {
            decodeStored(pb.KeyHistory, b, 'key history')
            historyFromStored('origin', b).keyAt(seq)
          })
        })
      }
    }
  ]
}
