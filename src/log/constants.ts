/** BatchBody.version this code writes and accepts; a new layout of batches needs a new number. */
export const BATCH_VERSION = 1

/**
 * Entries per batch the importer (and `append`) writes. 10k index rows per LevelDB write is
 * where write throughput levels off (~280k rows/s measured), and 10k SHA-256 entries encode to
 * ~0.4 MiB, comfortably inside one sync frame.
 */
export const DEFAULT_BATCH_ENTRIES = 10_000

/**
 * Most entries a batch may hold, ours or a peer's. Above what we write so that a member
 * running different batch sizes still interoperates, bounded so one batch's index rows stay
 * one reasonable LevelDB write.
 */
export const MAX_BATCH_ENTRIES = 16_384

/**
 * Most bytes of an encoded BatchBody. 10k PhotoDNA entries with metadata are ~2 MiB; the sync
 * protocol ships batches in frames of a few MiB, so a batch must fit in one.
 */
export const MAX_BATCH_BYTES = 4 * 1024 * 1024

/** Most bytes of a Signed batch: the body plus the signature and protobuf framing. */
export const MAX_SIGNED_BATCH_BYTES = MAX_BATCH_BYTES + 128

/** Longest `source` (case or list id). It is part of a LevelDB key in the `sources` index. */
export const MAX_SOURCE_LENGTH = 256

/** Longest retraction reason: a sentence, not a document. */
export const MAX_REASON_LENGTH = 1024

/** Most tags per entry and longest tag: labels, repeated in every index row of the hash. */
export const MAX_TAGS = 32
export const MAX_TAG_LENGTH = 64

/**
 * At most this many rejected lines are kept with their line number and reason in an import
 * summary; the count goes on. A file of a million bad lines must not fill memory.
 */
export const MAX_REPORTED_REJECTS = 10_000

/**
 * Bloom filter bits per hash in the per-origin key filter (~1% false positives at 7 probes):
 * 1.25 bytes per hash lets a write skip the LevelDB read for nearly every new hash.
 */
export const KEY_FILTER_BITS_PER_KEY = 10
export const KEY_FILTER_PROBES = 7

/** Hashes the first filter segment holds; each later segment holds twice the one before. */
export const KEY_FILTER_FIRST_CAPACITY = 16_384
