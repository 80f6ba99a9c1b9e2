import type { Uint8ArrayList } from 'uint8arraylist'
import { pb } from '../proto/index.js'
import type { hashfed } from '../proto/index.js'
import { hfError, ErrorCodes } from '../errors.js'

export type SyncMessage = hashfed.v1.SyncMessage

export function encodeSync (msg: hashfed.v1.SyncMessage.$Properties): Uint8Array {
  return pb.SyncMessage.encode(msg).finish()
}

/** Decodes one frame; anything that is not a SyncMessage is a protocol error, never a crash. */
export function decodeSync (data: Uint8Array | Uint8ArrayList): SyncMessage {
  const bytes = data instanceof Uint8Array ? data : data.subarray()
  try {
    const msg = pb.SyncMessage.decode(bytes)
    if (msg.kind === undefined) throw new Error('empty message')
    return msg
  } catch (err) {
    throw hfError(ErrorCodes.PROTOCOL, `malformed sync message: ${(err as Error).message}`, { reason: 'malformed' }, err)
  }
}
