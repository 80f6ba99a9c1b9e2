export const SYNC_PROTOCOL = '/hashfed/sync/1.0.0'
/**
 * Long-lived push stream, one per connected member (see push-stream.ts). A protocol of its
 * own, so a node without it simply refuses the stream and is announced to as before.
 */
export const PUSH_PROTOCOL = '/hashfed/sync-push/1.0.0'
/** Most batches one push carries; a peer further behind is announced to and pulls. */
export const MAX_PUSH_BATCHES = 16
/** Most batch bytes one push carries; more goes by announce and pull. */
export const MAX_PUSH_BYTES = 1024 * 1024
/** Push streams one peer may have open towards us: one, and a second while the first closes. */
export const MAX_INBOUND_PUSH_STREAMS_PER_PEER = 2
/** Batches are packed into frames of about this size: ~64 KiB+ frames reach ~250 MB/s over noise+yamux. */
export const FRAME_TARGET_BYTES = 1024 * 1024
/** Largest frame accepted; a single batch may exceed the target but never this. */
export const MAX_FRAME_BYTES = 8 * 1024 * 1024
/** Heads are O(origins); this many origins is far beyond any federation (INHOPE has ~50 hotlines). */
export const MAX_HEADS = 1_024
/**
 * Largest heads message read: a head encodes to ~100 bytes (origin, seq, 32-byte hash,
 * entries), so MAX_HEADS heads fit; a longer frame is refused before it is decoded.
 */
export const MAX_HEADS_FRAME_BYTES = MAX_HEADS * 128
/** Longest head hash accepted (ours are SHA-256, 32 bytes): a head is a claim, not a payload. */
export const MAX_HEAD_HASH_BYTES = 64
/**
 * Heads of origins we do not replicate that a peer may send in one message, dropped without
 * an offence: while an edit of the federation file rolls out, a peer may list a few members
 * we do not have yet. More is an attempt to bloat our tables, an offence.
 */
export const MAX_FOREIGN_HEADS = 16
/**
 * An origin's range claimed by one session and not advancing (no batch stored) for this long
 * may be fetched from another peer that has it: a member that announces a head and then
 * stalls delays that origin by this much, not by the session's idle timeout.
 */
export const CLAIM_FALLBACK_MS = 3_000
/**
 * Lag shown (status, metrics) is at most this many batches past our verified head. A head
 * is a peer's unverified claim; this is ~100M hashes at the default batch size, beyond any
 * hotline's list, so an honest lag is shown as it is and a claim of 2^53 is not.
 */
export const MAX_LAG_SHOWN_BATCHES = 10_000
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
