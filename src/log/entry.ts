import type { AlgorithmName } from './hash-value.js'
import type { VpdqFrame } from './vpdq-value.js'

export const CLASSIFICATIONS = ['baseline', 'national', 'not-illegal'] as const
export type ClassificationName = typeof CLASSIFICATIONS[number]
export const IWF_CATEGORIES = ['A', 'B', 'C'] as const
export const AGE_BANDS = ['0-2', '3-6', '7-10', '11-13', '14-15', '16-17'] as const
export const MEDIA_TYPES = ['image', 'video'] as const

/** What a hotline says about a hash, beyond the value itself. Never names a person. */
export interface EntryMeta {
  classification?: ClassificationName
  iwfCategory?: typeof IWF_CATEGORIES[number]
  /** Project VIC category 0-4 */
  vicsCategory?: number
  ageBand?: typeof AGE_BANDS[number]
  media?: typeof MEDIA_TYPES[number]
  tags?: string[]
  /** case or list id (e.g. `ncmec:12345`) */
  source?: string
}

/** One hash with its metadata, validated and normalised. */
export interface HashRecord extends EntryMeta {
  algorithm: AlgorithmName
  value: Uint8Array
  /** PDQ quality 0-100 */
  quality?: number
  /** vpdq only: the video's distinct frames (log/vpdq-value.ts `entryFrames`); `value` is their SHA-256 */
  frames?: VpdqFrame[]
}

/**
 * What an import parser yields, in file order. `line` is the 1-based line (or record number
 * for formats without lines) that a user can find in the file.
 */
export type ImportItem =
  | { kind: 'add', line: number, record: HashRecord }
  | { kind: 'retract', line: number, algorithm: AlgorithmName, value: Uint8Array, reason: string }
  /** retract every current hash imported with this `source` (NCMEC deletedImage by id) */
  | { kind: 'retract-source', line: number, source: string, reason: string }
  /** a value that is invalid: reported with the reason, the rest of the file still imports */
  | { kind: 'reject', line: number, reason: string }

/**
 * One entry of an origin log: an `add` vouches for a hash with its metadata, a `retract`
 * withdraws it (the history keeps both). What `HashLog.append` signs and what its events carry.
 */
export type LogEntry =
  | { op: 'add', record: HashRecord }
  | { op: 'retract', algorithm: AlgorithmName, value: Uint8Array, reason: string, source?: string }
  /**
   * The member says the value is benign (not abuse material); `withdraw` takes that back.
   * Kept apart from the vouched set: no index row, only the benign index (match/benign-index).
   */
  | { op: 'benign', algorithm: AlgorithmName, value: Uint8Array, reason: string, withdraw?: boolean }

/**
 * What `HashLog.append` accepts: log entries, plus `retract-source`, which the log expands to
 * one `retract` per current hash of ours imported with that `source` (NCMEC deletes by id).
 */
export type AppendItem = LogEntry | { op: 'retract-source', source: string, reason: string }
