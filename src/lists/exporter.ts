import { hfError, ErrorCodes } from '../errors.js'
import type { HashListFormat, WriteInit } from '../formats/format.js'
import type { HashRecord } from '../log/entry.js'
import type { AlgorithmName } from '../log/hash-value.js'
import type { HashLog } from '../log/hash-log.js'

export interface ExportInit {
  log: HashLog
  format: HashListFormat
  /** only this origin's current set (peer ID string); @default every origin */
  origin?: string
  /** only this algorithm; @default every algorithm */
  algorithm?: AlgorithmName
  /** passed to the format's writer (e.g. a fixed `now` for byte-identical output) */
  writeInit?: WriteInit
  /** told about each record the format cannot hold (the writer skips it) */
  onSkipped?: (record: HashRecord, reason: string) => void
}

/**
 * The current set as text chunks of `format`, streamed from the store. Without `origin`, a
 * hash several origins vouch for is written once, with the metadata of the first origin in
 * key order (rows of one hash are adjacent, so this needs no memory).
 */
export function exportHashes (init: ExportInit): AsyncIterable<string> {
  if (init.format.write === undefined) throw hfError(ErrorCodes.INVALID_ARGUMENT, `the ${init.format.name} format can be imported but not written`)
  return init.format.write(records(init), init.writeInit)
}

async function * records (init: ExportInit): AsyncIterable<HashRecord> {
  let lastAlg = ''
  let lastValue: Buffer | null = null
  for await (const { record } of init.log.currentSet({ origin: init.origin, algorithm: init.algorithm })) {
    if (init.origin === undefined) {
      const value = Buffer.from(record.value)
      if (record.algorithm === lastAlg && lastValue !== null && lastValue.equals(value)) continue
      lastAlg = record.algorithm
      lastValue = value
    }
    const unsupported = init.format.unsupported?.(record)
    if (unsupported !== undefined) {
      init.onSkipped?.(record, unsupported)
      continue
    }
    yield record
  }
}
