import type { Uint8ArrayList } from 'uint8arraylist'
import { pb, type hashfed } from '../proto/index.js'
import type { Signed } from './signed-record.js'
import { rejection } from './rejection.js'

/**
 * The wire envelope (proto `ReportMessage`): exactly one of a carried signed record, a
 * receipt, or an error. Which records are carried is the proto's business, not the courier's:
 * every member of the `kind` oneof except `receipt` and `error` is a kind some component
 * registers handlers for.
 */
export type Envelope = hashfed.v1.ReportMessage
export type EnvelopeInit = hashfed.v1.ReportMessage.$Properties
/** A kind of carried record: a sender puts it in the outbox (a receipt or error is only ever an answer). */
export type MessageKind = Exclude<NonNullable<Envelope['kind']>, 'receipt' | 'error' | 'batch' | 'batchAnswer'>

/** Oneof members that carry no single signed record: answers, and a batch of records. */
const NOT_RECORDS: ReadonlySet<string> = new Set(['receipt', 'error', 'batch', 'batchAnswer'])

export function encodeMessage (msg: EnvelopeInit): Uint8Array {
  return pb.ReportMessage.encode(msg).finish()
}

/** One frame of the courier protocol; anything else is a `malformed` rejection, never a crash. */
export function decodeMessage (data: Uint8Array | Uint8ArrayList): Envelope {
  const bytes = data instanceof Uint8Array ? data : data.subarray()
  let msg: Envelope
  try {
    msg = pb.ReportMessage.decode(bytes)
  } catch (err) {
    throw rejection('malformed', `report message does not decode: ${(err as Error).message}`)
  }
  if (msg.kind === undefined) throw rejection('malformed', 'empty report message')
  return msg
}

/** The signed record a sendable envelope carries (its fields are the oneof's members). */
export function messageRecord (msg: EnvelopeInit): { kind: MessageKind, signed: Signed } | null {
  for (const [key, value] of Object.entries(msg)) {
    if (key === 'kind' || NOT_RECORDS.has(key) || value == null || typeof value !== 'object') continue
    return { kind: key as MessageKind, signed: value as Signed }
  }
  return null
}
