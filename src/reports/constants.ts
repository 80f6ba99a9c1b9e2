export const REPORT_PROTOCOL = '/hashfed/report/1.0.0'

/** Largest ReportMessage accepted: a URL (≤ 8 KiB), a note and some hashes fit many times over. */
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

/** Limits of what an analyst may put in a report (the receiver checks them too). */
export const MAX_URL_LENGTH = 8192
export const MAX_NOTE_LENGTH = 4096
export const MAX_HASHES = 100

/** Retention runs at start and then this often (deleting is cheap; once a few hours is plenty). */
export const RETENTION_INTERVAL_MS = 6 * 60 * 60 * 1000
export const DAY_MS = 24 * 60 * 60 * 1000
/**
 * The latest time a JS Date can hold (year 275760). A signed record claiming a later time is
 * refused as malformed: every view, statistic and retention bucket turns times into dates.
 */
export const MAX_TIME_MS = 8.64e15
