import { hfError, ErrorCodes } from '../errors.js'

/** A generated protobuf message type, as far as reading it back is concerned. */
export interface RecordCodec<T> {
  decode: (bytes: Uint8Array) => T
}

/**
 * Decodes a record read from the store. We wrote it, so a failure means damage (disk, a
 * foreign write): it becomes HF_STORE_CORRUPT naming the record, never a bare RangeError
 * from the protobuf reader, so callers and the CLI can say which record is bad.
 */
export function decodeStored<T> (codec: RecordCodec<T>, bytes: Uint8Array, what: string): T {
  try {
    return codec.decode(bytes)
  } catch (err) {
    throw hfError(ErrorCodes.STORE_CORRUPT, `${what} in the store does not decode: ${(err as Error).message}`, { what }, err)
  }
}
