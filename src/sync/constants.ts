export const SYNC_PROTOCOL = '/hashfed/sync/1.0.0'
/** Batches are packed into frames of about this size: ~64 KiB+ frames reach ~250 MB/s over noise+yamux. */
export const FRAME_TARGET_BYTES = 1024 * 1024
/** Largest frame accepted; a single batch may exceed the target but never this. */
export const MAX_FRAME_BYTES = 8 * 1024 * 1024
/** Heads are O(origins); this many origins is far beyond any federation. */
export const MAX_HEADS = 10_000
/** Periodic heads exchange with every connected member, in case an announcement was lost. */
export const PERIODIC_SYNC_MS = 30_000
/** A session that makes no progress for this long is abandoned (it resumes next time). */
export const SESSION_IDLE_MS = 30_000
