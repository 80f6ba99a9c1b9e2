import { pb, type hashfed } from '../proto/index.js'
import { ErrorCodes } from '../errors.js'
import type { Identity } from '../identity/identity.js'
import type { BatchOp, Store } from '../store/store.js'
import { MAX_BATCH_ITEMS } from './constants.js'
import type { EnvelopeInit, MessageKind } from './envelope.js'
import { underLocks, type SubjectLocks } from './lock-all.js'
import { signReceipt, type Receipt } from './receipts.js'
import { rejection } from './rejection.js'
import type { Signed } from './signed-record.js'

type ReportError = hashfed.v1.ReportError.$Properties

/** One carried record, decoded and verified by its kind's `open`. */
export interface OpenedRecord {
  kind: MessageKind
  handler: { store: (value: never, signed: Signed, from: string, now: number) => Promise<BatchOp[]> }
  signed: Signed
  record: { author: Uint8Array, subject: string }
  value: unknown
  hash: Uint8Array
  seenKey: string
}

/** What the batch path needs of the inbox (inbox.ts): the same checks as a single message. */
export interface BatchInbox {
  identity: Identity
  locks: SubjectLocks
  seen: Store['sub']['seen']
  isMember: (peer: string) => boolean
  takeQuota: (from: string, kind: string) => ReportError | null
  open: (message: EnvelopeInit, from: string) => OpenedRecord
  refusal: (err: unknown, from: string, kind: string, subject: string | null) => ReportError
  prior: (seenKey: string, raw: Uint8Array | undefined) => Promise<Signed | Receipt | null>
  commit: (ops: BatchOp[]) => Promise<void>
  accepted: (kind: string, n: number) => void
  duplicate: () => void
}

/**
 * A `seen` row: the receipt we gave for a single message, or, for a record a batch brought,
 * a mark (the fields of a single receipt, unsigned: the batch's one receipt is not repeated per
 * record). A single redelivery of a marked record is answered with a receipt signed then.
 */
export function decodeSeen (raw: Uint8Array): Signed | Receipt | null {
  try {
    const s = pb.Signed.decode(raw)
    if (s.body.length > 0 && s.signature.length > 0) return s
    if (s.body.length > 0) {
      const mark = pb.Receipt.decode(s.body)
      if (mark.reportId !== '' && mark.ackedHash.length === 32) return mark
    }
  } catch {}
  return null
}

function seenMark (identity: Identity, o: OpenedRecord, now: number): Uint8Array {
  const body = pb.Receipt.encode({ reportId: o.record.subject, receiver: identity.peerIdBytes, ackedHash: o.hash, receivedMs: now }).finish()
  return pb.Signed.encode({ body }).finish()
}

/**
 * Answers a batch (protocol 1.1.0): every record is checked as a single message would be —
 * quota taken, signature verified, deduplicated by its bytes, stored by its kind — and refused
 * on its own (by its position) without losing the others. The records kept are written in one
 * atomic batch with their `seen` marks (per round: a subject twice in a batch waits for the
 * next round, so its second record sees the first), and one receipt names them all.
 */
export async function answerBatch (inbox: BatchInbox, messages: readonly EnvelopeInit[], from: string): Promise<EnvelopeInit> {
  try {
    if (!inbox.isMember(from)) throw rejection('not-member', `${from} is not a federation member`, ErrorCodes.NOT_A_MEMBER)
    if (messages.length === 0 || messages.length > MAX_BATCH_ITEMS) throw rejection('malformed', `a batch holds 1 to ${MAX_BATCH_ITEMS} records, not ${messages.length}`)
  } catch (err) {
    return { error: inbox.refusal(err, from, 'batch', null) }
  }
  const refused: hashfed.v1.ItemRefusal.$Properties[] = []
  const opened: Array<{ index: number, o: OpenedRecord }> = []
  const hashes = new Set<string>()
  // past a kind's quota the rest of the batch of that kind is refused with the same answer, as one refusal: an
  // honest sender pauses on it, and the quota's grace counts messages, not records
  const spent = new Map<string, ReportError>()
  messages.forEach((m, index) => {
    const kind = m.kind ?? 'none'
    let subject: string | null = null
    try {
      if (kind === 'batch') throw rejection('unknown-kind', 'a batch inside a batch')
      const quota = spent.get(kind) ?? inbox.takeQuota(from, kind)
      if (quota !== null) { spent.set(kind, quota); refused.push({ index, error: quota }); return }
      const o = inbox.open(m, from)
      subject = o.record.subject
      // the same bytes twice in one batch: kept once, named once in the receipt
      if (hashes.has(o.seenKey)) return
      hashes.add(o.seenKey)
      opened.push({ index, o })
    } catch (err) {
      refused.push({ index, error: inbox.refusal(err, from, kind, subject) })
    }
  })
  const acked: Uint8Array[] = []
  const now = Date.now()
  await underLocks(inbox.locks, opened.map(x => x.o.record.subject), async () => {
    const raws = opened.length === 0 ? [] : await inbox.seen.getMany(opened.map(x => x.o.seenKey))
    let todo: Array<{ index: number, o: OpenedRecord }> = []
    for (let i = 0; i < opened.length; i++) {
      if (await inbox.prior(opened[i].o.seenKey, raws[i]) !== null) { inbox.duplicate(); acked.push(opened[i].o.hash) } else todo.push(opened[i])
    }
    while (todo.length > 0) {
      const round: typeof todo = []
      const later: typeof todo = []
      const subjects = new Set<string>()
      for (const x of todo) {
        if (subjects.has(x.o.record.subject)) later.push(x)
        else { subjects.add(x.o.record.subject); round.push(x) }
      }
      todo = later
      await storeRound(inbox, round, from, now, refused, acked)
    }
  })
  refused.sort((a, b) => (a.index ?? 0) - (b.index ?? 0))
  const receipt = acked.length === 0 ? null : signReceipt(inbox.identity, { receiver: inbox.identity.peerIdBytes, ackedHashes: acked, receivedMs: now })
  return { batchAnswer: { receipt, refused } }
}

/** Records with distinct subjects: each kind's `store`, then one write for all that it kept. */
async function storeRound (inbox: BatchInbox, round: Array<{ index: number, o: OpenedRecord }>, from: string, now: number, refused: hashfed.v1.ItemRefusal.$Properties[], acked: Uint8Array[]): Promise<void> {
  const kept: Array<{ index: number, o: OpenedRecord }> = []
  const ops: BatchOp[] = []
  const results = await Promise.allSettled(round.map(async ({ o }) => await o.handler.store(o.value as never, o.signed, from, now)))
  results.forEach((r, i) => {
    const { index, o } = round[i]
    if (r.status === 'rejected') { refused.push({ index, error: inbox.refusal(r.reason, from, o.kind, o.record.subject) }); return }
    ops.push(...r.value, { type: 'put', sublevel: inbox.seen, key: o.seenKey, value: seenMark(inbox.identity, o, now) })
    kept.push(round[i])
  })
  if (kept.length === 0) return
  try {
    await inbox.commit(ops)
  } catch (err) {
    for (const { index, o } of kept) refused.push({ index, error: inbox.refusal(err, from, o.kind, o.record.subject) })
    return
  }
  const byKind = new Map<string, number>()
  for (const { o } of kept) { acked.push(o.hash); byKind.set(o.kind, (byKind.get(o.kind) ?? 0) + 1) }
  for (const [kind, n] of byKind) inbox.accepted(kind, n)
}

