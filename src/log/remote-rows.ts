import { algorithmToEnum } from './hash-value.js'
import { metaToProto } from './entry-codec.js'
import type { LogEntry } from './entry.js'
import { keyHash, type KeyFilter } from './key-filter.js'
import { refOf } from './hash-ref.js'
import type { IndexRows } from './index-rows.js'
import { RowTracker } from './row-tracker.js'

/**
 * The index rows a peer's verified batch `seq` of `origin` changes, tracked from the rows
 * stored before it. Rows the origin cannot hold yet (the key filter says no) are not read;
 * `beforeRead` runs before the others are (a write in flight that changes them lands first).
 * The filter learns the batch's adds.
 */
export async function trackRemoteRows (origin: string, seq: number, entries: LogEntry[], filter: KeyFilter, rows: IndexRows,
  beforeRead: (refs: string[]) => Promise<void>): Promise<RowTracker> {
  const tracker = new RowTracker(origin, false)
  const refs = entries.map(e => e.op === 'add' ? refOf(e.record.algorithm, e.record.value) : refOf(e.algorithm, e.value))
  const hashes = entries.map(e => e.op === 'add' ? keyHash(algorithmToEnum(e.record.algorithm), e.record.value) : 0)
  const toFetch: string[] = []
  entries.forEach((e, i) => {
    if (e.op === 'benign') return // no index row
    if (e.op === 'retract' || filter.mightHave(hashes[i])) toFetch.push(refs[i])
    else tracker.load(refs[i], undefined)
  })
  if (toFetch.length > 0) await beforeRead(toFetch)
  await rows.loadInto(tracker, origin, toFetch)
  entries.forEach((e, i) => {
    // a retract of a hash the origin does not hold is a no-op: the batch is still the origin's
    if (e.op === 'add') tracker.add(refs[i], metaToProto(e.record), seq, i)
    else if (e.op === 'retract') tracker.retract(refs[i], e.reason, seq)
  })
  entries.forEach((e, i) => { if (e.op === 'add') filter.add(hashes[i]) })
  return tracker
}
