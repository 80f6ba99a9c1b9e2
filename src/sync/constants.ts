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
/**
 * Sync sessions one peer may have open towards us at once. A member opens one at a time (a
 * second only while the first is closing); more is a flood, refused and counted as an offence.
 */
export const MAX_INBOUND_SESSIONS_PER_PEER = 4
/**
 * After a peer served an origin's batch that contradicts ours (a fork or a broken chain), that
 * origin is not requested from that peer again for this long: its copy diverged from ours and
 * asking again would only fetch the same contradiction (the evidence is kept already).
 */
export const DIVERGED_RETRY_MS = 10 * 60_000
