import type { Identity } from '../identity/identity.js'
import type { HashListFormat, ParseInit } from '../formats/format.js'
import { itemChunks } from '../formats/item-chunks.js'
import type { AppendItem, HashRecord, ImportItem } from '../log/entry.js'
import type { AppendResult } from '../log/log-types.js'
import type { HashLog } from '../log/hash-log.js'
import { entryProblem } from '../log/entry-codec.js'
import { DEFAULT_BATCH_ENTRIES, MAX_BATCH_ENTRIES, MAX_REPORTED_REJECTS } from '../log/constants.js'

export interface ImportInit {
  log: HashLog
  /** our identity: imported hashes go into our own origin log, signed by us */
  identity: Identity
  format: HashListFormat
  /** opens the input afresh: the file is read twice (check, then write), never held whole */
  input: () => AsyncIterable<Uint8Array | string>
  /** parser options: default metadata (`--classification`, `--source`), `lines` algorithm */
  init?: ParseInit
  /** called every `batchEntries` items of each pass */
  onProgress?: (progress: ImportProgress) => void
  /** entries per signed batch; @default DEFAULT_BATCH_ENTRIES */
  batchEntries?: number
}

export interface ImportProgress {
  /** 'check': parsing without writing; 'write': parsing again and writing batches */
  phase: 'check' | 'write'
  /** items (adds, retracts, rejected lines) parsed so far in this phase */
  items: number
  /** items in the file, known once the check pass is done */
  total?: number
}

export interface ImportSummary {
  /** hashes new to our current set */
  added: number
  /** hashes we held whose metadata the file changed */
  updated: number
  /** hashes we held with the same metadata, and repeats within the file */
  alreadyPresent: number
  /** hashes retracted (by `retract` or `retract-source` items) */
  retracted: number
  /** retractions of hashes we did not hold: nothing to do */
  notHeld: number
  /** rejected lines with their reasons, the first MAX_REPORTED_REJECTS */
  rejected: Array<{ line: number, reason: string }>
  /** all rejected lines */
  rejectedCount: number
  /** signed batches written */
  batches: number
  /** items the parser produced */
  items: number
}

/**
 * Imports a hash-list file into our origin log in two passes. Pass 1 parses the whole file
 * without writing: a file that is not the format throws HF_INVALID_FORMAT with the store
 * untouched, and lines with values we cannot sign are listed as rejected. Pass 2 parses again
 * and appends batches; adds of hashes we hold with the same metadata write nothing, so
 * importing a file twice adds nothing the second time.
 */
export async function importHashes (init: ImportInit): Promise<ImportSummary> {
  const batchEntries = Math.min(init.batchEntries ?? DEFAULT_BATCH_ENTRIES, MAX_BATCH_ENTRIES)
  const summary: ImportSummary = { added: 0, updated: 0, alreadyPresent: 0, retracted: 0, notHeld: 0, rejected: [], rejectedCount: 0, batches: 0, items: 0 }

  // pass 1: the whole file parses and every item can be signed, before anything is written
  let total = 0
  // records a check pass shares (ParseInit.checkOnly) are checked once
  let lastRecord: HashRecord | undefined
  let lastProblem: string | null = null
  for await (const items of itemChunks(init.format, init.input(), { ...init.init, checkOnly: true })) {
    for (const item of items) {
      total++
      let problem: string | null
      if (item.kind === 'add' && item.record === lastRecord) {
        problem = lastProblem
      } else {
        problem = itemProblem(item)
        if (item.kind === 'add') { lastRecord = item.record; lastProblem = problem }
      }
      if (problem !== null) {
        summary.rejectedCount++
        if (summary.rejected.length < MAX_REPORTED_REJECTS) summary.rejected.push({ line: item.line, reason: problem })
      }
      if (total % batchEntries === 0) init.onProgress?.({ phase: 'check', items: total })
    }
  }
  init.onProgress?.({ phase: 'check', items: total, total })
  summary.items = total

  // pass 2: the same items, appended in batches. Two appends overlap: one write in flight
  // while the next chunk is parsed, checked and signed on the head it will leave (the log
  // plans on a pending write and drops that plan if the write fails); the next waits for both.
  let chunk: AppendItem[] = []
  let seen = 0
  let writing: Promise<void> | null = null
  const count = (result: AppendResult): void => {
    summary.added += result.added
    summary.updated += result.updated
    summary.alreadyPresent += result.unchanged
    summary.retracted += result.retracted
    summary.notHeld += result.notHeld.length
    summary.batches += result.batches.length
  }
  const flush = async (): Promise<void> => {
    if (chunk.length === 0) return
    const before = writing
    const write = init.log.append(init.identity, chunk, { missingRetract: 'ignore' }).then(count)
    write.catch(() => {}) // awaited at the next flush; this only keeps it from counting as unhandled meanwhile
    chunk = []
    writing = write
    if (before !== null) {
      try {
        await before
      } catch (err) {
        await write.catch(() => {}) // planned on the failed write: it fails too, and writes nothing
        throw err
      }
    }
  }
  for await (const items of itemChunks(init.format, init.input(), init.init)) {
    for (const item of items) {
      seen++
      // an add is checked as the entry it becomes: one object per line, not two
      const entry = item.kind === 'add' ? { op: 'add' as const, record: item.record } : undefined
      if (entry !== undefined ? entryProblem(entry) === null : itemProblem(item) === null) {
        chunk.push(entry ?? toAppendItem(item as Exclude<ImportItem, { kind: 'reject' }>))
        if (chunk.length >= batchEntries) await flush()
      }
      if (seen % batchEntries === 0) init.onProgress?.({ phase: 'write', items: seen, total })
    }
  }
  await flush()
  if (writing !== null) await writing
  init.onProgress?.({ phase: 'write', items: seen, total })
  return summary
}

/** Why an item cannot be imported, or null: the parser's rejects and entries we would not sign. */
function itemProblem (item: ImportItem): string | null {
  switch (item.kind) {
    case 'reject': return item.reason
    case 'add': return entryProblem({ op: 'add', record: item.record })
    case 'retract':
      if (item.reason.trim() === '') return 'a retraction needs a reason'
      return entryProblem({ op: 'retract', algorithm: item.algorithm, value: item.value, reason: item.reason })
    case 'retract-source':
      if (item.source === '') return 'a source retraction needs a source'
      if (item.reason.trim() === '') return 'a retraction needs a reason'
      return null
    default: return `unknown item kind "${String((item as { kind?: unknown }).kind)}"`
  }
}

function toAppendItem (item: Exclude<ImportItem, { kind: 'reject' }>): AppendItem {
  switch (item.kind) {
    case 'add': return { op: 'add', record: item.record }
    case 'retract': return { op: 'retract', algorithm: item.algorithm, value: item.value, reason: item.reason }
    case 'retract-source': return { op: 'retract-source', source: item.source, reason: item.reason }
  }
}
