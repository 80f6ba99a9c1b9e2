/** PDQ hashes of quality below this are flagged: FORMATS.md, "quality <= 49 usually discarded". */
export const PDQ_MIN_QUALITY = 50

/** Largest image upload to the check API. Phone photos are < 15 MB; larger is refused with 413. */
export const MAX_IMAGE_BYTES = 20 * 1024 * 1024

/**
 * Request body bytes allowed per hash of a check request: the longest item (a PhotoDNA value
 * as 288 hex characters with its JSON keys) is ~330 bytes.
 */
export const CHECK_BYTES_PER_HASH = 400

/** Metadata rows (value, origin) kept in memory for matches; a hit costs one LevelDB read otherwise. */
export const METADATA_CACHE_ENTRIES = 50_000

/** Batch hashes (origin, seq) kept in memory: a million entries span ~100 batches of 10k. */
export const BATCH_HASH_CACHE_ENTRIES = 10_000

/** Longest feedback reason: a sentence or two for the analyst at the origin. */
export const MAX_FEEDBACK_REASON = 1000

/** Token names name a hoster (a company), never a person: short and plain. */
export const TOKEN_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/

/** Prefix of every check API token, so a leaked one is recognisable in logs and scanners. */
export const TOKEN_PREFIX = 'hfc_'

/** A hoster's or analyst's word on a match: it was right, or it was wrong. */
export const VERDICTS = ['confirmed', 'disputed'] as const
