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
/** A hoster's name (a company), not a text field: 256 printable characters is plenty. */
export const MAX_HOSTER_LENGTH = 256
/** AS numbers are 32-bit (RFC 6793). */
export const MAX_ASN = 0xffff_ffff
/** URL schemes a hoster can take content down from; `javascript:`, `data:` and the like are not. */
export const URL_SCHEMES: ReadonlySet<string> = new Set(['http:', 'https:', 'ftp:'])

/**
 * How far a signed time (a report's creation, a status update, feedback) may lie ahead of the
 * receiver's clock, and a status update before its report's creation. NTP keeps hotlines
 * within seconds; five minutes tolerates a badly kept clock, not a forged date.
 */
export const MAX_CLOCK_SKEW_MS = 5 * 60_000
/**
 * Status updates kept per report. A hotline records a handful (assessed, notice sent,
 * removed); every update rewrites the whole stored report, so the timeline must stay short.
 */
export const MAX_STATUS_UPDATES = 64

/**
 * Inbound report-protocol messages a member may send per kind (report, status, feedback):
 * a token bucket of `burst` that refills at `perMinute`. A hotline forwards a backlog of a
 * day or two at once (burst) and far less than one report a second on average; past the
 * quota the receiver refuses with HF_RATE_LIMITED and the sender keeps the message in its
 * outbox and pauses. Config `reports.inboundQuota` overrides both.
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

/** Retention runs at start and then this often (deleting is cheap; once a few hours is plenty). */
export const RETENTION_INTERVAL_MS = 6 * 60 * 60 * 1000
export const DAY_MS = 24 * 60 * 60 * 1000
/**
 * The latest time a JS Date can hold (year 275760). A signed record claiming a later time is
 * refused as malformed: every view, statistic and retention bucket turns times into dates.
 */
export const MAX_TIME_MS = 8.64e15
