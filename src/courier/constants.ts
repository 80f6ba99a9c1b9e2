/**
 * The courier's wire id. It names reports because URL reports were its first freight; peers
 * dial it by this exact string, so it stays.
 */
export const COURIER_PROTOCOL = '/hashfed/report/1.0.0'
/**
 * The same protocol with batches (proto CourierBatch / BatchAnswer) besides single messages.
 * A sender offers it first and falls back to 1.0.0, whose peers get one record a message.
 */
export const COURIER_BATCH_PROTOCOL = '/hashfed/report/1.1.0'

/** Records a receiver takes in one batch; a larger batch is refused whole (malformed). */
export const MAX_BATCH_ITEMS = 64
/**
 * Records a sender puts in one batch, and the signed bytes it stops at: one receipt and one
 * group-committed write per batch instead of per record, while a batch stays far below
 * MAX_MESSAGE_BYTES and its receipt (32 bytes a record) small enough to keep with each record.
 */
export const SEND_BATCH_ITEMS = 32
export const SEND_BATCH_BYTES = 128 * 1024

/** Largest envelope accepted: a URL (≤ 8 KiB), a note and some hashes fit many times over. */
export const MAX_MESSAGE_BYTES = 256 * 1024
/** One exchange (open stream, send, await the receipt) gives up after this; the item is retried. */
export const EXCHANGE_TIMEOUT_MS = 10_000
/** Streams a receiver serves at once per connection (libp2p default is 32). */
export const MAX_INBOUND_STREAMS = 64
/**
 * Exchanges in flight per target. One exchange is a stream open plus a round trip; a few in
 * parallel hide the latency without one hotline's backlog starving the connection.
 */
export const SEND_CONCURRENCY = 16

/** First retry delay after a failed delivery. */
export const RETRY_MIN_MS = 500
/** Backoff cap: a target that comes back is served within this long even without a connect event. */
export const RETRY_MAX_MS = 30_000

/**
 * Inbound messages a member may send per kind (report, status, feedback): a token bucket of
 * `burst` that refills at `perMinute`. A hotline forwards a backlog of a day or two at once
 * (burst) and far less than one message a second on average; past the quota the receiver
 * refuses with HF_RATE_LIMITED and the sender keeps the message in its outbox and pauses.
 * Config `reports.inboundQuota` overrides both.
 */
export const DEFAULT_INBOUND_BURST = 2000
export const DEFAULT_INBOUND_PER_MINUTE = 60
/**
 * Quota refusals a member may collect without one accepted message in between before each
 * further batch of that many counts as an offence. Our outbox pauses on the first refusal,
 * so it collects at most its SEND_CONCURRENCY in-flight messages; a sender that keeps pushing
 * ignores the quota.
 */
export const QUOTA_GRACE = 4 * SEND_CONCURRENCY

/** Refusals logged per peer and reason per window; the rest are counted and summed up in one line. */
export const REFUSAL_LOGS_PER_WINDOW = 5
export const REFUSAL_LOG_WINDOW_MS = 60_000
